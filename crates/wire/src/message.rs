//! Stored messages and conversations as clients see them. These are server output: they convert
//! from the proto types only.

use chat_proto::common as pb_common;
use chat_proto::message as pb;
use serde::{Deserialize, Serialize};

use crate::{Content, WireError};

/// Whether a conversation is between two users or in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// 1:1; `target_id` is the peer.
    Direct,
    /// A group; `target_id` is the group.
    Group,
}

/// Proto enums arrive as `i32`; an unspecified or newer kind is refused rather than guessed.
impl TryFrom<i32> for ConversationKind {
    type Error = WireError;

    fn try_from(kind: i32) -> Result<Self, Self::Error> {
        match pb_common::ConversationKind::try_from(kind) {
            Ok(pb_common::ConversationKind::Direct) => Ok(Self::Direct),
            Ok(pb_common::ConversationKind::Group) => Ok(Self::Group),
            _ => Err(WireError::UnknownKind(kind)),
        }
    }
}

impl From<ConversationKind> for pb_common::ConversationKind {
    fn from(kind: ConversationKind) -> Self {
        match kind {
            ConversationKind::Direct => Self::Direct,
            ConversationKind::Group => Self::Group,
        }
    }
}

/// A committed message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub message_id: u64,
    /// `d:{low}:{high}` for 1:1, `g:{group_id}` for a group.
    pub conversation_id: String,
    pub kind: ConversationKind,
    /// Strictly increasing within the conversation; a gap means missed messages.
    pub seq: u64,
    pub sender_id: u64,
    /// The sender's own id for the message, so that a sender recognises its retries.
    pub client_msg_id: String,
    pub content: Content,
    pub server_time_ms: i64,
    /// For 1:1 the recipient (the sender's peer, as in the send request); for a group, the group.
    pub target_id: u64,
}

impl TryFrom<pb_common::ChatMessage> for ChatMessage {
    type Error = WireError;

    fn try_from(message: pb_common::ChatMessage) -> Result<Self, Self::Error> {
        let content = message
            .content
            .ok_or(WireError::Missing("message content"))?;
        Ok(Self {
            message_id: message.message_id,
            conversation_id: message.conversation_id,
            kind: message.kind.try_into()?,
            seq: message.seq,
            sender_id: message.sender_id,
            client_msg_id: message.client_msg_id,
            content: content.try_into()?,
            server_time_ms: message.server_time_ms,
            target_id: message.target_id,
        })
    }
}

/// One of my conversations with its read state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub conversation_id: String,
    pub kind: ConversationKind,
    /// The peer for 1:1, the group for a group.
    pub target_id: u64,
    /// `null` when the conversation has no message I can see.
    #[serde(default)]
    pub last_message: Option<ChatMessage>,
    pub max_seq: u64,
    pub read_seq: u64,
    /// Messages after my read cursor, not counting my own.
    pub unread: u64,
    pub last_activity_ms: i64,
}

impl TryFrom<pb::Conversation> for Conversation {
    type Error = WireError;

    fn try_from(conversation: pb::Conversation) -> Result<Self, Self::Error> {
        Ok(Self {
            conversation_id: conversation.conversation_id,
            kind: conversation.kind.try_into()?,
            target_id: conversation.target_id,
            last_message: conversation
                .last_message
                .map(ChatMessage::try_from)
                .transpose()?,
            max_seq: conversation.max_seq,
            read_seq: conversation.read_seq,
            unread: conversation.unread,
            last_activity_ms: conversation.last_activity_ms,
        })
    }
}

/// A conversation with unread messages and the oldest of them, as sync at login returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnreadConversation {
    pub conversation: Conversation,
    /// Oldest first.
    pub messages: Vec<ChatMessage>,
    /// More unread messages follow; pull them with `after` the last seq here.
    pub has_more: bool,
}

impl TryFrom<pb::UnreadConversation> for UnreadConversation {
    type Error = WireError;

    fn try_from(unread: pb::UnreadConversation) -> Result<Self, Self::Error> {
        let conversation = unread
            .conversation
            .ok_or(WireError::Missing("conversation"))?;
        Ok(Self {
            conversation: conversation.try_into()?,
            messages: messages(unread.messages)?,
            has_more: unread.has_more,
        })
    }
}

/// Converts a page of messages; one message that does not fit fails the page, since a page with
/// a hole would look like a seq gap to the client.
pub(crate) fn messages(
    messages: Vec<pb_common::ChatMessage>,
) -> Result<Vec<ChatMessage>, WireError> {
    messages.into_iter().map(ChatMessage::try_from).collect()
}

#[cfg(test)]
mod tests {
    use chat_proto::common::message_content::Body;
    use serde_json::json;

    use super::*;

