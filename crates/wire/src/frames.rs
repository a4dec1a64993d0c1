//! The WebSocket protocol: JSON text frames, each an object tagged by `"type"`. `docs/protocol.md`
//! shows an example of every frame; the close codes are here too, so server and client agree.

use serde::{Deserialize, Serialize};

use crate::{ChatMessage, Content, ConversationKind};

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// A message; answered by `ack` (or `error` naming the same `client_msg_id`).
    Send {
        client_msg_id: String,
        kind: ConversationKind,
        target_id: u64,
        content: Content,
    },
    /// Moves my read cursor up to `seq` (never back); answered by `read_ack`.
    Read { conversation_id: String, seq: u64 },
    /// "I am typing" for the others in the conversation (not stored, not acknowledged).
    Typing { conversation_id: String },
    /// Answered by `pong` (the server also pings at the WebSocket level).
    Ping,
}

impl ClientFrame {
    /// Reads a client's text message: what the gateway does with every frame (and the fuzz
    /// target `client_frame`).
    pub fn parse(text: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(text)
    }
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The first frame of a session.
    Hello {
        user_id: u64,
        session_id: String,
        /// The tag of the gateway holding the session.
        gateway: String,
        /// How often the server pings; silence for `idle_timeout_s` ends the session.
        heartbeat_s: u64,
        idle_timeout_s: u64,
    },
    /// A `send` was committed (or had been, for a retry: `duplicate`).
    Ack {
        client_msg_id: String,
        message_id: u64,
        conversation_id: String,
        seq: u64,
        server_time_ms: i64,
        duplicate: bool,
    },
    /// A `read` moved the cursor to `read_seq`.
    ReadAck {
        conversation_id: String,
        read_seq: u64,
        unread: u64,
    },
    /// A frame failed; `client_msg_id` names the `send` it answers, if any. A `rate_limited`
    /// refusal says in `retry_after_s` when the same frame will be taken again.
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_s: Option<u64>,
    },
    /// A new message in one of my conversations (mine too, from my other sessions).
    Message {
        message: ChatMessage,
    },
    /// A message was recalled; `recall_seq` is the recall event's own seq.
    Recall {
        conversation_id: String,
        seq: u64,
        recall_seq: u64,
        sender_id: u64,
        recalled_at_ms: i64,
    },
    /// Someone read up to `read_seq` (the peer in 1:1, or me on another device).
    ReadReceipt {
        conversation_id: String,
        reader_id: u64,
        read_seq: u64,
    },
    /// A friend request, group event, ... (the REST notification shape).
    Notification {
        notification: serde_json::Value,
    },
    /// A friend came online or went offline.
    Presence {
        user_id: u64,
        online: bool,
        last_seen_ms: i64,
    },
    Typing {
        conversation_id: String,
        user_id: u64,
    },
    /// This user is now served by another gateway: reconnect (through the balancer) and resync.
    Moved {
        reason: String,
    },
    /// The session ends for `reason` (another device took its place, logout, ...).
    Kicked {
        reason: String,
    },
    Pong,
}

/// Close codes the server uses.
pub mod close {
    /// Going away (an intermediary shutting down); gateways close with [`MOVED`] when they do.
    pub const GOING_AWAY: u16 = 1001;
    /// RFC 6455 protocol error: a reserved bit or opcode, a fragmented or oversized control
    /// frame, a continuation out of place, a malformed close frame.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// Policy violation: the client did not read its frames fast enough; reconnect and resync.
    pub const SLOW_CONSUMER: u16 = 1008;
    /// A frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// The user moved to another gateway, or this one shuts down (after `moved`): reconnect
    /// and resync.
    pub const MOVED: u16 = 4001;
    /// The session was ended on purpose (after `kicked`): do not reconnect blindly.
    pub const KICKED: u16 = 4002;
    /// No frame (not even a pong) within the idle timeout.
    pub const IDLE: u16 = 4003;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_frames_read_as_documented() {
        let send: ClientFrame = serde_json::from_value(json!({
            "type": "send", "client_msg_id": "c1", "kind": "direct", "target_id": 7,
            "content": {"type": "text", "text": "hi"}
        }))
        .expect("a send frame");
        assert!(matches!(send, ClientFrame::Send { target_id: 7, .. }));
        let ping: ClientFrame = serde_json::from_str(r#"{"type":"ping"}"#).expect("ping");
        assert_eq!(ping, ClientFrame::Ping);
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"dance"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"read"}"#).is_err());
    }

    #[test]
    fn server_frames_are_tagged_and_skip_absent_ids() {
        let error = ServerFrame::Error {
            code: "bad_frame".into(),
            message: "nope".into(),
            client_msg_id: None,
            retry_after_s: None,
        };
        assert_eq!(
            serde_json::to_value(&error).expect("serializes"),
            json!({"type": "error", "code": "bad_frame", "message": "nope"})
        );
        let text = serde_json::to_string(&ServerFrame::Pong).expect("serializes");
        assert_eq!(text, r#"{"type":"pong"}"#);
        let back: ServerFrame = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, ServerFrame::Pong);
    }
}
