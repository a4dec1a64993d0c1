//! One steady-load run over open sessions: start a peer per session, measure the window, feed
//! the sends, let the tail drain, stop, and gather what every session saw.

use std::sync::Arc;

use super::fleet::Fleet;
use super::peer::{PeerLog, Shared};
use super::session::Session;
use super::traffic::{self, Route};
use crate::cli::RunArgs;
use crate::outcome::{Measuring, Usage};
use crate::recorder::Log;
use crate::users::Account;

/// What a run brought back.
pub struct Loaded {
    /// Every delivery and failure, merged.
    pub log: Log,
    /// Each session's view (ledgers settled, logs moved into `log`), in account order.
    pub peers: Vec<PeerLog>,
    pub usage: Usage,
    /// Whether every send was answered and pushed before the drain time ran out.
    pub drained: bool,
    /// Repeated pushes dropped while settling the ledgers.
    pub repeats: u64,
}

/// How the load is shaped.
pub struct Shape<R> {
    pub route: R,
    /// Pushes each acknowledged send makes (1 for 1:1, members - 1 in a group).
    pub fanout: u64,
    pub drain: std::time::Duration,
}

/// Runs the load over `sessions` (`accounts[i]` owns `sessions[i]`).
pub async fn run<R: FnMut(u64) -> Route>(
    shared: Arc<Shared>,
    sessions: Vec<Session>,
    accounts: &[Account],
    run: &RunArgs,
    shape: Shape<R>,
) -> anyhow::Result<Loaded> {
    let fleet = Fleet::start(sessions, accounts, &shared);
    let measuring = Measuring::start(run, shared.plan.window);
    let progress = tokio::spawn(traffic::progress(shared.clone()));
    let mut log = traffic::drive(shared.clone(), fleet.outboxes(), shape.route).await;
    let drained = traffic::drain(&shared, shape.fanout, shape.drain).await;
    progress.abort();
    let usage = measuring.finish().await?;
    let mut peers = fleet.stop().await?;
    let mut repeats = 0;
    for peer in &mut peers {
        repeats += peer.ledger.settle();
        log.merge(std::mem::take(&mut peer.log));
    }
    if !drained {
        println!("drain: not everything was answered and pushed in time");
    }
    Ok(Loaded {
        log,
        peers,
        usage,
        drained,
        repeats,
    })
}
