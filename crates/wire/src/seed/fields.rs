//! Field conventions of the seed's JSON: numbers that may arrive as digit strings, and
//! `createdAt` written `yyyy-MM-dd HH:mm:ss`.

use serde::{Deserialize, Deserializer};

/// A number the client may send as a JSON number or as a digit string (its form fields and
/// query strings keep them as strings); anything else is refused.
#[derive(Deserialize)]
#[serde(untagged)]
enum Loose {
    Number(i64),
    Text(String),
}

fn loose_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    match Loose::deserialize(deserializer)? {
        Loose::Number(number) => Ok(number),
        Loose::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a number"))),
    }
}

/// An id: a positive number (or digit string).
pub fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = loose_i64(deserializer)?;
    u64::try_from(number)
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| serde::de::Error::custom(format!("{number} is not an id")))
}

/// Any integer (or digit string): `groupId: -1`, `dateTime`, `chatType`.
pub fn int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    loose_i64(deserializer)
}

/// An optional integer (absent, `null`, a number or a digit string).
pub fn opt_int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<Loose>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Loose::Number(number)) => Ok(Some(number)),
        Some(Loose::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(Loose::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a number"))),
    }
}

/// Milliseconds since the epoch as `yyyy-MM-dd HH:mm:ss` in UTC (the seed wrote its server's
/// local time; ours runs on UTC, and the client only displays it).
pub fn created_at(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "id")]
        id: u64,
        #[serde(deserialize_with = "int")]
        n: i64,
    }

    #[test]
    fn ids_are_numbers_or_digit_strings() {
        let probe: Probe = serde_json::from_str(r#"{"id": 7, "n": -1}"#).unwrap();
        assert_eq!((probe.id, probe.n), (7, -1));
        let probe: Probe = serde_json::from_str(r#"{"id": "8", "n": "1700000000000"}"#).unwrap();
        assert_eq!((probe.id, probe.n), (8, 1_700_000_000_000));
        for bad in [
            r#"{"id": 0, "n": 1}"#,
            r#"{"id": -3, "n": 1}"#,
            r#"{"id": "x", "n": 1}"#,
            r#"{"id": 1.5, "n": 1}"#,
            r#"{"id": null, "n": 1}"#,
        ] {
            assert!(serde_json::from_str::<Probe>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn created_at_is_utc_wall_time() {
        assert_eq!(created_at(0), "1970-01-01 00:00:00");
        assert_eq!(created_at(1_709_210_096_789), "2024-02-29 12:34:56");
        assert_eq!(created_at(1_798_761_599_000), "2026-12-31 23:59:59");
    }
}
