//! Presence reports: tells the account service which users this gateway process holds.
//!
//! A user's arrival is reported at the next tick (a quarter second); a departure only after
//! the grace period and only if no session came back meanwhile, so a quick reconnect (or a
//! move to another gateway, which reports its arrival first) is not an offline event. Reports
//! are batched per tick; an empty one every heartbeat keeps this process alive to the account
//! service, which takes the users of a process that stopped reporting offline (a crash). A
//! report that fails is merged back and retried with the next one; when the account service
//! did not know this process (its reports lapsed and its users may have been swept, or Redis
//! lost them), every user here is reported again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_common::Shutdown;
use chat_proto::account::account_client::AccountClient;
use chat_proto::account::{ReportPresenceRequest, SessionCount};
use tokio::time::Instant;
use tonic::transport::Channel;

use crate::ws::hub::Hub;

/// How often pending changes are sent.
const TICK: Duration = Duration::from_millis(250);

/// Timings of presence reports.
#[derive(Debug, Clone, Copy)]
pub struct PresenceTimings {
    /// A departed user is reported gone after this long without a session here.
    pub grace: Duration,
    /// An empty report is sent when nothing else was for this long.
    pub heartbeat: Duration,
}

impl PresenceTimings {
    /// How long one report keeps this process alive: three heartbeats, so one lost report
    /// does not sweep a live gateway.
    fn alive(&self) -> Duration {
        self.heartbeat * 3
    }
}

#[derive(Default)]
struct State {
    /// Users the account service has been told (or will be at the next report) are here.
    here: HashSet<u64>,
    /// Users to report: `true` arrived, `false` gone.
    pending: HashMap<u64, bool>,
    /// Users whose last session here ended, and when.
    departing: HashMap<u64, Instant>,
}

impl State {
    fn arrived(&mut self, user: u64) {
        self.departing.remove(&user);
        if self.here.insert(user) {
            self.pending.insert(user, true);
        }
    }

    /// Moves departures older than `grace` whose user has no session now (`still_here` says)
    /// to the pending changes, then takes all pending changes.
    fn take(
        &mut self,
        now: Instant,
        grace: Duration,
        still_here: impl Fn(u64) -> bool,
    ) -> Vec<SessionCount> {
        let due: Vec<u64> = self
            .departing
            .iter()
            .filter(|(_, left)| now.duration_since(**left) >= grace)
            .map(|(user, _)| *user)
            .collect();
        for user in due {
            self.departing.remove(&user);
            if !still_here(user) && self.here.remove(&user) {
                self.pending.insert(user, false);
            }
        }
        self.pending
            .drain()
            .map(|(user_id, arrived)| SessionCount {
                user_id,
                sessions: u32::from(arrived),
            })
            .collect()
    }

    /// Reports every user here again (the account service lost or swept them).
    fn announce_all(&mut self) {
        for user in &self.here {
            self.pending.entry(*user).or_insert(true);
        }
    }

    /// Puts back changes a failed report carried, unless a newer change replaced them.
    fn restore(&mut self, changes: Vec<SessionCount>) {
        for change in changes {
            let arrived = change.sessions > 0;
            if self.here.contains(&change.user_id) == arrived {
                self.pending.entry(change.user_id).or_insert(arrived);
            }
        }
    }
}

/// What sessions tell about users coming and going.
#[derive(Clone)]
pub struct PresenceReporter {
    state: Arc<Mutex<State>>,
}

impl PresenceReporter {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A session of `user` started here.
    pub fn arrived(&self, user: u64) {
        self.state().arrived(user);
    }

    /// The last session of `user` here ended.
    pub fn left(&self, user: u64) {
        self.state().departing.insert(user, Instant::now());
    }
}

/// Starts reporting for this process (`source`) until shutdown; the last report keeps the
/// process alive only for the grace period, so users who do not reconnect elsewhere go offline.
pub fn spawn(
    account: AccountClient<Channel>,
    hub: Arc<Hub>,
    source: String,
    timings: PresenceTimings,
    shutdown: Shutdown,
) -> (PresenceReporter, tokio::task::JoinHandle<()>) {
    let reporter = PresenceReporter {
        state: Arc::default(),
    };
    let task = Reporting {
        account,
        hub,
        source,
        timings,
        reporter: reporter.clone(),
    };
    (reporter, tokio::spawn(task.run(shutdown)))
}

