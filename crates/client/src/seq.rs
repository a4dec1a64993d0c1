//! Exactly once, in seq order, per conversation: the pure bookkeeping behind delivery.
//!
//! Each conversation has a *position*, the last seq accounted for (delivered, or known not to
//! be visible to me). A pushed item right after the position is delivered at once; a repeat is
//! dropped; one further ahead is held, and if the gap before it is not filled by pushes within
//! a grace period, a pull is due. A pulled page (`after` N, oldest first) is authoritative: it
//! lists every visible seq after N, so seqs it skips (deleted for me) are skipped here too, and
//! a complete page accounts for everything up to the `max_seq` the server read before it.
//!
//! Nothing here does I/O or reads the clock: callers pass `now`, so that the tests can walk
//! through time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

/// Something with a place in a conversation's seq order (a message, a recall event).
pub trait Sequenced {
    /// The conversation the item belongs to.
    fn conversation_id(&self) -> &str;
    /// Its seq in that conversation.
    fn seq(&self) -> u64;
}

/// A page pulled from the server: every visible item with seq > `after`, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The seq the page starts after.
    pub after: u64,
    pub items: Vec<T>,
    /// More items follow the last one here.
    pub has_more: bool,
    /// The conversation's newest seq, read by the server before the page.
    pub max_seq: u64,
}

/// What one step released.
#[derive(Debug, PartialEq)]
pub struct Outcome<T> {
    /// Items to hand to the application, in seq order.
    pub deliver: Vec<T>,
    /// Offered items dropped because they were already delivered or held.
    pub duplicates: u64,
}

impl<T> Outcome<T> {
    fn new() -> Self {
        Self {
            deliver: Vec::new(),
            duplicates: 0,
        }
    }
}

/// One conversation's state.
#[derive(Debug)]
struct Track<T> {
    /// The last seq accounted for.
    position: u64,
    /// Items that arrived ahead of a gap, by seq.
    held: BTreeMap<u64, T>,
    /// When the next pull should start, if one is needed.
    due: Option<Instant>,
    /// A pull was asked for (resync, more pages, a failed pull) and is not only waiting out
    /// a gap: filling the gap by pushes does not cancel it.
    requested: bool,
    /// A pull is in flight.
    pulling: bool,
}

impl<T: Sequenced> Track<T> {
    fn at(position: u64) -> Self {
        Self {
            position,
            held: BTreeMap::new(),
            due: None,
            requested: false,
            pulling: false,
        }
    }

    /// Takes an item as a push would: deliver, hold or drop. Returns false for a duplicate.
    fn accept(&mut self, item: T, deliver: &mut Vec<T>) -> bool {
        let seq = item.seq();
        if seq <= self.position || self.held.contains_key(&seq) {
            return false;
        }
        if seq == self.position + 1 {
            self.position = seq;
            deliver.push(item);
            self.release(deliver);
        } else {
            self.held.insert(seq, item);
        }
        true
    }

    /// Drops held items the position has passed and delivers those that now follow it.
    fn release(&mut self, deliver: &mut Vec<T>) {
        while let Some(entry) = self.held.first_entry() {
            let seq = *entry.key();
            if seq <= self.position {
                entry.remove();
            } else if seq == self.position + 1 {
                self.position = seq;
                deliver.push(entry.remove());
            } else {
                break;
            }
        }
    }

    /// After a change: a gap that is still open gets a pull due after `grace` (unless one is
    /// already due or in flight); a closed gap needs none unless one was asked for.
    fn schedule(&mut self, now: Instant, grace: Duration) {
        if self.held.is_empty() {
            if !self.requested {
                self.due = None;
            }
        } else if self.due.is_none() && !self.pulling {
            self.due = Some(now + grace);
        }
    }

    fn request(&mut self, at: Instant) {
        self.requested = true;
        self.due = Some(self.due.map_or(at, |due| due.min(at)));
    }

