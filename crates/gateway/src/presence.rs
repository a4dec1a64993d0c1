//! Presence reports: tells the account service which users this gateway process holds.
//!
//! A user's arrival is reported at once (or, while a report is in flight, with the next one,
//! together with every other change that gathered meanwhile), and a new session waits for that
//! report before it says `hello`: the message service pushes only to users it finds online, so
//! a user must be visible as online before the client's first sync. A departure is reported
//! only after the grace period and only if no session came back meanwhile, so a quick
//! reconnect (or a move to another gateway, which reports its arrival first) is not an offline
//! event; departures due are looked for every tick. An empty report every heartbeat keeps this
//! process alive to the account service, which takes the users of a process that stopped
//! reporting offline (a crash). A report that fails is merged back and retried with the next
//! one; when the account service did not know this process (its reports lapsed and its users
//! may have been swept, or Redis lost them), every user here is reported again. The same
//! happens at once when this gateway's router lease was lost and registered again: leases
//! live in the same Redis, so presence was most likely lost with them (a flush), and waiting
//! for the next heartbeat to find out would leave every user here without pushes until then.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_common::Shutdown;
use chat_common::internal::InternalChannel;
use chat_proto::account::account_client::AccountClient;
use chat_proto::account::{ReportPresenceRequest, SessionCount};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::ws::hub::Hub;

/// How often departures past their grace period are looked for.
const TICK: Duration = Duration::from_millis(250);

/// Reports are numbered; a session waits until the report carrying its arrival succeeded.
type ReportNumber = u64;

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
    /// The number of the last report taken (sent or in flight).
    taken: ReportNumber,
}

impl State {
    /// Records an arrival; returns the report after whose success the account service knows
    /// the user is here (the next one if the arrival is still to be sent, else the last one
    /// taken, which carried it or a predecessor did).
    fn arrived(&mut self, user: u64) -> ReportNumber {
        self.departing.remove(&user);
        if self.here.insert(user) {
            self.pending.insert(user, true);
        }
        if self.pending.contains_key(&user) {
            self.taken + 1
        } else {
            self.taken
        }
    }

    /// Moves departures older than `grace` whose user has no session now (`still_here` says)
    /// to the pending changes, then takes all pending changes.
    fn take(
        &mut self,
        now: Instant,
        grace: Duration,
        still_here: impl Fn(u64) -> bool,
    ) -> (ReportNumber, Vec<SessionCount>) {
        self.taken += 1;
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
        let changes = self
            .pending
            .drain()
            .map(|(user_id, arrived)| SessionCount {
                user_id,
                sessions: u32::from(arrived),
            })
            .collect();
        (self.taken, changes)
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
    /// Wakes the reporting task for an arrival.
    wake: Arc<Notify>,
    /// The number of the last report that succeeded.
    reported: watch::Receiver<ReportNumber>,
}

impl PresenceReporter {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A session of `user` started here: returns once the account service knows the user is
    /// here, or after `patience` (the account service is slow or down: the session goes on,
    /// and pushes to the user may be left out until a report succeeds; sync still delivers).
    pub async fn arrived(&self, user: u64, patience: Duration) {
        let number = self.state().arrived(user);
        let mut reported = self.reported.clone();
        if *reported.borrow() >= number {
            return;
        }
        self.wake.notify_one();
        let waited = tokio::time::timeout(patience, reported.wait_for(|done| *done >= number));
        if !matches!(waited.await, Ok(Ok(_))) {
            metrics::counter!("chat_gateway_presence_waits_given_up_total").increment(1);
            tracing::warn!(
                user,
                "presence report not confirmed in time; session goes on"
            );
        }
    }

