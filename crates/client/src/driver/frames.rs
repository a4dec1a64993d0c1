//! What the server's frames do: deliveries through the seq tracker, acks and errors for the
//! sends waiting, and the end of a session.

use std::time::{Duration, Instant};

use chat_wire::{ChatMessage, ServerFrame};

use super::{Driver, End, Session, answer};
use crate::backoff::random_unit;
use crate::error::ClientError;
use crate::events::{Ack, Counters, Event, Item};
use crate::seq::Outcome;

impl Driver {
    pub(super) fn on_frame(&mut self, frame: ServerFrame, session: &mut Session) -> Option<End> {
        match frame {
            ServerFrame::Ack {
                client_msg_id,
                message_id,
                conversation_id,
                seq,
                server_time_ms,
                duplicate,
            } => self.on_ack(Ack {
                client_msg_id,
                message_id,
                conversation_id,
                seq,
                server_time_ms,
                duplicate,
            }),
            ServerFrame::Error {
                code,
                message,
                client_msg_id: Some(id),
                retry_after_s,
            } => self.on_send_error(&id, code, message, retry_after_s),
            ServerFrame::Message { message } => self.offer(Item::from_message(message)),
            ServerFrame::Recall {
                conversation_id,
                seq,
                recall_seq,
                sender_id,
                recalled_at_ms,
            } => self.offer(Item::Recall {
                conversation_id,
                seq,
                recall_seq,
                sender_id,
                recalled_at_ms,
            }),
            ServerFrame::ReadReceipt {
                conversation_id,
                reader_id,
                read_seq,
            } => self.emit(Event::ReadReceipt {
                conversation_id,
                reader_id,
                read_seq,
            }),
            ServerFrame::Notification { notification } => {
                self.emit(Event::Notification { notification });
            }
            ServerFrame::Presence {
                user_id,
                online,
                last_seen_ms,
            } => self.emit(Event::Presence {
                user_id,
                online,
                last_seen_ms,
            }),
            ServerFrame::Typing {
                conversation_id,
                user_id,
            } => self.emit(Event::Typing {
                conversation_id,
                user_id,
            }),
            ServerFrame::Moved { reason } => session.moved = Some(reason),
            ServerFrame::Kicked { reason } => {
                // Final even if the close frame that should follow never arrives.
                self.emit(Event::Kicked { reason });
                return Some(End::Stop);
            }
            // Errors naming no send answer `read`/`typing`/unparseable frames: nothing waits.
            ServerFrame::Error { .. }
            | ServerFrame::Hello { .. }
            | ServerFrame::ReadAck { .. }
            | ServerFrame::Pong => {}
        }
        None
    }

    pub(super) fn on_close(
        &mut self,
        code: Option<u16>,
        reason: String,
        session: &mut Session,
    ) -> End {
        use chat_wire::frames::close;
        match code {
            Some(close::KICKED) => {
                self.emit(Event::Kicked { reason });
                End::Stop
            }
            _ => {
                // A gateway that hands the user over says `moved` before it closes (4001,
                // or 1001 when it shuts down): that is the better reason.
                let why = match (session.moved.take(), code) {
                    (Some(moved), _) => format!("moved: {moved}"),
                    (None, Some(code)) => format!("closed by the server ({code}): {reason}"),
                    (None, None) => "closed by the server".to_owned(),
                };
                End::Reconnect {
                    reason: why,
                    close_code: code,
                }
            }
        }
    }

    /// My message is stored: answer the sender, and deliver it like a push (my own session
    /// gets no push of it, and without it the next seq would look like a gap).
    pub(super) fn on_ack(&mut self, ack: Ack) {
        let Some((outgoing, replies)) = self.pending.remove(&ack.client_msg_id) else {
            return; // a late answer to a send that timed out, or a repeat
        };
        let own = ChatMessage {
            message_id: ack.message_id,
            conversation_id: ack.conversation_id.clone(),
            kind: outgoing.kind,
            seq: ack.seq,
            sender_id: self.config.user_id,
            client_msg_id: outgoing.client_msg_id,
            content: outgoing.content,
            server_time_ms: ack.server_time_ms,
            target_id: outgoing.target_id,
        };
        self.offer(Item::Message(own));
        answer(replies, || Ok(ack.clone()));
    }

    /// `unavailable` is retried with the same id a few times; anything else is final.
    pub(super) fn on_send_error(
        &mut self,
        client_msg_id: &str,
        code: String,
        message: String,
        retry_after_s: Option<u64>,
    ) {
        // Unavailable: the outcome is unknown, so the same send goes again (idempotent on its
        // id) after a backoff that grows with each attempt. Rate limited: it goes again when
        // the server said it would take it.
        let attempt = self.pending.retries(client_msg_id);
        let retry_in = match (code.as_str(), retry_after_s) {
            ("unavailable", _) => Some(self.config.backoff.delay(attempt, random_unit())),
            ("rate_limited", Some(seconds)) => Some(Duration::from_secs(seconds)),
            _ => None,
        };
        if let Some(delay) = retry_in {
            let at = Instant::now() + delay;
            if self
                .pending
                .retry_later(client_msg_id, at, self.config.unavailable_retries)
            {
                return;
            }
        }
        if let Some((_, replies)) = self.pending.remove(client_msg_id) {
            answer(replies, || {
                Err(ClientError::Rejected {
                    code: code.clone(),
                    message: message.clone(),
                })
            });
        }
    }

    // --- delivery ---

    /// A pushed item (or my own acknowledged message).
    pub(super) fn offer(&mut self, item: Item) {
        let outcome = self.tracker.offer(item, Instant::now());
        Counters::add(&self.counters.duplicates_dropped, outcome.duplicates);
        Counters::add(
            &self.counters.delivered_pushed,
            outcome.deliver.len() as u64,
        );
        self.deliver(outcome.deliver);
    }

    pub(super) fn deliver_recovered(&mut self, outcome: Outcome<Item>, session: &mut Session) {
        let count = outcome.deliver.len() as u64;
        Counters::add(&self.counters.recovered, count);
        session.recovered += count;
        self.deliver(outcome.deliver);
    }

    pub(super) fn deliver(&self, items: Vec<Item>) {
        for item in items {
            self.emit(item.into_event());
        }
    }
}