    /// Applies a pulled page (see the module doc) and ends the pull in flight.
    fn apply(&mut self, page: Page<T>, now: Instant, grace: Duration) -> Outcome<T> {
        self.pulling = false;
        let mut outcome = Outcome::new();
        let mut items = page.items;
        items.sort_by_key(Sequenced::seq);
        if page.after > self.position {
            // The page does not reach back to the position, so it cannot vouch for the seqs
            // in between: take its items as pushes and pull from the position.
            for item in items {
                self.accept(item, &mut outcome.deliver);
            }
            self.request(now);
            return outcome;
        }
        for item in items {
            if item.seq() > self.position {
                self.position = item.seq();
                outcome.deliver.push(item);
            }
        }
        if page.has_more {
            self.request(now);
        } else {
            self.position = self.position.max(page.max_seq);
        }
        self.release(&mut outcome.deliver);
        self.schedule(now, grace);
        outcome
    }
}

/// Per-conversation positions, held items and due pulls.
#[derive(Debug)]
pub struct SeqTracker<T> {
    tracks: HashMap<String, Track<T>>,
    /// Conversations with a pull due, asked for or in flight: the only ones the scheduling
    /// methods look at, so that a quiet tracker costs nothing per event however many
    /// conversations it tracks.
    active: HashSet<String>,
    /// How long a gap may wait for the missing pushes before it is pulled: pushes of one
    /// conversation travel different paths (my acks, other senders' pushes) and often arrive
    /// slightly out of order.
    grace: Duration,
}

impl<T: Sequenced> SeqTracker<T> {
    /// An empty tracker whose gaps wait `grace` before they are pulled.
    pub fn new(grace: Duration) -> Self {
        Self {
            tracks: HashMap::new(),
            active: HashSet::new(),
            grace,
        }
    }

    /// The last seq accounted for in a conversation, if it is tracked.
    pub fn position(&self, conversation_id: &str) -> Option<u64> {
        self.tracks.get(conversation_id).map(|track| track.position)
    }

    /// Starts tracking a conversation at `position`; false (and no change) if it already is.
    pub fn start_at(&mut self, conversation_id: &str, position: u64) -> bool {
        if self.tracks.contains_key(conversation_id) {
            return false;
        }
        self.tracks
            .insert(conversation_id.to_owned(), Track::at(position));
        true
    }

    /// Stops tracking a conversation (I may no longer read it).
    pub fn forget(&mut self, conversation_id: &str) {
        self.tracks.remove(conversation_id);
        self.active.remove(conversation_id);
    }

    /// Every tracked conversation and its position.
    pub fn positions(&self) -> impl Iterator<Item = (&str, u64)> {
        self.tracks
            .iter()
            .map(|(id, track)| (id.as_str(), track.position))
    }

    /// How many items wait behind gaps, over all conversations.
    pub fn held(&self) -> usize {
        self.tracks.values().map(|track| track.held.len()).sum()
    }

    /// A pushed item. An untracked conversation starts at 0: whoever set up the tracker
    /// tracked every conversation that existed, so this one is new and all of it is unseen.
    pub fn offer(&mut self, item: T, now: Instant) -> Outcome<T> {
        let grace = self.grace;
        let id = item.conversation_id().to_owned();
        let track = self
            .tracks
            .entry(id.clone())
            .or_insert_with(|| Track::at(0));
        let mut outcome = Outcome::new();
        if !track.accept(item, &mut outcome.deliver) {
            outcome.duplicates = 1;
        }
        track.schedule(now, grace);
        self.refresh(&id);
        outcome
    }

    /// A pulled page (see the module doc), which also ends the pull in flight, if any.
    pub fn apply_page(&mut self, conversation_id: &str, page: Page<T>, now: Instant) -> Outcome<T> {
        let grace = self.grace;
        let track = self
            .tracks
            .entry(conversation_id.to_owned())
            .or_insert_with(|| Track::at(page.after));
        let outcome = track.apply(page, now, grace);
        self.refresh(conversation_id);
        outcome
    }

    /// Asks for a pull from the position (resync).
    pub fn request_pull(&mut self, conversation_id: &str, now: Instant) {
        if let Some(track) = self.tracks.get_mut(conversation_id) {
            track.request(now);
            self.refresh(conversation_id);
        }
    }

