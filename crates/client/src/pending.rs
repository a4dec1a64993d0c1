//! Sends waiting for their `ack`: kept in the order they were made, so that after a reconnect
//! they go out again in that order with the same `client_msg_id` (the server stores each once).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chat_wire::{ClientFrame, Content, ConversationKind};

/// A message to send, as the application asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub client_msg_id: String,
    pub kind: ConversationKind,
    pub target_id: u64,
    pub content: Content,
}

impl Outgoing {
    /// The `send` frame.
    pub fn frame(&self) -> ClientFrame {
        ClientFrame::Send {
            client_msg_id: self.client_msg_id.clone(),
            kind: self.kind,
            target_id: self.target_id,
            content: self.content.clone(),
        }
    }
}

#[derive(Debug)]
struct Pending<R> {
    outgoing: Outgoing,
    reply: R,
    /// When the caller stops waiting.
    deadline: Instant,
    /// When to send again after the server said `unavailable`.
    retry_at: Option<Instant>,
    /// How many times `unavailable` was answered.
    retries: u32,
}

/// Unacknowledged sends, each with whatever answers its caller (`R`).
#[derive(Debug)]
pub struct PendingSends<R> {
    by_order: BTreeMap<u64, Pending<R>>,
    order_of: HashMap<String, u64>,
    next_order: u64,
}

impl<R> Default for PendingSends<R> {
    fn default() -> Self {
        Self {
            by_order: BTreeMap::new(),
            order_of: HashMap::new(),
            next_order: 0,
        }
    }
}

impl<R> PendingSends<R> {
    /// Remembers a send until `deadline`. A second send with the same id replaces the first's
    /// caller, who is handed back (the server answers the id once per frame, and both frames
    /// are the same message).
    pub fn insert(&mut self, outgoing: Outgoing, reply: R, deadline: Instant) -> Option<R> {
        let replaced = self.remove(&outgoing.client_msg_id).map(|(_, reply)| reply);
        let order = self.next_order;
        self.next_order += 1;
        self.order_of.insert(outgoing.client_msg_id.clone(), order);
        self.by_order.insert(
            order,
            Pending {
                outgoing,
                reply,
                deadline,
                retry_at: None,
                retries: 0,
            },
        );
        replaced
    }

    /// Takes a send out (its answer came): what was sent and who waits for it.
    pub fn remove(&mut self, client_msg_id: &str) -> Option<(Outgoing, R)> {
        let order = self.order_of.remove(client_msg_id)?;
        let pending = self.by_order.remove(&order)?;
        Some((pending.outgoing, pending.reply))
    }

    /// How many times the send was scheduled to go again (0 for an unknown id).
    pub fn retries(&self, client_msg_id: &str) -> u32 {
        self.order_of
            .get(client_msg_id)
            .and_then(|order| self.by_order.get(order))
            .map_or(0, |pending| pending.retries)
    }

    /// Schedules a send again at `at` unless it was retried `max_retries` times already;
    /// false when it was not (the caller should get the error).
    pub fn retry_later(&mut self, client_msg_id: &str, at: Instant, max_retries: u32) -> bool {
        let Some(pending) = self
            .order_of
            .get(client_msg_id)
            .and_then(|order| self.by_order.get_mut(order))
        else {
            return false;
        };
        if pending.retries >= max_retries {
            return false;
        }
        pending.retries += 1;
        pending.retry_at = Some(at);
        true
    }

    /// Every waiting send, oldest first (to send again after a reconnect); pending retries
    /// are folded in.
    pub fn all(&mut self) -> Vec<ClientFrame> {
        self.by_order
            .values_mut()
            .map(|pending| {
                pending.retry_at = None;
                pending.outgoing.frame()
            })
            .collect()
    }

    /// When the earliest scheduled retry is due, if any is.
    pub fn next_retry(&self) -> Option<Instant> {
        self.by_order
            .values()
            .filter_map(|pending| pending.retry_at)
            .min()
    }

    /// Sends whose retry time has come, oldest first.
    pub fn due_retries(&mut self, now: Instant) -> Vec<ClientFrame> {
        self.by_order
            .values_mut()
            .filter(|pending| pending.retry_at.is_some_and(|at| at <= now))
            .map(|pending| {
                pending.retry_at = None;
                pending.outgoing.frame()
            })
            .collect()
    }

    /// Takes out the sends whose callers stopped waiting.
    pub fn expire(&mut self, now: Instant) -> Vec<(Outgoing, R)> {
        let expired: Vec<u64> = self
            .by_order
            .iter()
            .filter(|(_, pending)| pending.deadline <= now)
            .map(|(order, _)| *order)
            .collect();
        expired
            .into_iter()
            .filter_map(|order| self.by_order.remove(&order))
            .map(|pending| {
                self.order_of.remove(&pending.outgoing.client_msg_id);
                (pending.outgoing, pending.reply)
            })
            .collect()
    }

