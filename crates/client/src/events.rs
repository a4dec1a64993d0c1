//! What the client tells the application: events, send acknowledgements and counters.

use std::sync::atomic::{AtomicU64, Ordering};

use chat_wire::{ChatMessage, Content};
use serde::Serialize;
use serde_json::Value;

use crate::seq::Sequenced;

/// Something that happened, in the order it happened. Messages and recalls come exactly once
/// and in seq order per conversation, whether pushed or recovered by sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A session is up (the first, or again after a disconnect); a resync follows.
    Connected { gateway: String, session_id: String },
    /// The session ended; the client reconnects and resyncs by itself.
    Disconnected {
        reason: String,
        /// The WebSocket close code, when the server sent one (4001 moved, 1001, 1008, ...).
        close_code: Option<u16>,
    },
    /// A message in one of my conversations (my own too, once acknowledged).
    Message(ChatMessage),
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
    Notification { notification: Value },
    /// A friend came online or went offline.
    Presence {
        user_id: u64,
        online: bool,
        last_seen_ms: i64,
    },
    /// Someone is typing in a conversation.
    Typing {
        conversation_id: String,
        user_id: u64,
    },
    /// The resync after a connect is complete: `messages` were recovered by sync and pulls
    /// rather than pushed.
    Resynced { messages: u64 },
    /// The server ended the session on purpose (close 4002: another device, logout, password
    /// change). The client has stopped.
    Kicked { reason: String },
    /// The token was refused (401) or names another user (403). The client has stopped.
    Unauthorized { code: String, message: String },
}

/// The server's acknowledgement of a send: where the message landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ack {
    pub client_msg_id: String,
    pub message_id: u64,
    pub conversation_id: String,
    pub seq: u64,
    pub server_time_ms: i64,
    /// True when the server had stored this `client_msg_id` already (a resend).
    pub duplicate: bool,
}

/// What the tracker orders: a message or a recall event (which has its own seq).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Message(ChatMessage),
    Recall {
        conversation_id: String,
        seq: u64,
        recall_seq: u64,
        sender_id: u64,
        recalled_at_ms: i64,
    },
}

impl Item {
    /// A stored message; a recall event (content `recalled` naming another seq, as pulls
    /// return it) becomes the recall it announces, so that pushed and pulled recalls look
    /// the same to the application.
    pub fn from_message(message: ChatMessage) -> Self {
        match message.content {
            Content::Recalled {
                recalled_at_ms,
                recalled_seq,
            } if recalled_seq != message.seq => Self::Recall {
                conversation_id: message.conversation_id,
                seq: recalled_seq,
                recall_seq: message.seq,
                sender_id: message.sender_id,
                recalled_at_ms,
            },
            _ => Self::Message(message),
        }
    }

    /// The event the application sees.
    pub fn into_event(self) -> Event {
        match self {
            Self::Message(message) => Event::Message(message),
            Self::Recall {
                conversation_id,
                seq,
                recall_seq,
                sender_id,
                recalled_at_ms,
            } => Event::Recall {
                conversation_id,
                seq,
                recall_seq,
                sender_id,
                recalled_at_ms,
            },
        }
    }
}

impl Sequenced for Item {
    fn conversation_id(&self) -> &str {
        match self {
            Self::Message(message) => &message.conversation_id,
            Self::Recall {
                conversation_id, ..
            } => conversation_id,
        }
    }

    fn seq(&self) -> u64 {
        match self {
            Self::Message(message) => message.seq,
            Self::Recall { recall_seq, .. } => *recall_seq,
        }
    }
}

/// Counters for tests and benchmarks (a snapshot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Sessions established (hello received).
    pub connects: u64,
    /// Sessions established after the first.
    pub reconnects: u64,
    /// Connection attempts that failed (refused, unreachable, no hello).
    pub failed_attempts: u64,
    /// Messages and recalls delivered as pushed (or acknowledged, for my own).
    pub delivered_pushed: u64,
    /// Messages and recalls delivered from sync and pulls (missed by pushes).
    pub recovered: u64,
    /// Pushed items dropped because they had been delivered (or were waiting) already.
    pub duplicates_dropped: u64,
    /// Pages pulled (resync, gaps).
    pub pulls: u64,
    /// Sends written again (after a reconnect, or after `unavailable`).
    pub resent: u64,
}

/// The live counters behind `Stats`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub connects: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub delivered_pushed: AtomicU64,
    pub recovered: AtomicU64,
    pub duplicates_dropped: AtomicU64,
    pub pulls: AtomicU64,
    pub resent: AtomicU64,
}

impl Counters {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The current values.
    pub fn snapshot(&self) -> Stats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let connects = read(&self.connects);
        Stats {
            connects,
            reconnects: connects.saturating_sub(1),
            failed_attempts: read(&self.failed_attempts),
            delivered_pushed: read(&self.delivered_pushed),
            recovered: read(&self.recovered),
            duplicates_dropped: read(&self.duplicates_dropped),
            pulls: read(&self.pulls),
            resent: read(&self.resent),
        }
    }
}

#[cfg(test)]
mod tests {
    use chat_wire::ConversationKind;
    use serde_json::json;

    use super::*;

    fn message(seq: u64, content: Content) -> ChatMessage {
        ChatMessage {
            message_id: 100 + seq,
            conversation_id: "d:1:2".into(),
            kind: ConversationKind::Direct,
            seq,
            sender_id: 1,
            client_msg_id: format!("c{seq}"),
            content,
            server_time_ms: 5,
            target_id: 2,
        }
    }

    #[test]
    fn a_pulled_recall_event_becomes_the_recall_it_announces() {
        let event = message(
            9,
            Content::Recalled {
                recalled_at_ms: 77,
                recalled_seq: 4,
            },
        );
        let item = Item::from_message(event);
        assert_eq!(item.seq(), 9, "ordered by the event's own seq");
        assert_eq!(
            item.into_event(),
            Event::Recall {
                conversation_id: "d:1:2".into(),
                seq: 4,
                recall_seq: 9,
                sender_id: 1,
                recalled_at_ms: 77,
            }
        );
    }

    #[test]
    fn a_recalled_message_itself_stays_a_message() {
        let recalled = message(
            4,
            Content::Recalled {
                recalled_at_ms: 77,
                recalled_seq: 4,
            },
        );
        assert!(matches!(
            Item::from_message(recalled).into_event(),
            Event::Message(m) if m.seq == 4
        ));
    }

    #[test]
    fn events_print_as_one_tagged_json_object() {
        let event = Event::Message(message(3, Content::Text { text: "hi".into() }));
        let value = serde_json::to_value(&event).unwrap();
        assert_eq!(value["event"], json!("message"));
        assert_eq!(value["seq"], json!(3));
        assert_eq!(value["content"], json!({"type": "text", "text": "hi"}));
        let disconnected = Event::Disconnected {
            reason: "moved".into(),
            close_code: Some(4001),
        };
        assert_eq!(
            serde_json::to_value(&disconnected).unwrap(),
            json!({"event": "disconnected", "reason": "moved", "close_code": 4001})
        );
    }

    #[test]
    fn reconnects_are_connects_after_the_first() {
        let counters = Counters::default();
        assert_eq!(counters.snapshot().reconnects, 0);
        Counters::add(&counters.connects, 3);
        assert_eq!(counters.snapshot().reconnects, 2);
    }
}
