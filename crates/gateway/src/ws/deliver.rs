//! Push delivery: each push of an envelope is turned into one server frame, serialized once,
//! and queued to the local sessions of its recipients. Users not connected here are skipped
//! (they sync on connect); repeats (RocketMQ delivers at least once) are dropped by
//! conversation + seq (messages, recalls) or notification id.

use chat_common::clock::now_ms;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use chat_mq::{Push, PushEnvelope};
use chat_proto::push::push::Payload;
use chat_wire::ServerFrame;

use super::hub::{Dialect, Hub, Outbound};
use super::session::encode;
use crate::rest::notifications::notification_json;
use crate::seed::realtime::SeedPushes;

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
    /// Renders pushes for sessions speaking the seed's dialect.
    seed: Arc<SeedPushes>,
}

impl Deliverer {
    pub fn new(hub: Arc<Hub>, seed: Arc<SeedPushes>) -> Self {
        Self {
            hub,
            recent: Mutex::default(),
            seed,
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
        let sessions: Vec<_> = push
            .recipient_ids
            .iter()
            .flat_map(|user| self.hub.sessions_of(*user))
            .filter(|session| session.id != push.exclude_session_id)
            .collect();
        let (seed, ours): (Vec<_>, Vec<_>) = sessions
            .into_iter()
            .partition(|session| session.dialect == Dialect::Seed);
        if !seed.is_empty() {
            self.seed.deliver(&payload, &seed);
        }
        if ours.is_empty() {
            return;
        }
        let Some(frame) = frame_of(payload) else {
            return;
        };
        let bytes = encode(&frame);
        for session in ours {
            session.offer(Outbound::Text(bytes.clone()));
        }
    }

    fn revoke(&self, revoked: &chat_proto::push::SessionRevoked) {
        super::kick_logins(&self.hub, revoked.user_id, &revoked.reason, |login| {
            revokes(revoked, login)
        });
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
    use std::time::Duration;

    use super::super::hub::Session;
    use super::*;

    /// A session of `user` in `dialect`, added to `hub`, and its outbound queue.
    fn add(
        hub: &Arc<Hub>,
        dialect: Dialect,
        id: &str,
        user: u64,
    ) -> tokio::sync::mpsc::Receiver<Outbound> {
        let (queue, outbound) = tokio::sync::mpsc::channel(8);
        let session = Session::speaking(dialect, id.into(), user, format!("login-{id}"), queue);
        hub.add(session, hub.starting());
        outbound
    }

    fn text(outbound: &mut tokio::sync::mpsc::Receiver<Outbound>) -> String {
        match outbound.try_recv() {
            Ok(Outbound::Text(bytes)) => String::from_utf8(bytes.to_vec()).unwrap(),
            _ => panic!("no text frame queued"),
        }
    }

    #[tokio::test]
    async fn each_session_gets_a_push_in_its_own_dialect() {
        let hub = Arc::new(Hub::new(4));
        let channel = chat_common::internal::InternalSecret::default()
            .channel(tonic::transport::Endpoint::from_static("http://127.0.0.1:9").connect_lazy());
        let seed = SeedPushes::new(
            chat_proto::account::account_client::AccountClient::new(channel.clone()),
            chat_proto::message::message_client::MessageClient::new(channel),
        );
        let deliverer = Deliverer::new(hub.clone(), Arc::new(seed));
        let mut ours = add(&hub, Dialect::Ours, "a", 7);
        let mut theirs = add(&hub, Dialect::Seed, "b", 7);
        let mut senders = add(&hub, Dialect::Seed, "c", 5);
        let message = chat_proto::common::ChatMessage {
            message_id: 90,
            conversation_id: "d:5:7".into(),
            kind: chat_proto::common::ConversationKind::Direct as i32,
            seq: 1,
            sender_id: 5,
            client_msg_id: "m".into(),
            content: Some(chat_proto::common::MessageContent {
                body: Some(chat_proto::common::message_content::Body::Text(
                    chat_proto::common::TextContent { text: "hi".into() },
                )),
            }),
            server_time_ms: 1,
            target_id: 7,
        };
        deliverer.deliver_one(Push {
            recipient_ids: vec![7, 5],
            exclude_session_id: String::new(),
            payload: Some(Payload::Message(message)),
        });
        assert!(text(&mut ours).starts_with('{'));
        // A seed reader's direct message waits for its cursor to move (here the message
        // service is unreachable, and it is pushed anyway).
        let seed_frame = match tokio::time::timeout(Duration::from_secs(5), theirs.recv()).await {
            Ok(Some(Outbound::Text(bytes))) => String::from_utf8(bytes.to_vec()).unwrap(),
            _ => panic!("no seed frame within 5 s"),
        };
        assert!(seed_frame.starts_with("2,{"), "{seed_frame}");
        assert!(seed_frame.contains(r#""friendId":5"#), "{seed_frame}");
        assert!(
            senders.try_recv().is_err(),
            "no echo to the sender's seed session"
        );
    }

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