    /// Takes out every send (the client is ending).
    pub fn drain(&mut self) -> Vec<(Outgoing, R)> {
        self.order_of.clear();
        std::mem::take(&mut self.by_order)
            .into_values()
            .map(|pending| (pending.outgoing, pending.reply))
            .collect()
    }

    /// How many sends wait.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_order.len()
    }

    /// True when no send waits.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.by_order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn outgoing(id: &str) -> Outgoing {
        Outgoing {
            client_msg_id: id.into(),
            kind: ConversationKind::Direct,
            target_id: 7,
            content: Content::Text { text: id.into() },
        }
    }

    fn ids(frames: &[ClientFrame]) -> Vec<String> {
        frames
            .iter()
            .map(|frame| match frame {
                ClientFrame::Send { client_msg_id, .. } => client_msg_id.clone(),
                other => panic!("not a send: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn unacked_sends_go_again_in_the_order_they_were_made() {
        let now = Instant::now();
        let mut pending = PendingSends::default();
        for id in ["a", "b", "c"] {
            pending.insert(outgoing(id), id, now + Duration::from_secs(5));
        }
        assert_eq!(pending.remove("b").map(|(_, reply)| reply), Some("b"));
        assert_eq!(ids(&pending.all()), ["a", "c"]);
        assert_eq!(pending.len(), 2, "still waiting for their acks");
        assert!(pending.remove("b").is_none(), "answered once");
    }

    #[test]
    fn the_same_id_again_replaces_the_earlier_caller() {
        let now = Instant::now();
        let mut pending = PendingSends::default();
        assert_eq!(pending.insert(outgoing("a"), 1, now), None);
        assert_eq!(pending.insert(outgoing("a"), 2, now), Some(1));
        assert_eq!(pending.len(), 1);
        assert_eq!(pending.remove("a").map(|(_, reply)| reply), Some(2));
        assert!(pending.is_empty());
    }

    #[test]
    fn unavailable_sends_are_retried_a_bounded_number_of_times() {
        let now = Instant::now();
        let later = now + Duration::from_millis(200);
        let mut pending = PendingSends::default();
        pending.insert(outgoing("a"), (), now + Duration::from_secs(5));
        assert_eq!(pending.retries("a"), 0);
        assert!(pending.retry_later("a", later, 2));
        assert_eq!(
            pending.retries("a"),
            1,
            "the backoff exponent of the next wait"
        );
        assert!(pending.due_retries(now).is_empty());
        assert_eq!(ids(&pending.due_retries(later)), ["a"]);
        assert!(pending.due_retries(later).is_empty(), "sent once per retry");
        assert!(pending.retry_later("a", later, 2));
        assert!(!pending.retry_later("a", later, 2));
        assert!(!pending.retry_later("unknown", later, 2));
    }

    #[test]
    fn the_earliest_scheduled_retry_is_when_to_wake() {
        let now = Instant::now();
        let mut pending = PendingSends::default();
        assert_eq!(pending.next_retry(), None);
        for id in ["a", "b", "c"] {
            pending.insert(outgoing(id), (), now + Duration::from_secs(5));
        }
        assert_eq!(pending.next_retry(), None, "nothing scheduled yet");
        pending.retry_later("b", now + Duration::from_millis(300), 3);
        pending.retry_later("c", now + Duration::from_millis(100), 3);
        assert_eq!(pending.next_retry(), Some(now + Duration::from_millis(100)));
        pending.due_retries(now + Duration::from_millis(100));
        assert_eq!(pending.next_retry(), Some(now + Duration::from_millis(300)));
    }

    #[test]
    fn a_reconnect_sends_scheduled_retries_at_once() {
        let now = Instant::now();
        let mut pending = PendingSends::default();
        pending.insert(outgoing("a"), (), now + Duration::from_secs(5));
        pending.retry_later("a", now + Duration::from_secs(1), 3);
        assert_eq!(ids(&pending.all()), ["a"]);
        assert!(pending.due_retries(now + Duration::from_secs(2)).is_empty());
    }

    #[test]
    fn callers_that_stopped_waiting_are_answered_and_forgotten() {
        let now = Instant::now();
        let mut pending = PendingSends::default();
        pending.insert(outgoing("early"), 1, now + Duration::from_secs(1));
        pending.insert(outgoing("late"), 2, now + Duration::from_secs(9));
        let expired = pending.expire(now + Duration::from_secs(1));
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].0.client_msg_id, "early");
        assert_eq!(expired[0].1, 1);
        assert!(pending.remove("early").is_none());
        assert_eq!(ids(&pending.all()), ["late"]);
        let drained = pending.drain();
        assert_eq!(drained.len(), 1);
        assert!(pending.is_empty() && pending.remove("late").is_none());
    }
}
