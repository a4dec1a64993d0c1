//! What one session saw of each conversation: the seqs pushed to it and the seqs its own
//! sends were acknowledged with. Together they must cover every message the run stored in
//! the conversation; whatever they miss was neither pushed nor acknowledged (a gap a real
//! client would have to pull).

use std::collections::HashMap;

/// Seqs per conversation, as seen by one session.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    seen: HashMap<String, Vec<u64>>,
    last_pushed: HashMap<String, u64>,
    /// Pushes whose seq was below one pushed earlier in the same conversation.
    reordered: HashMap<String, u64>,
    /// This session's acknowledged sends per conversation, as (send order, seq).
    sent: HashMap<String, Vec<(u64, u64)>>,
}

impl Ledger {
    /// A message pushed to this session.
    pub fn pushed(&mut self, conversation_id: &str, seq: u64) {
        let last = self
            .last_pushed
            .entry(conversation_id.to_owned())
            .or_default();
        if seq < *last {
            *self
                .reordered
                .entry(conversation_id.to_owned())
                .or_default() += 1;
        }
        *last = (*last).max(seq);
        self.saw(conversation_id, seq);
    }

    /// One of this session's own sends was acknowledged with `seq`.
    pub fn acked(&mut self, conversation_id: &str, seq: u64) {
        self.saw(conversation_id, seq);
    }

    /// One of this session's own sends, the `order`-th it sent, was acknowledged with `seq`.
    pub fn sent(&mut self, conversation_id: &str, order: u64, seq: u64) {
        self.acked(conversation_id, seq);
        match self.sent.get_mut(conversation_id) {
            Some(sends) => sends.push((order, seq)),
            None => {
                self.sent
                    .insert(conversation_id.to_owned(), vec![(order, seq)]);
            }
        }
    }

    /// Messages of `conversation_id` out of order, as this session saw them: pushes with a
    /// seq below one pushed before, and own sends stored with a seq below that of a send made
    /// before them.
    pub fn out_of_order(&self, conversation_id: &str) -> u64 {
        let misordered_sends = self.sent.get(conversation_id).map_or(0, |sends| {
            let mut sends = sends.clone();
            sends.sort_unstable();
            sends
                .windows(2)
                .filter(|pair| pair[1].1 < pair[0].1)
                .count() as u64
        });
        self.reordered.get(conversation_id).copied().unwrap_or(0) + misordered_sends
    }

    fn saw(&mut self, conversation_id: &str, seq: u64) {
        match self.seen.get_mut(conversation_id) {
            Some(seqs) => seqs.push(seq),
            None => {
                self.seen.insert(conversation_id.to_owned(), vec![seq]);
            }
        }
    }

    /// Sorts and deduplicates every conversation; returns how many repeats were dropped.
    pub fn settle(&mut self) -> u64 {
        let mut repeats = 0;
        for seqs in self.seen.values_mut() {
            let before = seqs.len();
            seqs.sort_unstable();
            seqs.dedup();
            repeats += (before - seqs.len()) as u64;
        }
        repeats
    }

    /// Whether `seq` of `conversation_id` was seen (after [`Ledger::settle`]).
    pub fn has(&self, conversation_id: &str, seq: u64) -> bool {
        self.seen
            .get(conversation_id)
            .is_some_and(|seqs| seqs.binary_search(&seq).is_ok())
    }
}

/// Missing seqs a reader should have seen: every stored `(seq, sender)` of the run whose
/// sender is someone else and that the reader's ledger lacks.
pub fn missing(ledger: &Ledger, reader: u64, conversation_id: &str, stored: &[(u64, u64)]) -> u64 {
    stored
        .iter()
        .filter(|(seq, sender)| *sender != reader && !ledger.has(conversation_id, *seq))
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(pushes: &[u64], acks: &[u64]) -> Ledger {
        let mut ledger = Ledger::default();
        for seq in pushes {
            ledger.pushed("d:1:2", *seq);
        }
        for seq in acks {
            ledger.acked("d:1:2", *seq);
        }
        ledger
    }

    #[test]
    fn pushes_and_acks_together_cover_a_conversation() {
        let mut seen = ledger(&[1, 3, 4], &[2, 5]);
        assert_eq!(seen.settle(), 0);
        assert!((1..=5).all(|seq| seen.has("d:1:2", seq)));
        assert_eq!(seen.out_of_order("d:1:2"), 0);
    }

    #[test]
    fn repeats_are_counted_and_reordering_noticed() {
        let mut seen = ledger(&[1, 3, 2, 3], &[]);
        assert_eq!(seen.settle(), 1);
        assert_eq!(seen.out_of_order("d:1:2"), 1);
    }

    #[test]
    fn sends_stored_out_of_send_order_are_counted() {
        let mut seen = Ledger::default();
        // Acks arrive in any order; what counts is send order against seq order.
        seen.sent("d:1:2", 2, 11);
        seen.sent("d:1:2", 1, 10);
        seen.sent("d:1:3", 1, 5);
        assert_eq!(seen.out_of_order("d:1:2") + seen.out_of_order("d:1:3"), 0);
        seen.sent("d:1:2", 3, 9);
        seen.pushed("d:1:2", 4);
        seen.pushed("d:1:2", 3);
        assert_eq!(seen.out_of_order("d:1:2"), 2, "one send and one push");
    }

    #[test]
    fn only_other_senders_messages_can_be_missing() {
        let mut seen = ledger(&[1], &[2]);
        seen.settle();
        // seq 3 from the peer never arrived; seq 4 was my own send that failed.
        let stored = [(1, 7), (2, 1), (3, 7), (4, 1)];
        assert_eq!(missing(&seen, 1, "d:1:2", &stored), 1);
    }
}