    /// Up to `limit` pulls to start now, earliest due first, as (conversation, after); each
    /// is marked in flight until its page is applied or it fails.
    pub fn due_pulls(&mut self, now: Instant, limit: usize) -> Vec<(String, u64)> {
        let mut due: Vec<(Instant, String)> = self
            .waiting()
            .filter(|(_, at)| *at <= now)
            .map(|(id, at)| (at, id.to_owned()))
            .collect();
        due.sort();
        due.into_iter()
            .take(limit)
            .filter_map(|(_, id)| {
                let track = self.tracks.get_mut(&id)?;
                track.pulling = true;
                track.due = None;
                track.requested = false;
                Some((id, track.position))
            })
            .collect()
    }

    /// A pull failed; try again at `retry_at`.
    pub fn pull_failed(&mut self, conversation_id: &str, retry_at: Instant) {
        if let Some(track) = self.tracks.get_mut(conversation_id) {
            track.pulling = false;
            track.requested = true;
            track.due = Some(retry_at);
            self.refresh(conversation_id);
        }
    }

    /// The connection ended and pulls in flight were cancelled: they are due again at `now`.
    pub fn abandon_pulls(&mut self, now: Instant) {
        for id in &self.active {
            if let Some(track) = self.tracks.get_mut(id).filter(|track| track.pulling) {
                track.pulling = false;
                track.request(now);
            }
        }
    }

    /// When the earliest pull falls due, if any is waiting.
    pub fn next_due(&self) -> Option<Instant> {
        self.waiting().map(|(_, at)| at).min()
    }

    /// No pull is in flight or asked for (gaps may still wait out their grace period).
    pub fn is_settled(&self) -> bool {
        self.active
            .iter()
            .filter_map(|id| self.tracks.get(id))
            .all(|track| !track.pulling && !track.requested)
    }

    /// Conversations whose pull is due at some time and not in flight, with that time.
    fn waiting(&self) -> impl Iterator<Item = (&str, Instant)> {
        self.active.iter().filter_map(|id| {
            let track = self.tracks.get(id)?;
            let due = track.due.filter(|_| !track.pulling)?;
            Some((id.as_str(), due))
        })
    }

