//! A chat message in the seed's shape, for `sendMsg`, both pulls and WebSocket frame 2: `msgId`
//! is our message id, `friendId` the conversation as the viewer's client files it (the other
//! party of a direct chat, the group of a group chat).

use chat_proto::common as pb;
use chat_wire::Content;
use serde::Serialize;

use chat_wire::seed::fields::created_at;
use chat_wire::seed::file_url::voice_url;

/// `chatType`.
pub const DIRECT: i64 = 1;
pub const GROUP: i64 = 2;
/// `contentType`.
pub const TEXT: i64 = 1;
pub const VOICE: i64 = 2;

/// A message as the seed client reads it.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedMessage {
    pub msg_id: u64,
    pub send_user_id: u64,
    /// The recipient of a direct message; for a group message, the viewer (the seed echoed the
    /// group id, and its client then hid the rows).
    pub receive_user_id: u64,
    pub friend_id: u64,
    /// The group, or -1 for a direct message.
    pub group_id: i64,
    pub chat_type: i64,
    pub content_type: i64,
    pub content: String,
    /// A voice note's length in seconds; null otherwise.
    pub content_len: Option<u32>,
    pub date_time: i64,
    pub created_at: String,
}

/// What the seed can show of our content: (contentType, content, contentLen). Pictures and
/// files read as their URL in a text message, custom content as its JSON; recalled messages
/// and recall events are not shown at all (None).
pub fn seed_content(content: Content) -> Option<(i64, String, Option<u32>)> {
    match content {
        Content::Text { text } => Some((TEXT, text, None)),
        Content::Voice {
            url,
            duration_ms,
            file_id,
            ..
        } => {
            // An upload (from the seed path or ours) reads as the address the seed client can
            // download through `file/download`; an older bare address as it is.
            let url = if file_id == 0 {
                url
            } else {
                voice_url(file_id)
            };
            Some((VOICE, url, Some(duration_ms.div_ceil(1000))))
        }
        Content::Image { url, .. } | Content::File { url, .. } => Some((TEXT, url, None)),
        Content::Custom { data } => Some((TEXT, data.to_string(), None)),
        Content::Recalled { .. } => None,
    }
}

impl SeedMessage {
    /// `message` as `viewer` sees it; None when the seed cannot show it.
    pub fn for_viewer(message: &pb::ChatMessage, viewer: u64) -> Option<Self> {
        let content = Content::try_from(message.content.clone()?).ok()?;
        let (content_type, content, content_len) = seed_content(content)?;
        let group = message.kind == pb::ConversationKind::Group as i32;
        let (chat_type, receive_user_id, friend_id, group_id) = if group {
            let group_id = i64::try_from(message.target_id).ok()?;
            (GROUP, viewer, message.target_id, group_id)
        } else {
            let peer = if viewer == message.sender_id {
                message.target_id
            } else {
                message.sender_id
            };
            (DIRECT, message.target_id, peer, -1)
        };
        Some(Self {
            msg_id: message.message_id,
            send_user_id: message.sender_id,
            receive_user_id,
            friend_id,
            group_id,
            chat_type,
            content_type,
            content,
            content_len,
            date_time: message.server_time_ms,
            created_at: created_at(message.server_time_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_proto::common::message_content::Body;

    fn message(kind: pb::ConversationKind, body: Body) -> pb::ChatMessage {
        pb::ChatMessage {
            message_id: 900,
            conversation_id: String::new(),
            kind: kind as i32,
            seq: 3,
            sender_id: 11,
            client_msg_id: "c".into(),
            content: Some(pb::MessageContent { body: Some(body) }),
            server_time_ms: 1_700_000_000_123,
            target_id: 22,
        }
    }

    fn text(text: &str) -> Body {
        Body::Text(pb::TextContent { text: text.into() })
    }

    #[test]
    fn a_direct_message_is_filed_under_the_other_party() {
        let direct = message(pb::ConversationKind::Direct, text("hi"));
        let at_recipient = SeedMessage::for_viewer(&direct, 22).unwrap();
        assert_eq!(
            (
                at_recipient.friend_id,
                at_recipient.receive_user_id,
                at_recipient.group_id
            ),
            (11, 22, -1)
        );
        let at_sender = SeedMessage::for_viewer(&direct, 11).unwrap();
        assert_eq!(at_sender.friend_id, 22);
        assert_eq!(
            (at_sender.chat_type, at_sender.content_type),
            (DIRECT, TEXT)
        );
        assert_eq!(at_sender.content, "hi");
        assert_eq!(at_sender.date_time, 1_700_000_000_123);
    }

    #[test]
    fn a_group_message_names_the_reader_as_recipient() {
        let group = message(pb::ConversationKind::Group, text("all"));
        let seen = SeedMessage::for_viewer(&group, 33).unwrap();
        assert_eq!(
            (
                seen.friend_id,
                seen.group_id,
                seen.receive_user_id,
                seen.chat_type
            ),
            (22, 22, 33, GROUP)
        );
    }

    #[test]
    fn voice_notes_carry_their_length_in_seconds() {
        let voice = Body::Voice(pb::VoiceContent {
            url: "https://x/v.webm".into(),
            duration_ms: 2_100,
            ..Default::default()
        });
        let seen =
            SeedMessage::for_viewer(&message(pb::ConversationKind::Direct, voice), 22).unwrap();
        assert_eq!(
            (seen.content_type, seen.content.as_str(), seen.content_len),
            (VOICE, "https://x/v.webm", Some(3))
        );
    }

    #[test]
    fn an_uploaded_voice_note_reads_as_its_seed_address() {
        // As the message service stores it: our download path filled in from the file row.
        let voice = Body::Voice(pb::VoiceContent {
            url: "/api/v1/files/31".into(),
            duration_ms: 4_000,
            mime: "audio/webm".into(),
            size_bytes: 16,
            file_id: 31,
        });
        let seen =
            SeedMessage::for_viewer(&message(pb::ConversationKind::Direct, voice), 22).unwrap();
        assert_eq!(
            (seen.content_type, seen.content.as_str(), seen.content_len),
            (VOICE, "/api/v1/file/chat/31", Some(4))
        );
    }

    #[test]
    fn recalled_messages_are_not_shown() {
        let recalled = Body::Recalled(pb::RecalledContent {
            recalled_at_ms: 1,
            ..Default::default()
        });
        assert!(
            SeedMessage::for_viewer(&message(pb::ConversationKind::Direct, recalled), 22).is_none()
        );
    }
}