    fn text(text: &str) -> pb_common::MessageContent {
        pb_common::MessageContent {
            body: Some(Body::Text(pb_common::TextContent { text: text.into() })),
        }
    }

    fn stored(seq: u64) -> pb_common::ChatMessage {
        pb_common::ChatMessage {
            message_id: 9_000 + seq,
            conversation_id: "d:12:34".into(),
            kind: pb_common::ConversationKind::Direct as i32,
            seq,
            sender_id: 12,
            client_msg_id: format!("c-{seq}"),
            content: Some(text("hi")),
            server_time_ms: 1_700_000_000_000,
            target_id: 34,
        }
    }

    #[test]
    fn a_stored_message_has_the_documented_shape() {
        let message = ChatMessage::try_from(stored(7)).unwrap();
        let value = serde_json::to_value(&message).unwrap();
        assert_eq!(
            value,
            json!({
                "message_id": 9007,
                "conversation_id": "d:12:34",
                "kind": "direct",
                "seq": 7,
                "sender_id": 12,
                "client_msg_id": "c-7",
                "content": {"type": "text", "text": "hi"},
                "server_time_ms": 1_700_000_000_000_i64,
                "target_id": 34,
            })
        );
        assert_eq!(
            serde_json::from_value::<ChatMessage>(value).unwrap(),
            message
        );
    }

    #[test]
    fn kinds_map_both_ways_and_unspecified_is_refused() {
        for kind in [ConversationKind::Direct, ConversationKind::Group] {
            let proto = pb_common::ConversationKind::from(kind) as i32;
            assert_eq!(ConversationKind::try_from(proto), Ok(kind));
        }
        assert_eq!(
            ConversationKind::try_from(0),
            Err(WireError::UnknownKind(0))
        );
        assert_eq!(
            ConversationKind::try_from(99),
            Err(WireError::UnknownKind(99))
        );
        assert_eq!(
            serde_json::to_value(ConversationKind::Group).unwrap(),
            json!("group")
        );
    }

    #[test]
    fn a_message_without_content_or_kind_is_refused() {
        let mut no_content = stored(1);
        no_content.content = None;
        assert_eq!(
            ChatMessage::try_from(no_content),
            Err(WireError::Missing("message content"))
        );
        let mut no_kind = stored(1);
        no_kind.kind = 0;
        assert_eq!(
            ChatMessage::try_from(no_kind),
            Err(WireError::UnknownKind(0))
        );
    }

    #[test]
    fn a_conversation_without_messages_shows_null_last_message() {
        let conversation = Conversation::try_from(pb::Conversation {
            conversation_id: "g:56".into(),
            kind: pb_common::ConversationKind::Group as i32,
            target_id: 56,
            last_message: None,
            max_seq: 0,
            read_seq: 0,
            unread: 0,
            last_activity_ms: 5,
        })
        .unwrap();
        let value = serde_json::to_value(&conversation).unwrap();
        assert_eq!(value["last_message"], json!(null));
        assert_eq!(value["kind"], json!("group"));
        let mut absent = value.clone();
        absent.as_object_mut().unwrap().remove("last_message");
        assert_eq!(
            serde_json::from_value::<Conversation>(absent).unwrap(),
            conversation
        );
    }

    #[test]
    fn unread_conversations_carry_their_messages_in_order() {
        let unread = UnreadConversation::try_from(pb::UnreadConversation {
            conversation: Some(pb::Conversation {
                conversation_id: "d:12:34".into(),
                kind: pb_common::ConversationKind::Direct as i32,
                target_id: 12,
                last_message: Some(stored(3)),
                max_seq: 3,
                read_seq: 1,
                unread: 2,
                last_activity_ms: 1_700_000_000_000,
            }),
            messages: vec![stored(2), stored(3)],
            has_more: false,
        })
        .unwrap();
        let seqs: Vec<u64> = unread.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, [2, 3]);
        assert_eq!(unread.conversation.last_message.map(|m| m.seq), Some(3));
    }

    #[test]
    fn an_unread_conversation_needs_its_conversation() {
        let result = UnreadConversation::try_from(pb::UnreadConversation {
            conversation: None,
            messages: vec![stored(1)],
            has_more: false,
        });
        assert_eq!(result, Err(WireError::Missing("conversation")));
    }

    #[test]
    fn one_bad_message_fails_the_whole_page() {
        assert!(matches!(
            messages(vec![stored(1), bad_custom()]),
            Err(WireError::InvalidCustomJson(_))
        ));
    }

    fn bad_custom() -> pb_common::ChatMessage {
        let mut bad = stored(2);
        bad.content = Some(pb_common::MessageContent {
            body: Some(Body::Custom(pb_common::CustomContent {
                json: "nope".into(),
            })),
        });
        bad
    }
}
