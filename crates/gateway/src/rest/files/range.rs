//! The `Range` header of a download: one `bytes=` range (RFC 9110 §14). Anything we do not
//! serve as a part (other units, several ranges, a malformed value) is answered whole, which
//! the RFC allows; a range that starts past the end is 416.

/// What a download answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Wanted {
    Whole,
    /// Bytes `start..=end` of the object.
    Part {
        start: u64,
        end: u64,
    },
    Unsatisfiable,
}

/// The part of an object of `size` bytes that `header` asks for.
pub fn wanted(header: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = header.and_then(|header| header.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    match (number(first), number(last)) {
        // `-n`: the last n bytes.
        (None, Some(suffix)) if first.is_empty() => match suffix.min(size) {
            0 => Wanted::Unsatisfiable,
            length => Wanted::Part {
                start: size - length,
                end: size - 1,
            },
        },
        (Some(start), _) if start >= size => Wanted::Unsatisfiable,
        // `a-`: from a to the end.
        (Some(start), None) if last.is_empty() => Wanted::Part {
            start,
            end: size - 1,
        },
        (Some(start), Some(end)) if start <= end => Wanted::Part {
            start,
            end: end.min(size - 1),
        },
        _ => Wanted::Whole,
    }
}

/// Decimal digits only (`u64::from_str` would take a sign).
fn number(raw: &str) -> Option<u64> {
    if raw.is_empty() || !raw.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(start: u64, end: u64) -> Wanted {
        Wanted::Part { start, end }
    }

    #[test]
    fn single_ranges_are_served_as_parts() {
        assert_eq!(wanted(Some("bytes=0-9"), 67), part(0, 9));
        assert_eq!(wanted(Some("bytes=60-"), 67), part(60, 66));
        assert_eq!(wanted(Some("bytes=60-1000"), 67), part(60, 66));
        assert_eq!(wanted(Some("bytes=-7"), 67), part(60, 66));
        assert_eq!(wanted(Some("bytes=-100"), 67), part(0, 66));
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(wanted(Some("bytes=67-"), 67), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=100-200"), 67), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 67), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
    }

    #[test]
    fn anything_else_is_answered_whole() {
        for header in [
            None,
            Some("items=0-9"),
            Some("bytes=0-1,5-6"),
            Some("bytes=9-0"),
            Some("bytes=+1-2"),
            Some("bytes=x"),
            Some("bytes=-"),
        ] {
            assert_eq!(wanted(header, 67), Wanted::Whole, "{header:?}");
        }
    }
}
