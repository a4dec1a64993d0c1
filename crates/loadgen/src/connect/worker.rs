//! Opening one slice of the `connect` scenario's sessions, in this process: at most
//! `--connect-concurrency` handshakes at once, every one timed, failures kept rather than
//! fatal. A child process does the same and reports its [`Slice`] as one JSON line.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use chat_client::Endpoint;
use serde::{Deserialize, Serialize};

use crate::pool;
use crate::users::Account;
use crate::ws::fleet::Dial;
use crate::ws::session::{self, Session};

/// Error texts kept per slice.
const FAILURE_SAMPLES: usize = 5;

/// Which sessions a process opens and how.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Session numbers `start..end`; session `i` belongs to account `i / per_user`.
    pub start: usize,
    pub end: usize,
    pub per_user: usize,
    /// Addresses of OpenResty taken in turn (none: the server address of `--server`).
    pub public_ips: Vec<IpAddr>,
}

/// What opening a slice came to; times are microseconds since the slice began.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Slice {
    /// `(start_us, end_us)` of every session opened.
    pub opened: Vec<(u64, u64)>,
    /// `(start_us, end_us)` of every session that failed.
    pub failed: Vec<(u64, u64)>,
    pub failure_samples: Vec<String>,
    /// Sessions per gateway tag.
    pub gateways: BTreeMap<String, u64>,
}

/// Opens the slice; returns the sessions (to be held) and the tally.
pub async fn open(dial: &Dial, accounts: &[Account], plan: &Plan) -> (Vec<Session>, Slice) {
    let began = Instant::now();
    let accounts: Arc<[Account]> = accounts.into();
    let (dial, plan) = (Arc::new(dial.clone()), Arc::new(plan.clone()));
    let count = plan.end.saturating_sub(plan.start);
    let outcomes = pool::run_bounded(count, dial.concurrency, |offset| {
        let (dial, plan, accounts) = (dial.clone(), plan.clone(), accounts.clone());
        async move {
            let number = plan.start + offset;
            // Another address of OpenResty for every few sessions: each destination address
            // has its own ephemeral ports (no bind, so OpenResty's own connects keep theirs).
            let target = (!plan.public_ips.is_empty())
                .then(|| plan.public_ips[number % plan.public_ips.len()])
                .and_then(|ip| {
                    Endpoint::parse(&format!("http://{ip}:{}", dial.endpoint.port())).ok()
                });
            let endpoint = target.as_ref().unwrap_or(&dial.endpoint);
            let started = Instant::now();
            let outcome = match accounts.get(number / plan.per_user.max(1)) {
                Some(account) => session::open(endpoint, account, dial.timeout, dial.patience)
                    .await
                    .map_err(|error| error.to_string()),
                None => Err(format!("no user for session {number}")),
            };
            Ok((started, Instant::now(), outcome))
        }
    })
    .await
    .unwrap_or_default();
    tally(began, outcomes)
}

type Outcome = (Instant, Instant, Result<Session, String>);

fn tally(began: Instant, outcomes: Vec<Outcome>) -> (Vec<Session>, Slice) {
    let us = |at: Instant| at.saturating_duration_since(began).as_micros() as u64;
    let mut sessions = Vec::with_capacity(outcomes.len());
    let mut slice = Slice::default();
    for (started, ended, outcome) in outcomes {
        match outcome {
            Ok(session) => {
                slice.opened.push((us(started), us(ended)));
                *slice.gateways.entry(session.gateway.clone()).or_default() += 1;
                sessions.push(session);
            }
            Err(error) => {
                slice.failed.push((us(started), us(ended)));
                if slice.failure_samples.len() < FAILURE_SAMPLES
                    && !slice.failure_samples.contains(&error)
                {
                    slice.failure_samples.push(error);
                }
            }
        }
    }
    (sessions, slice)
}
