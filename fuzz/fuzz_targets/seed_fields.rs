//! The seed profile's field helpers on any input: `createdAt` for any millisecond count (checked
//! against an independent inverse, days from the civil date), and voice-note addresses and
//! download keys on any text (an address names an upload exactly when it is the prefix and the
//! id's digits, and the key forms of one upload all name it).

#![no_main]

use chat_wire::seed::fields::created_at;
use chat_wire::seed::file_url::{PREFIX, VoiceContent, key_file_id, voice_content, voice_url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(ms) = data.get(..8) {
        let ms = i64::from_le_bytes(ms.try_into().expect("8 bytes"));
        check_created_at(ms);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match voice_content(text) {
        VoiceContent::Upload(id) => {
            assert!(id > 0);
            assert_eq!(voice_url(id), text.trim());
        }
        VoiceContent::Malformed => assert!(text.trim().starts_with(PREFIX)),
        VoiceContent::Foreign => assert!(!text.trim().starts_with(PREFIX)),
    }
    if let Some(id) = key_file_id(text) {
        assert!(id > 0);
        let digits = text
            .trim()
            .trim_start_matches(PREFIX)
            .trim_start_matches('/');
        assert_eq!(
            digits,
            id.to_string(),
            "{text:?}: only digits name an upload"
        );
    }
});

/// `yyyy-MM-dd HH:mm:ss` back to seconds since the epoch, and compared.
fn check_created_at(ms: i64) {
    let shown = created_at(ms);
    let (date, time) = shown.rsplit_once(' ').expect("a date and a time");
    let (year, rest) = date[1..]
        .split_once('-')
        .map(|(year, rest)| (&date[..year.len() + 1], rest))
        .expect("a year");
    let year: i64 = year.parse().expect("a numeric year");
    let (month, day) = rest.split_once('-').expect("a month and a day");
    let (month, day): (i64, i64) = (month.parse().expect("month"), day.parse().expect("day"));
    assert!(
        (1..=12).contains(&month) && (1..=31).contains(&day),
        "{shown}"
    );
    let clock: Vec<i64> = time
        .split(':')
        .map(|part| part.parse().expect("a number"))
        .collect();
    assert!(
        clock.len() == 3 && clock[0] < 24 && clock[1] < 60 && clock[2] < 60,
        "{shown}"
    );
    let seconds =
        days_from_civil(year, month, day) * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2];
    assert_eq!(seconds, ms.div_euclid(1000), "{ms} shown as {shown}");
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
