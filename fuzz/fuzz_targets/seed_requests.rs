//! The seed profile's requests as the gateway reads them: every JSON body shape through
//! `chat_wire::seed::parse_body` (the gateway's `SeedBody`) and every query shape through
//! serde_urlencoded (axum's `Query`, the gateway's `SeedQuery`). Checks: ids are positive, a
//! number sent as a digit string reads as that number (compared with an independent reading of
//! the same JSON), and voice-note addresses and download keys name the upload they look like.

#![no_main]

use chat_wire::seed::file_url::{PREFIX, VoiceContent, key_file_id, voice_content, voice_url};
use chat_wire::seed::parse_body;
use chat_wire::seed::requests::{
    Confirmation, Credentials, DownloadQuery, FriendQuery, GroupCursors, GroupRef, NewApplication,
    NewGroup, NewMembers, NewUser, Search, SeedSend, Since,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    bodies(data);
    queries(data);
});

fn bodies(data: &[u8]) {
    // Shapes without numbers: parsing is all there is.
    let _ = parse_body::<NewUser>(data);
    let _ = parse_body::<Credentials>(data);
    let _ = parse_body::<Search>(data);
    let _ = parse_body::<FriendQuery>(data);
    let _ = parse_body::<NewGroup>(data);
    let application = parse_body::<NewApplication>(data);
    let confirmation = parse_body::<Confirmation>(data);
    let members = parse_body::<NewMembers>(data);
    let cursors = parse_body::<GroupCursors>(data);
    let send = parse_body::<SeedSend>(data);
    if let Ok(send) = &send {
        match voice_content(&send.content) {
            VoiceContent::Upload(id) => {
                assert!(id > 0);
                assert_eq!(voice_url(id), send.content.trim());
            }
            VoiceContent::Malformed => assert!(send.content.trim().starts_with(PREFIX)),
            VoiceContent::Foreign => assert!(!send.content.trim().starts_with(PREFIX)),
        }
    }
    // The same body as plain JSON, to read the loose numbers independently. serde skips the
    // fields a shape does not know without checking their strings, so a body the shapes accept
    // may hold bytes that are not UTF-8 (or a lone surrogate) there: such bodies are left out
    // of the cross-checks.
    let Ok(raw) = parse_body::<Value>(String::from_utf8_lossy(data).as_bytes()) else {
        return;
    };
    if let Ok(application) = application {
        assert_id(&raw["targetUser"], application.target_user);
    }
    if let Ok(confirmation) = confirmation {
        assert_id(&raw["proposerId"], confirmation.proposer_id);
        assert_id(&raw["targetUser"], confirmation.target_user);
        assert_eq!(loose(&raw["applyPass"]), Some(confirmation.apply_pass));
    }
    if let Ok(members) = members {
        assert_id(&raw["groupId"], members.group_id);
    }
    if let Ok(cursors) = cursors {
        for (at, cursor) in cursors.group_list.iter().enumerate() {
            let item = &raw["groupList"][at];
            assert_id(&item["groupId"], cursor.group_id);
            assert_eq!(optional(&item["msgId"]), cursor.msg_id);
        }
    }
    if let Ok(send) = send {
        assert_eq!(loose(&raw["chatType"]), Some(send.chat_type));
        for (field, parsed) in [
            ("contentType", send.content_type),
            ("sendUserId", send.send_user_id),
            ("receiveUserId", send.receive_user_id),
            ("friendId", send.friend_id),
            ("groupId", send.group_id),
            ("dateTime", send.date_time),
            ("contentLen", send.content_len),
        ] {
            assert_eq!(optional(&raw[field]), parsed, "{field}");
        }
    }
}

fn queries(data: &[u8]) {
    let _ = serde_urlencoded::from_bytes::<Since>(data);
    let _ = serde_urlencoded::from_bytes::<GroupRef>(data);
    if let Ok(DownloadQuery {
        file_name: Some(key),
    }) = serde_urlencoded::from_bytes::<DownloadQuery>(data)
        && let Some(id) = key_file_id(&key)
    {
        assert!(id > 0);
        assert_eq!(key_file_id(&voice_url(id)), Some(id));
        assert_eq!(key_file_id(&format!("/{id}")), Some(id));
        assert_eq!(voice_content(&voice_url(id)), VoiceContent::Upload(id));
    }
}

/// A loose number read independently: a JSON integer, or a string that is one once trimmed.
fn loose(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// An optional loose number: absent, null and a blank string are none.
fn optional(value: &Value) -> Option<i64> {
    match value {
        Value::Null => None,
        Value::String(text) if text.trim().is_empty() => None,
        other => Some(loose(other).expect("an accepted optional number is a number")),
    }
}

fn assert_id(raw: &Value, parsed: u64) {
    assert!(parsed > 0, "id {parsed}");
    assert_eq!(
        loose(raw).and_then(|id| u64::try_from(id).ok()),
        Some(parsed)
    );
}
