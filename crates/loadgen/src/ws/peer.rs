//! One session under load: sends what the traffic task hands it, and records what comes back
//! (acks, errors, pushed messages with their end-to-end latency, every seq seen). One task
//! per session on the client library's bare `WsConnection`: no resync, no reordering, so that
//! what the server pushes is measured as it is.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chat_client::WsConnection;
use chat_client::WsEvent;
use chat_client::wire::{ChatMessage, ClientFrame, Content, ConversationKind, ServerFrame};
use tokio::sync::{Semaphore, mpsc, watch};

use super::ledger::Ledger;
use super::stamp;
use crate::plan::Plan;
use crate::recorder::{Failure, Log};

/// One send, as the traffic task decided it.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing {
    pub ticket: u64,
    pub due: Instant,
    pub kind: ConversationKind,
    pub target_id: u64,
}

/// Running totals over every session, for progress lines and for knowing when the pushes
/// have drained.
#[derive(Debug, Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub failed: AtomicU64,
    pub delivered: AtomicU64,
}

/// What every session of a run shares.
pub struct Shared {
    pub plan: Plan,
    /// `client_msg_id` is this plus the ticket.
    pub client_prefix: String,
    pub filler: String,
    /// In a closed loop, one permit per send in flight (returned on its ack or error).
    pub inflight: Option<Arc<Semaphore>>,
    pub counters: Counters,
}

impl Shared {
    /// Shared state of a run `run_id` on `plan`; `closed_loop` bounds the sends in flight.
    pub fn new(plan: Plan, run_id: &str, message_bytes: u32, closed_loop: Option<u32>) -> Self {
        Self {
            plan,
            client_prefix: format!("{run_id}-"),
            filler: stamp::filler(message_bytes as usize),
            inflight: closed_loop.map(|slots| Arc::new(Semaphore::new(slots as usize))),
            counters: Counters::default(),
        }
    }

    fn release(&self) {
        if let Some(inflight) = &self.inflight {
            inflight.add_permits(1);
        }
    }

    fn ticket_of(&self, client_msg_id: &str) -> Option<u64> {
        client_msg_id
            .strip_prefix(&self.client_prefix)?
            .parse()
            .ok()
    }
}

/// What one session saw, handed back when it stops.
#[derive(Debug, Default)]
pub struct PeerLog {
    pub user_id: u64,
    /// Deliveries to this session (latency from the send's due time) and its failed sends.
    pub log: Log,
    pub ledger: Ledger,
    /// This session's acknowledged seqs per conversation.
    pub acked: HashMap<String, Vec<u64>>,
    /// Sends neither acknowledged nor refused when the session stopped.
    pub unanswered: u64,
    /// Why the session ended before it was told to stop.
    pub ended: Option<String>,
}

/// A session and its bookkeeping.
pub struct Peer {
    shared: Arc<Shared>,
    pending: HashMap<u64, Instant>,
    out: PeerLog,
}

impl Peer {
    pub fn new(user_id: u64, shared: Arc<Shared>) -> Self {
        Self {
            shared,
            pending: HashMap::new(),
            out: PeerLog {
                user_id,
                ..PeerLog::default()
            },
        }
    }

    /// Serves the session until `stop` fires or the connection ends.
    pub async fn run(
        mut self,
        mut connection: WsConnection,
        mut outbox: mpsc::Receiver<Outgoing>,
        mut stop: watch::Receiver<bool>,
    ) -> PeerLog {
        let mut sending = true;
        loop {
            tokio::select! {
                event = connection.recv() => if !self.on_event(event) { break },
                next = outbox.recv(), if sending => match next {
                    Some(outgoing) => self.send(&connection, outgoing).await,
                    None => sending = false,
                },
                _ = stop.changed() => break,
            }
        }
        drop(outbox);
        self.finish()
    }

    /// Handles what the reader saw; false once the connection is over.
    fn on_event(&mut self, event: Option<WsEvent>) -> bool {
        match event {
            Some(WsEvent::Frame(frame)) => {
                self.on_frame(frame);
                true
            }
            Some(WsEvent::Unknown(_)) => true,
            Some(WsEvent::Closed { code, reason }) => {
                self.out.ended = Some(format!("closed ({code:?}) {reason}"));
                false
            }
            Some(WsEvent::Failed(error)) => {
                self.out.ended = Some(error);
                false
            }
            None => {
                self.out.ended = Some("the connection ended".into());
                false
            }
        }
    }

    async fn send(&mut self, connection: &WsConnection, outgoing: Outgoing) {
        let shared = &self.shared;
        let due_us = shared.plan.offset_us(outgoing.due);
        let frame = ClientFrame::Send {
            client_msg_id: format!("{}{}", shared.client_prefix, outgoing.ticket),
            kind: outgoing.kind,
            target_id: outgoing.target_id,
            content: Content::Text {
                text: stamp::text(outgoing.ticket, due_us, &shared.filler),
            },
        };
        shared.counters.sent.fetch_add(1, Ordering::Relaxed);
        match connection.send(&frame).await {
            Ok(()) => {
                self.pending.insert(outgoing.ticket, outgoing.due);
            }
            Err(error) => self.fail(outgoing.due, "SessionClosed", error.to_string()),
        }
    }

    fn on_frame(&mut self, frame: ServerFrame) {
        match frame {
            ServerFrame::Ack {
                client_msg_id,
                conversation_id,
                seq,
                ..
            } => self.on_ack(&client_msg_id, conversation_id, seq),
            ServerFrame::Error {
                code,
                message,
                client_msg_id: Some(id),
                ..
            } => {
                let due = self
                    .shared
                    .ticket_of(&id)
                    .and_then(|t| self.pending.remove(&t));
                if let Some(due) = due {
                    self.fail(due, &code, message);
                }
            }
            ServerFrame::Message { message } => self.on_message(message),
            _ => {}
        }
    }

    fn on_ack(&mut self, client_msg_id: &str, conversation_id: String, seq: u64) {
        let ticket = self.shared.ticket_of(client_msg_id);
        if ticket.and_then(|t| self.pending.remove(&t)).is_none() {
            return;
        }
        self.shared.counters.acked.fetch_add(1, Ordering::Relaxed);
        self.shared.release();
        // Tickets rise in the order this session sent them.
        if let Some(ticket) = ticket {
            self.out.ledger.sent(&conversation_id, ticket, seq);
        }
        self.out.acked.entry(conversation_id).or_default().push(seq);
    }

    fn on_message(&mut self, message: ChatMessage) {
        let received = Instant::now();
        self.out
            .ledger
            .pushed(&message.conversation_id, message.seq);
        let Content::Text { text } = &message.content else {
            return;
        };
        if let Some((_, due_us)) = stamp::parse(text) {
            let plan = &self.shared.plan;
            let due = plan.at_offset(due_us);
            self.out.log.record(&plan.window, due, received, Ok(()));
            self.shared
                .counters
                .delivered
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    fn fail(&mut self, due: Instant, code: &str, message: String) {
        self.shared.counters.failed.fetch_add(1, Ordering::Relaxed);
        self.shared.release();
        let failure = Failure {
            code: code.to_owned(),
            message,
        };
        let window = self.shared.plan.window;
        self.out
            .log
            .record(&window, due, Instant::now(), Err(failure));
    }

    /// Whatever is still unanswered counts as a failed send.
    fn finish(mut self) -> PeerLog {
        let pending: Vec<Instant> = self.pending.drain().map(|(_, due)| due).collect();
        self.out.unanswered = pending.len() as u64;
        for due in pending {
            self.fail(due, "NoAck", "no ack before the session stopped".into());
        }
        self.out
    }
}
