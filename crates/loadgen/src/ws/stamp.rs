//! The text of a load-test message carries its ticket and the instant it was due, as
//! microseconds from the plan's origin: the receiving session (in this same process) reads the
//! latency straight off the frame, with no table shared between sender and receiver.

/// What the text starts with, so that a stamp is never confused with other traffic.
const MARK: &str = "lg";

/// `lg <ticket> <due_us> <filler>`.
pub fn text(ticket: u64, due_us: u64, filler: &str) -> String {
    format!("{MARK} {ticket} {due_us} {filler}")
}

/// The ticket and due offset of a stamped text; `None` for anything else.
pub fn parse(text: &str) -> Option<(u64, u64)> {
    let mut words = text.splitn(4, ' ');
    if words.next()? != MARK {
        return None;
    }
    let ticket = words.next()?.parse().ok()?;
    let due_us = words.next()?.parse().ok()?;
    Some((ticket, due_us))
}

/// Filler that brings a stamped text to about `bytes` bytes.
pub fn filler(bytes: usize) -> String {
    // "lg " + two numbers of up to 12 digits and their spaces.
    "x".repeat(bytes.saturating_sub(28).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_round_trips() {
        let text = text(42, 1_234_567, "xxxx");
        assert_eq!(text, "lg 42 1234567 xxxx");
        assert_eq!(parse(&text), Some((42, 1_234_567)));
    }

    #[test]
    fn other_texts_are_not_stamps() {
        assert_eq!(parse("hello there"), None);
        assert_eq!(parse("lg x 5 y"), None);
        assert_eq!(parse("lg 5"), None);
    }

    #[test]
    fn filler_keeps_texts_near_the_asked_size() {
        let text = text(999_999, 99_999_999, &filler(100));
        assert!((90..=110).contains(&text.len()), "{}", text.len());
        assert_eq!(filler(0).len(), 1);
    }
}