    /// The last session of `user` here ended.
    pub fn left(&self, user: u64) {
        self.state().departing.insert(user, Instant::now());
    }
}

/// Starts reporting for this process (`source`) until shutdown; the last report keeps the
/// process alive only for the grace period, so users who do not reconnect elsewhere go offline.
pub fn spawn(
    account: AccountClient<InternalChannel>,
    hub: Arc<Hub>,
    source: String,
    timings: PresenceTimings,
    reregistrations: watch::Receiver<u64>,
    shutdown: Shutdown,
) -> (PresenceReporter, tokio::task::JoinHandle<()>) {
    let (reported, watch) = watch::channel(0);
    let reporter = PresenceReporter {
        state: Arc::default(),
        wake: Arc::default(),
        reported: watch,
    };
    let task = Reporting {
        account,
        hub,
        source,
        timings,
        reporter: reporter.clone(),
        reported,
    };
    (reporter, tokio::spawn(task.run(reregistrations, shutdown)))
}

struct Reporting {
    account: AccountClient<InternalChannel>,
    hub: Arc<Hub>,
    source: String,
    timings: PresenceTimings,
    reporter: PresenceReporter,
    reported: watch::Sender<ReportNumber>,
}

impl Reporting {
    async fn run(self, mut reregistrations: watch::Receiver<u64>, shutdown: Shutdown) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Report at once: the account service learns this process is alive.
        let mut last_report = Instant::now()
            .checked_sub(self.timings.heartbeat)
            .unwrap_or_else(Instant::now);
        let mut failing = false;
        let mut lease_ended = false;
        loop {
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = tick.tick() => {}
                // After a failure, retries wait for the tick rather than follow every arrival.
                _ = self.reporter.wake.notified(), if !failing => {}
                changed = reregistrations.changed(), if !lease_ended => {
                    match changed {
                        Ok(()) => self.reporter.state().announce_all(),
                        // The lease task ended (shutdown): nothing more to hear from it.
                        Err(_) => lease_ended = true,
                    }
                }
            }
            let (number, changes) = self.take(Instant::now());
            if changes.is_empty() && last_report.elapsed() < self.timings.heartbeat {
                // Nothing to say, so nothing anyone waits for is missing either.
                self.reported.send_replace(number);
                continue;
            }
            failing = !self.report(changes, self.timings.alive()).await;
            if !failing {
                last_report = Instant::now();
                self.reported.send_replace(number);
            }
        }
        // Arrivals still count; departures are left to the sweep after the grace period.
        let arrivals: Vec<SessionCount> = self
            .take(Instant::now())
            .1
            .into_iter()
            .filter(|change| change.sessions > 0)
            .collect();
        let last = self.report(arrivals, self.timings.grace);
        let _ = tokio::time::timeout(Duration::from_secs(2), last).await;
    }

    fn take(&self, now: Instant) -> (ReportNumber, Vec<SessionCount>) {
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
        assert_eq!(sorted(state.take(now, GRACE, |_| true).1), vec![(1, 1)]);
        state.arrived(1);
        assert!(state.take(now, GRACE, |_| true).1.is_empty());
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
        assert!(state.take(start + GRACE / 2, GRACE, |_| false).1.is_empty());
        state.arrived(2);
        assert_eq!(
            sorted(state.take(start + GRACE, GRACE, |user| user == 2).1),
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
        assert!(state.take(start + GRACE, GRACE, |_| true).1.is_empty());
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
            sorted(state.take(now, GRACE, |_| true).1),
            vec![(1, 1), (2, 1)]
        );
    }

    #[test]
    fn failed_changes_come_back_unless_overtaken() {
        let mut state = State::default();
        let start = Instant::now();
        state.arrived(1);
        state.arrived(2);
        let failed = state.take(start, GRACE, |_| true).1;
        // User 2 left (and was reported gone) before the retry: its arrival is stale.
        state.here.remove(&2);
        state.restore(failed);
        assert_eq!(sorted(state.take(start, GRACE, |_| true).1), vec![(1, 1)]);
    }

    #[test]
    fn an_arrival_waits_for_the_report_that_carries_it() {
        let mut state = State::default();
        let now = Instant::now();
        assert_eq!(state.arrived(1), 1, "still to send: the next report");
        assert_eq!(state.take(now, GRACE, |_| true).0, 1);
        assert_eq!(
            state.arrived(1),
            1,
            "already taken: the report that carried it"
        );
        assert_eq!(state.arrived(2), 2);
        let (number, failed) = state.take(now, GRACE, |_| true);
        assert_eq!(number, 2);
        state.restore(failed);
        assert_eq!(
            state.arrived(2),
            3,
            "a failed report's arrival waits for the retry"
        );
    }
}
