//! `chatMsg/sendMsg`: a message through the same message service as our own sends, so the same
//! rules hold (only friends, only unmuted members, blocks). The seed sends no id of its own for
//! a message, so the client message id is derived from what a retry repeats (conversation,
//! compose time and content): a resend after the client's 5 s timeout is stored once.

use crate::limits::Action;
use chat_wire::seed::requests::SeedSend;
use std::sync::Arc;

use axum::extract::State;
use chat_proto::common as pb_common;
use chat_proto::common::message_content::Body;
use chat_proto::message as pb;
use sha2::{Digest, Sha256};

use super::SeedState;
use super::auth::SeedCaller;
use super::body::SeedBody;
use super::envelope::{Done, SeedError, SeedResult, code};
use super::msg::{DIRECT, GROUP, SeedMessage, TEXT, VOICE};
use chat_wire::seed::file_url::{VoiceContent, voice_content};

/// Where a send goes: (kind, target) from the seed's fields.
fn target(body: &SeedSend) -> Result<(pb_common::ConversationKind, u64), SeedError> {
    let positive =
        |value: Option<i64>| value.and_then(|v| u64::try_from(v).ok()).filter(|v| *v > 0);
    match body.chat_type {
        DIRECT => positive(body.receive_user_id)
            .or(positive(body.friend_id))
            .map(|peer| (pb_common::ConversationKind::Direct, peer))
            .ok_or_else(|| SeedError::bad_request("a direct message needs receiveUserId")),
        GROUP => positive(body.group_id)
            .or(positive(body.receive_user_id))
            .map(|group| (pb_common::ConversationKind::Group, group))
            .ok_or_else(|| SeedError::bad_request("a group message needs groupId")),
        _ => Err(SeedError::bad_request(
            "chatType is 1 (direct) or 2 (group)",
        )),
    }
}

/// The message body from `contentType` and `content`. Built as the proto directly (fields
/// this profile does not know stay at their defaults).
fn content(body: &SeedSend) -> Result<pb_common::MessageContent, SeedError> {
    let body = match body.content_type.unwrap_or(TEXT) {
        TEXT => Body::Text(pb_common::TextContent {
            text: body.content.clone(),
        }),
        VOICE => {
            let seconds = body
                .content_len
                .unwrap_or(0)
                .clamp(0, i64::from(u32::MAX / 1000));
            let duration_ms = u32::try_from(seconds * 1000).unwrap_or(0);
            match voice_content(&body.content) {
                // Our upload: the message service checks it is the sender's own voice upload
                // and fills its address, type and size, so every client of ours can play it.
                VoiceContent::Upload(file_id) => Body::Voice(pb_common::VoiceContent {
                    file_id,
                    duration_ms,
                    ..Default::default()
                }),
                // An address elsewhere (the seed's own store, say) is kept as it is, as our
                // API keeps a bare `url`: older seed data may carry such addresses.
                VoiceContent::Foreign => Body::Voice(pb_common::VoiceContent {
                    url: body.content.clone(),
                    duration_ms,
                    ..Default::default()
                }),
                VoiceContent::Malformed => {
                    return Err(SeedError::bad_request(
                        "a voice note's content is the address file/upload answered",
                    ));
                }
            }
        }
        _ => {
            return Err(SeedError::bad_request(
                "contentType is 1 (text) or 2 (voice)",
            ));
        }
    };
    Ok(pb_common::MessageContent { body: Some(body) })
}

/// The client message id: the same for a resend of the same message (same conversation,
/// compose time and content), random when the client gave no compose time.
fn client_msg_id(body: &SeedSend, kind: pb_common::ConversationKind, target: u64) -> String {
    match body.date_time.filter(|time| *time > 0) {
        Some(time) => {
            let mut hash = Sha256::new();
            hash.update(format!(
                "{}:{target}:{time}:{:?}:",
                kind as i32, body.content_type
            ));
            hash.update(body.content.as_bytes());
            let digest = hash.finalize();
            format!("seed-{}", chat_common::hex::lower(&digest[..16]))
        }
        None => {
            let mut random = [0u8; 16];
            // Without randomness the id is still unique enough from the clock and a counter.
            if getrandom::fill(&mut random).is_err() {
                random[..8].copy_from_slice(&now_ns().to_le_bytes());
            }
            format!("seed-r{}", chat_common::hex::lower(&random))
        }
    }
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
}

