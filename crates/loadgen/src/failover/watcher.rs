//! What one `Client` went through, read from its events: deliveries with their latency and
//! arrival, every seq seen, for each disconnect how long until it was connected again and
//! resynced, and whether the server signed it out (a user would have to log in again).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use chat_client::wire::{ChatMessage, Content};
use chat_client::{Event, Events};
use tokio::sync::watch;

use super::recovery::Arrival;
use crate::recorder::Log;
use crate::ws::ledger::Ledger;
use crate::ws::peer::Shared;
use crate::ws::stamp;

/// One client's story.
#[derive(Debug, Default)]
pub struct Watched {
    pub user_id: u64,
    pub log: Log,
    pub ledger: Ledger,
    /// The gateway of the current session.
    pub gateway: String,
    /// Disconnect to the next `Connected`, in microseconds.
    pub reconnects_us: Vec<u32>,
    /// Disconnect to the next `Resynced`, in microseconds.
    pub resyncs_us: Vec<u32>,
    /// When the last disconnect not yet followed by a resync happened.
    pub down_since: Option<Instant>,
    /// Whether a session came up since `down_since`.
    reconnected: bool,
    /// Every delivery of another user's message, in arrival order.
    pub arrivals: Vec<Arrival>,
    /// The token was refused or the session ended on purpose: the client stopped, and a user
    /// would have had to log in again.
    pub signed_out: bool,
}

/// Follows `events` until `stop` fires or the client ends. `gateway` gets the client's
/// gateway tag whenever it connects.
pub async fn follow(
    mut watched: Watched,
    mut events: Events,
    shared: Arc<Shared>,
    gateway: watch::Sender<String>,
    mut stop: watch::Receiver<bool>,
) -> Watched {
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = stop.changed() => break,
        };
        let Some(event) = event else { break };
        let now = Instant::now();
        match event {
            Event::Connected { gateway: tag, .. } => {
                watched.connected(now);
                gateway.send_replace(tag.clone());
                watched.gateway = tag;
            }
            Event::Disconnected { .. } => watched.disconnected(now),
            Event::Resynced { .. } => watched.resynced(now),
            Event::Message(message) => on_message(&mut watched, &shared, message, now),
            Event::Unauthorized { .. } | Event::Kicked { .. } => watched.signed_out = true,
            _ => {}
        }
    }
    watched
}

impl Watched {
    /// Nothing seen yet of `user_id`'s client.
    pub fn new(user_id: u64) -> Self {
        Self {
            user_id,
            ..Self::default()
        }
    }

    fn disconnected(&mut self, now: Instant) {
        if self.down_since.is_none() {
            self.down_since = Some(now);
            self.reconnected = false;
        }
    }

    fn connected(&mut self, now: Instant) {
        if let Some(down) = self.down_since
            && !self.reconnected
        {
            self.reconnects_us.push(micros(now - down));
            self.reconnected = true;
        }
    }

    fn resynced(&mut self, now: Instant) {
        if let Some(down) = self.down_since.take() {
            self.resyncs_us.push(micros(now - down));
        }
    }
}

fn on_message(watched: &mut Watched, shared: &Shared, message: ChatMessage, now: Instant) {
    if message.sender_id == watched.user_id {
        watched.ledger.acked(&message.conversation_id, message.seq);
        return;
    }
    watched.ledger.pushed(&message.conversation_id, message.seq);
    let Content::Text { text } = &message.content else {
        return;
    };
    if let Some((_, due_us)) = stamp::parse(text) {
        let plan = &shared.plan;
        let due = plan.at_offset(due_us);
        watched.log.record(&plan.window, due, now, Ok(()));
        watched.arrivals.push(Arrival {
            at: now,
            latency: now.saturating_duration_since(due),
        });
        shared.counters.delivered.fetch_add(1, Ordering::Relaxed);
    }
}

fn micros(elapsed: std::time::Duration) -> u32 {
    u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_disconnect_is_timed_to_the_first_connect_and_the_resync() {
        let mut watched = Watched::default();
        let down = Instant::now();
        watched.disconnected(down);
        // A failed attempt reports another disconnect: the first one still counts.
        watched.disconnected(down + Duration::from_millis(100));
        watched.connected(down + Duration::from_millis(300));
        watched.connected(down + Duration::from_millis(400));
        watched.resynced(down + Duration::from_millis(500));
        assert_eq!(watched.reconnects_us, vec![300_000]);
        assert_eq!(watched.resyncs_us, vec![500_000]);
        assert!(watched.down_since.is_none());
    }

    #[test]
    fn the_first_connect_and_resync_are_not_recoveries() {
        let mut watched = Watched::default();
        watched.connected(Instant::now());
        watched.resynced(Instant::now());
        assert!(watched.reconnects_us.is_empty() && watched.resyncs_us.is_empty());
    }
}