struct Reporting {
    account: AccountClient<Channel>,
    hub: Arc<Hub>,
    source: String,
    timings: PresenceTimings,
    reporter: PresenceReporter,
}

impl Reporting {
    async fn run(self, shutdown: Shutdown) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Report at once: the account service learns this process is alive.
        let mut last_report = Instant::now()
            .checked_sub(self.timings.heartbeat)
            .unwrap_or_else(Instant::now);
        loop {
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = tick.tick() => {}
            }
            let changes = self.take(Instant::now());
            if changes.is_empty() && last_report.elapsed() < self.timings.heartbeat {
                continue;
            }
            if self.report(changes, self.timings.alive()).await {
                last_report = Instant::now();
            }
        }
        // Arrivals still count; departures are left to the sweep after the grace period.
        let arrivals: Vec<SessionCount> = self
            .take(Instant::now())
            .into_iter()
            .filter(|change| change.sessions > 0)
            .collect();
        let last = self.report(arrivals, self.timings.grace);
        let _ = tokio::time::timeout(Duration::from_secs(2), last).await;
    }

    fn take(&self, now: Instant) -> Vec<SessionCount> {
        let hub = &self.hub;
        self.reporter
            .state()
            .take(now, self.timings.grace, |user| hub.holds(user))
    }

    /// Sends one report; on failure its changes go back to be sent again.
    async fn report(&self, changes: Vec<SessionCount>, alive: Duration) -> bool {
        let request = ReportPresenceRequest {
            source: self.source.clone(),
            changes: changes.clone(),
            alive_ms: u32::try_from(alive.as_millis()).unwrap_or(u32::MAX),
        };
        match self.account.clone().report_presence(request).await {
            Ok(reply) => {
                if !reply.into_inner().known {
                    // Our reports lapsed (or Redis lost them): our users may have been swept.
                    self.reporter.state().announce_all();
                }
                true
            }
            Err(status) => {
                tracing::warn!(%status, changes = changes.len(), "presence report failed; retrying");
                self.reporter.state().restore(changes);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_secs(5);

    fn sorted(mut changes: Vec<SessionCount>) -> Vec<(u64, u32)> {
        changes.sort_by_key(|change| change.user_id);
        changes
            .into_iter()
            .map(|change| (change.user_id, change.sessions))
            .collect()
    }

    #[test]
    fn an_arrival_is_reported_once() {
        let mut state = State::default();
        let now = Instant::now();
        state.arrived(1);
        state.arrived(1);
        assert_eq!(sorted(state.take(now, GRACE, |_| true)), vec![(1, 1)]);
        state.arrived(1);
        assert!(state.take(now, GRACE, |_| true).is_empty());
    }

    #[test]
    fn a_departure_waits_for_the_grace_period_and_a_return_cancels_it() {
        let mut state = State::default();
        let start = Instant::now();
        state.arrived(1);
        state.arrived(2);
        state.take(start, GRACE, |_| true);
        state.departing.insert(1, start);
        state.departing.insert(2, start);
        assert!(state.take(start + GRACE / 2, GRACE, |_| false).is_empty());
        state.arrived(2);
        assert_eq!(
            sorted(state.take(start + GRACE, GRACE, |user| user == 2)),
            vec![(1, 0)]
        );
        assert!(state.here.contains(&2));
    }

    #[test]
    fn a_departure_with_a_session_back_is_not_reported() {
        let mut state = State::default();
        let start = Instant::now();
        state.arrived(1);
        state.take(start, GRACE, |_| true);
        state.departing.insert(1, start);
        assert!(state.take(start + GRACE, GRACE, |_| true).is_empty());
        assert!(state.here.contains(&1));
    }

    #[test]
    fn an_unknown_source_announces_everyone_again() {
        let mut state = State::default();
        let now = Instant::now();
        state.arrived(1);
        state.arrived(2);
        state.take(now, GRACE, |_| true);
        state.announce_all();
        assert_eq!(
            sorted(state.take(now, GRACE, |_| true)),
            vec![(1, 1), (2, 1)]
        );
    }

    #[test]
    fn failed_changes_come_back_unless_overtaken() {
        let mut state = State::default();
        let start = Instant::now();
        state.arrived(1);
        state.arrived(2);
        let failed = state.take(start, GRACE, |_| true);
        // User 2 left (and was reported gone) before the retry: its arrival is stale.
        state.here.remove(&2);
        state.restore(failed);
        assert_eq!(sorted(state.take(start, GRACE, |_| true)), vec![(1, 1)]);
    }
}
