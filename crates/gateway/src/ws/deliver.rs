//! Push delivery: each push of an envelope is turned into one server frame, serialized once,
//! and queued to the local sessions of its recipients. Users not connected here are skipped
//! (they sync on connect); repeats (RocketMQ delivers at least once) are dropped by
//! conversation + seq (messages, recalls) or notification id.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use chat_mq::{Push, PushEnvelope};
use chat_proto::push::push::Payload;
use chat_wire::ServerFrame;
use chat_wire::frames::close;

use super::hub::{Hub, Outbound};
use super::session::encode;
use crate::rest::notifications::notification_json;

/// How many delivered keys are remembered for dropping repeats.
const REMEMBERED: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Message(String, u64),
    Notification(u64),
}

/// A bounded memory of what was delivered.
#[derive(Default)]
struct Recent {
    seen: HashSet<Key>,
    order: VecDeque<Key>,
}

impl Recent {
    /// True the first time `key` is offered.
    fn first(&mut self, key: Key) -> bool {
        if self.seen.contains(&key) {
            return false;
        }
        if self.order.len() >= REMEMBERED
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        self.seen.insert(key.clone());
        self.order.push_back(key);
        true
    }
}

/// Delivers envelopes to this gateway's sessions.
pub struct Deliverer {
    hub: Arc<Hub>,
    recent: Mutex<Recent>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Deliverer {
    pub fn new(hub: Arc<Hub>) -> Self {
        Self {
            hub,
            recent: Mutex::default(),
        }
    }

    pub fn deliver(&self, envelope: PushEnvelope) {
        metrics::counter!("chat_gateway_pushes_received_total")
            .increment(envelope.pushes.len() as u64);
        let delay_ms = now_ms().saturating_sub(envelope.produced_at_ms).max(0);
        metrics::histogram!("chat_gateway_push_delay_seconds").record(delay_ms as f64 / 1000.0);
        for push in envelope.pushes {
            self.deliver_one(push);
        }
    }

    fn deliver_one(&self, push: Push) {
        let Some(payload) = push.payload else { return };
        if let Some(key) = key_of(&payload)
            && !self
                .recent
                .lock()
                .map(|mut recent| recent.first(key))
                .unwrap_or(true)
        {
            metrics::counter!("chat_gateway_duplicate_pushes_total").increment(1);
            return;
        }
        if let Payload::SessionRevoked(revoked) = &payload {
            return self.revoke(revoked);
        }
        let Some(frame) = frame_of(payload) else {
            return;
        };
        let bytes = encode(&frame);
        for user in push.recipient_ids {
            for session in self.hub.sessions_of(user) {
                if session.id != push.exclude_session_id {
                    session.offer(Outbound::Text(bytes.clone()));
                }
            }
        }
    }

    fn revoke(&self, revoked: &chat_proto::push::SessionRevoked) {
        let frame = encode(&ServerFrame::Kicked {
            reason: revoked.reason.clone(),
        });
        for session in self.hub.sessions_of(revoked.user_id) {
            if revokes(revoked, &session.login_session) {
                session.end_with(frame.clone(), close::KICKED, &revoked.reason);
            }
        }
    }
}

/// Whether a revocation ends a connection of `login_session`: the listed login sessions end,
/// or when none is listed, every one but those kept.
fn revokes(revoked: &chat_proto::push::SessionRevoked, login_session: &str) -> bool {
    if revoked.end_session_ids.is_empty() {
        !revoked
            .keep_session_ids
            .iter()
            .any(|keep| keep == login_session)
    } else {
        revoked
            .end_session_ids
            .iter()
            .any(|end| end == login_session)
    }
}

fn key_of(payload: &Payload) -> Option<Key> {
    match payload {
        Payload::Message(message) => {
            Some(Key::Message(message.conversation_id.clone(), message.seq))
        }
        Payload::Recall(recall) => Some(Key::Message(
            recall.conversation_id.clone(),
            recall.recall_seq,
        )),
        Payload::Notification(notification) => {
            Some(Key::Notification(notification.notification_id))
        }
        _ => None,
    }
}

/// The frame a push becomes; a message that does not convert is dropped (sync still has it).
fn frame_of(payload: Payload) -> Option<ServerFrame> {
    Some(match payload {
        Payload::Message(message) => match chat_wire::ChatMessage::try_from(message) {
            Ok(message) => ServerFrame::Message { message },
            Err(problem) => {
                tracing::warn!(%problem, "a pushed message does not convert; dropped");
                return None;
            }
        },
        Payload::Recall(recall) => ServerFrame::Recall {
            conversation_id: recall.conversation_id,
            seq: recall.seq,
            recall_seq: recall.recall_seq,
            sender_id: recall.sender_id,
            recalled_at_ms: recall.recalled_at_ms,
        },
        Payload::ReadReceipt(receipt) => ServerFrame::ReadReceipt {
            conversation_id: receipt.conversation_id,
            reader_id: receipt.reader_id,
            read_seq: receipt.read_seq,
        },
        Payload::Notification(notification) => ServerFrame::Notification {
            notification: notification_json(&notification),
        },
        Payload::Presence(presence) => ServerFrame::Presence {
            user_id: presence.user_id,
            online: presence.online,
            last_seen_ms: presence.last_seen_ms,
        },
        Payload::Typing(typing) => ServerFrame::Typing {
            conversation_id: typing.conversation_id,
            user_id: typing.user_id,
        },
        Payload::SessionRevoked(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_first_once_and_memory_is_bounded() {
        let mut recent = Recent::default();
        assert!(recent.first(Key::Message("d:1:2".into(), 1)));
        assert!(!recent.first(Key::Message("d:1:2".into(), 1)));
        assert!(recent.first(Key::Message("d:1:2".into(), 2)));
        assert!(recent.first(Key::Notification(1)));
        for n in 0..REMEMBERED as u64 {
            recent.first(Key::Notification(n + 10));
        }
        assert!(recent.order.len() <= REMEMBERED && recent.seen.len() <= REMEMBERED);
        assert!(
            recent.first(Key::Message("d:1:2".into(), 1)),
            "forgotten after many others"
        );
    }
}