    /// Keeps `active` in step with one conversation's state.
    fn refresh(&mut self, conversation_id: &str) {
        let busy = self
            .tracks
            .get(conversation_id)
            .is_some_and(|track| track.due.is_some() || track.pulling || track.requested);
        if !busy {
            self.active.remove(conversation_id);
        } else if !self.active.contains(conversation_id) {
            self.active.insert(conversation_id.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Item(&'static str, u64);

    impl Sequenced for Item {
        fn conversation_id(&self) -> &str {
            self.0
        }
        fn seq(&self) -> u64 {
            self.1
        }
    }

    const GRACE: Duration = Duration::from_millis(300);

    fn tracker() -> (SeqTracker<Item>, Instant) {
        (SeqTracker::new(GRACE), Instant::now())
    }

    fn seqs(outcome: &Outcome<Item>) -> Vec<u64> {
        outcome.deliver.iter().map(|item| item.1).collect()
    }

    fn page(after: u64, items: &[u64], has_more: bool, max_seq: u64) -> Page<Item> {
        Page {
            after,
            items: items.iter().map(|&seq| Item("c", seq)).collect(),
            has_more,
            max_seq,
        }
    }

    #[test]
    fn pushes_in_order_are_delivered_at_once() {
        let (mut tracker, now) = tracker();
        tracker.start_at("c", 4);
        assert_eq!(seqs(&tracker.offer(Item("c", 5), now)), [5]);
        assert_eq!(seqs(&tracker.offer(Item("c", 6), now)), [6]);
        assert_eq!(tracker.position("c"), Some(6));
        assert_eq!(tracker.next_due(), None);
        assert!(tracker.is_settled());
    }

    #[test]
    fn repeats_of_delivered_or_held_items_are_dropped() {
        let (mut tracker, now) = tracker();
        tracker.start_at("c", 0);
        tracker.offer(Item("c", 1), now);
        let repeat = tracker.offer(Item("c", 1), now);
        assert_eq!((seqs(&repeat), repeat.duplicates), (vec![], 1));
        tracker.offer(Item("c", 3), now);
        let held_repeat = tracker.offer(Item("c", 3), now);
        assert_eq!((seqs(&held_repeat), held_repeat.duplicates), (vec![], 1));
        assert_eq!(tracker.held(), 1);
    }

    #[test]
    fn a_gap_holds_later_items_until_the_missing_push_arrives() {
        let (mut tracker, now) = tracker();
        tracker.start_at("c", 1);
        assert_eq!(seqs(&tracker.offer(Item("c", 3), now)), Vec::<u64>::new());
        assert_eq!(seqs(&tracker.offer(Item("c", 4), now)), Vec::<u64>::new());
        assert_eq!(tracker.next_due(), Some(now + GRACE));
        let filled = tracker.offer(Item("c", 2), now + GRACE / 2);
        assert_eq!(seqs(&filled), [2, 3, 4]);
        assert_eq!(tracker.next_due(), None, "a filled gap needs no pull");
        assert_eq!(tracker.held(), 0);
    }

    #[test]
    fn a_gap_that_outlasts_its_grace_is_pulled_and_the_page_fills_it() {
        let (mut tracker, now) = tracker();
        tracker.start_at("c", 1);
        tracker.offer(Item("c", 4), now);
        assert!(tracker.due_pulls(now + GRACE / 2, 8).is_empty());
        assert_eq!(tracker.due_pulls(now + GRACE, 8), [("c".to_owned(), 1)]);
        assert!(
            tracker.due_pulls(now + GRACE, 8).is_empty(),
            "already in flight"
        );
        assert!(!tracker.is_settled());
        let outcome = tracker.apply_page("c", page(1, &[2, 3, 4], false, 4), now + GRACE);
        assert_eq!(seqs(&outcome), [2, 3, 4]);
        assert_eq!(outcome.duplicates, 0);
        assert_eq!((tracker.position("c"), tracker.held()), (Some(4), 0));
        assert!(tracker.is_settled());
        assert_eq!(tracker.next_due(), None);
    }

    #[test]
    fn seqs_a_complete_page_skips_are_hidden_and_never_awaited() {
        let (mut tracker, now) = tracker();
        tracker.start_at("c", 1);
        tracker.offer(Item("c", 3), now);
        tracker.due_pulls(now + GRACE, 8);
        // 2 and 5 are deleted for me; the server read max_seq 5 before the page.
        let outcome = tracker.apply_page("c", page(1, &[3, 4], false, 5), now + GRACE);
        assert_eq!(seqs(&outcome), [3, 4]);
        assert_eq!(tracker.position("c"), Some(5));
        assert_eq!(seqs(&tracker.offer(Item("c", 6), now + GRACE)), [6]);
    }

    #[test]
    fn a_page_with_more_asks_for_the_next_page_at_once() {
        let (mut tracker, now) = tracker();
        tracker.start_at("c", 0);
        tracker.request_pull("c", now);
        assert_eq!(tracker.due_pulls(now, 8), [("c".to_owned(), 0)]);
        let first = tracker.apply_page("c", page(0, &[1, 2], true, 9), now);
        assert_eq!(seqs(&first), [1, 2]);
        assert_eq!(tracker.position("c"), Some(2), "not max_seq: more follow");
        assert_eq!(tracker.due_pulls(now, 8), [("c".to_owned(), 2)]);
        tracker.apply_page("c", page(2, &[3], false, 3), now);
        assert!(tracker.is_settled());
    }

    #[test]
    fn pushes_during_a_pull_are_held_and_released_by_the_page() {
        let (mut tracker, now) = tracker();
        tracker.start_at("c", 1);
        tracker.request_pull("c", now);
        tracker.due_pulls(now, 8);
        assert!(seqs(&tracker.offer(Item("c", 3), now)).is_empty());
        assert!(seqs(&tracker.offer(Item("c", 5), now)).is_empty());
        assert_eq!(tracker.next_due(), None, "the pull in flight will look");
        // The page was read before 5 was committed.
        let outcome = tracker.apply_page("c", page(1, &[2, 3], false, 3), now);
        assert_eq!(seqs(&outcome), [2, 3]);
        assert_eq!(tracker.held(), 1);
        assert_eq!(tracker.next_due(), Some(now + GRACE), "4 gets its grace");
        assert_eq!(seqs(&tracker.offer(Item("c", 4), now)), [4, 5]);
    }

    #[test]
    fn a_page_overlapping_delivered_items_delivers_only_the_new_ones() {
        let (mut tracker, now) = tracker();
        tracker.start_at("c", 0);
        tracker.offer(Item("c", 1), now);
        tracker.offer(Item("c", 2), now);
        let outcome = tracker.apply_page("c", page(0, &[1, 2, 3], false, 3), now);
        assert_eq!(seqs(&outcome), [3]);
    }

    #[test]
    fn a_page_starting_past_the_position_cannot_vouch_for_the_gap() {
        let (mut tracker, now) = tracker();
        tracker.start_at("c", 2);
        // Sync pages start after the read cursor, which another device moved to 5.
        let outcome = tracker.apply_page("c", page(5, &[6, 7], false, 7), now);
        assert!(outcome.deliver.is_empty());
        assert_eq!(tracker.held(), 2);
        assert_eq!(tracker.due_pulls(now, 8), [("c".to_owned(), 2)]);
        let outcome = tracker.apply_page("c", page(2, &[3, 4, 5, 6, 7], false, 7), now);
        assert_eq!(seqs(&outcome), [3, 4, 5, 6, 7]);
    }

    #[test]
    fn conversations_are_independent_and_untracked_ones_start_at_zero() {
        let (mut tracker, now) = tracker();
        tracker.start_at("a", 10);
        assert!(
            !tracker.start_at("a", 3),
            "an existing position never moves back"
        );
        assert_eq!(seqs(&tracker.offer(Item("a", 11), now)), [11]);
        assert_eq!(seqs(&tracker.offer(Item("b", 1), now)), [1]);
        tracker.offer(Item("b", 3), now);
        assert_eq!(tracker.due_pulls(now + GRACE, 8), [("b".to_owned(), 1)]);
        let mut positions: Vec<(&str, u64)> = tracker.positions().collect();
        positions.sort();
        assert_eq!(positions, [("a", 11), ("b", 1)]);
        tracker.forget("b");
        assert_eq!(tracker.position("b"), None);
    }

    #[test]
    fn a_failed_pull_is_retried_later_and_abandoned_pulls_at_once() {
        let (mut tracker, now) = tracker();
        tracker.start_at("a", 0);
        tracker.start_at("b", 0);
        tracker.request_pull("a", now);
        tracker.request_pull("b", now);
        assert_eq!(tracker.due_pulls(now, 8).len(), 2);
        tracker.pull_failed("a", now + Duration::from_secs(1));
        assert_eq!(tracker.next_due(), Some(now + Duration::from_secs(1)));
        assert!(tracker.due_pulls(now, 8).is_empty());
        assert!(!tracker.is_settled());
        let later = now + Duration::from_millis(10);
        tracker.abandon_pulls(later);
        assert_eq!(tracker.due_pulls(later, 8), [("b".to_owned(), 0)]);
        assert_eq!(
            tracker.due_pulls(now + Duration::from_secs(1), 8),
            [("a".to_owned(), 0)]
        );
    }

    #[test]
    fn at_most_the_limit_of_pulls_starts_earliest_due_first() {
        let (mut tracker, now) = tracker();
        for (id, delay) in [("late", 20), ("early", 10), ("mid", 15)] {
            tracker.start_at(id, 0);
            tracker.request_pull(id, now + Duration::from_millis(delay));
        }
        let at = now + Duration::from_secs(1);
        assert_eq!(
            tracker.due_pulls(at, 2),
            [("early".to_owned(), 0), ("mid".to_owned(), 0)]
        );
        assert_eq!(tracker.next_due(), Some(now + Duration::from_millis(20)));
        assert_eq!(tracker.due_pulls(at, 2), [("late".to_owned(), 0)]);
    }
}