/// `chatMsg/sendMsg`: `data` is the stored message (`msgId`, `dateTime` as the server stored
/// it). A message to someone who is not a friend, or to a group one is not in, is code 403.
pub async fn send_msg(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedBody(body): SeedBody<SeedSend>,
) -> SeedResult<SeedMessage> {
    state
        .limits
        .check(Action::Send, Some(caller.user_id), &caller.addr)
        .await?;
    if body
        .send_user_id
        .is_some_and(|sender| u64::try_from(sender).ok() != Some(caller.user_id))
    {
        return Err(SeedError::new(
            code::FORBIDDEN,
            "sendUserId is not the token's user",
        ));
    }
    let (kind, target_id) = target(&body)?;
    let proto_content = content(&body)?;
    let reply = state
        .message
        .clone()
        .send(pb::SendRequest {
            actor_id: caller.user_id,
            kind: kind as i32,
            target_id,
            client_msg_id: client_msg_id(&body, kind, target_id),
            content: Some(proto_content.clone()),
            // Not from a WebSocket session: the sender's seed sessions never echo their own
            // messages anyway (see the seed WebSocket dialect).
            origin_session_id: String::new(),
        })
        .await?
        .into_inner();
    let stored = pb_common::ChatMessage {
        message_id: reply.message_id,
        conversation_id: reply.conversation_id,
        kind: kind as i32,
        seq: reply.seq,
        sender_id: caller.user_id,
        client_msg_id: String::new(),
        content: Some(proto_content),
        server_time_ms: reply.server_time_ms,
        target_id,
    };
    SeedMessage::for_viewer(&stored, caller.user_id)
        .map(Done)
        .ok_or_else(|| SeedError::new(code::INTERNAL, "the stored message cannot be shown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> SeedSend {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn direct_and_group_targets_come_from_the_seeds_fields() {
        let direct =
            body(r#"{"chatType":1,"content":"hi","receiveUserId":5,"friendId":5,"groupId":-1}"#);
        assert_eq!(
            target(&direct).unwrap(),
            (pb_common::ConversationKind::Direct, 5)
        );
        let group =
            body(r#"{"chatType":2,"content":"hi","receiveUserId":9,"friendId":9,"groupId":9}"#);
        assert_eq!(
            target(&group).unwrap(),
            (pb_common::ConversationKind::Group, 9)
        );
        assert!(target(&body(r#"{"chatType":3,"content":"x"}"#)).is_err());
        assert!(target(&body(r#"{"chatType":1,"content":"x","groupId":-1}"#)).is_err());
    }

    #[test]
    fn a_resend_has_the_same_client_message_id() {
        let json = r#"{"chatType":1,"content":"hi","receiveUserId":5,"dateTime":1700000000000}"#;
        let kind = pb_common::ConversationKind::Direct;
        let first = client_msg_id(&body(json), kind, 5);
        assert_eq!(first, client_msg_id(&body(json), kind, 5));
        assert!(first.len() <= 64);
        let other = r#"{"chatType":1,"content":"hi!","receiveUserId":5,"dateTime":1700000000000}"#;
        assert_ne!(first, client_msg_id(&body(other), kind, 5));
        let untimed = r#"{"chatType":1,"content":"hi","receiveUserId":5}"#;
        assert_ne!(
            client_msg_id(&body(untimed), kind, 5),
            client_msg_id(&body(untimed), kind, 5)
        );
    }

    #[test]
    fn voice_notes_keep_their_length() {
        let voice =
            body(r#"{"chatType":1,"content":"https://h/v","contentType":2,"contentLen":4}"#);
        match content(&voice).unwrap().body {
            Some(Body::Voice(note)) => {
                assert_eq!((note.url.as_str(), note.duration_ms), ("https://h/v", 4000));
            }
            other => panic!("{other:?}"),
        }
        assert!(content(&body(r#"{"chatType":1,"content":"x","contentType":7}"#)).is_err());
    }

    #[test]
    fn a_voice_note_uploaded_here_names_its_file() {
        let voice = body(
            r#"{"chatType":1,"content":"/api/v1/file/chat/31","contentType":2,"contentLen":"5"}"#,
        );
        match content(&voice).unwrap().body {
            Some(Body::Voice(note)) => {
                assert_eq!(
                    (note.file_id, note.url.as_str(), note.duration_ms),
                    (31, "", 5000)
                );
            }
            other => panic!("{other:?}"),
        }
        let malformed = body(r#"{"chatType":1,"content":"/api/v1/file/chat/x","contentType":2}"#);
        assert!(content(&malformed).is_err());
    }
}
