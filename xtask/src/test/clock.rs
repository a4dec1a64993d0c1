//! Wall-clock instants read from text (JUnit timestamps, log lines), as seconds since the Unix
//! epoch, without a date crate: only the shapes our logs and nextest write are needed.

/// The first `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` (or `YYYY/MM/DD HH:MM:SS`, nginx's error log,
/// which is written in local time: UTC on our machines) in the first 64 bytes of `text`.
pub fn find_instant(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let end = bytes.len().min(64).saturating_sub(18);
    (0..=end)
        .filter(|&i| i == 0 || !bytes[i - 1].is_ascii_digit())
        .find_map(|i| parse_at(text.get(i..)?))
}

/// Parses an instant at the very start of `text`.
pub fn parse_at(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let date_sep_ok = (b[4] == b'-' && b[7] == b'-') || (b[4] == b'/' && b[7] == b'/');
    if !date_sep_ok || !(b[10] == b'T' || b[10] == b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = &text[19..];
    let mut fraction = 0.0;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        fraction = format!("0.{}", &after_dot[..len]).parse().unwrap_or(0.0);
        rest = &after_dot[len..];
    }
    let offset = match rest.as_bytes().first() {
        Some(sign @ (b'+' | b'-')) if rest.len() >= 6 && rest.as_bytes()[3] == b':' => {
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'+' { seconds } else { -seconds }
        }
        _ => 0,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(seconds as f64 + fraction)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shapes_our_logs_and_nextest_write() {
        let epoch = 1_796_586_000.0; // 2026-12-06T19:40:00Z
        assert_eq!(parse_at("2026-12-06T19:40:00Z"), Some(epoch));
        assert_eq!(parse_at("2026-12-06T19:40:00.250Z"), Some(epoch + 0.25));
        assert_eq!(parse_at("2026-12-06T20:40:00+01:00"), Some(epoch));
        assert_eq!(
            parse_at("2026-12-06T19:40:00.5-00:30"),
            Some(epoch + 1800.5)
        );
        assert_eq!(
            find_instant(r#"{"timestamp":"2026-12-06T19:40:00.000001Z","level":"WARN"}"#),
            Some(epoch + 0.000001)
        );
        assert_eq!(
            find_instant("2026/12/06 19:40:00 [error] 7#7: *1 connect() failed"),
            Some(epoch)
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn refuses_what_is_not_an_instant() {
        assert_eq!(
            find_instant("thread 'main' panicked at src/main.rs:3:5"),
            None
        );
        assert_eq!(parse_at("2026-13-06T19:40:00Z"), None);
        assert_eq!(parse_at("12026-12-06T19:40:00Z"), None);
        assert_eq!(find_instant(""), None);
    }
}
