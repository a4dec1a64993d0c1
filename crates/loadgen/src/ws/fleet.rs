//! Many sessions at once: opened a bounded number at a time, then one [`Peer`] task each, fed
//! through its own outbox and stopped together.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chat_client::Endpoint;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::peer::{Outgoing, Peer, PeerLog, Shared};
use super::session::{self, Session};
use crate::pool;
use crate::users::Account;

/// Sends queued for one session before the traffic task waits.
const OUTBOX: usize = 1024;

/// How sessions are opened.
#[derive(Debug, Clone)]
pub struct Dial {
    pub endpoint: Endpoint,
    pub concurrency: usize,
    /// One attempt (handshake and `hello`).
    pub timeout: Duration,
    /// How long transient refusals are retried.
    pub patience: Duration,
}

/// Opens a session for every account; any failure fails the whole set.
pub async fn open_all(dial: &Dial, accounts: &[Account]) -> anyhow::Result<Vec<Session>> {
    let accounts: Arc<[Account]> = accounts.into();
    let dial = Arc::new(dial.clone());
    pool::run_bounded(accounts.len(), dial.concurrency, |index| {
        let (dial, accounts) = (dial.clone(), accounts.clone());
        async move {
            let account = &accounts[index];
            session::open(&dial.endpoint, account, dial.timeout, dial.patience)
                .await
                .with_context(|| format!("opening the session of user {}", account.user_id))
        }
    })
    .await
}

/// Running peers.
pub struct Fleet {
    outboxes: Vec<mpsc::Sender<Outgoing>>,
    peers: Vec<JoinHandle<PeerLog>>,
    stop: watch::Sender<bool>,
}

impl Fleet {
    /// Starts a peer for each session (`accounts[i]` owns `sessions[i]`).
    pub fn start(sessions: Vec<Session>, accounts: &[Account], shared: &Arc<Shared>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let mut outboxes = Vec::with_capacity(sessions.len());
        let mut peers = Vec::with_capacity(sessions.len());
        for (session, account) in sessions.into_iter().zip(accounts) {
            let (outbox, queued) = mpsc::channel(OUTBOX);
            let peer = Peer::new(account.user_id, shared.clone());
            peers.push(tokio::spawn(peer.run(
                session.connection,
                queued,
                stopped.clone(),
            )));
            outboxes.push(outbox);
        }
        Self {
            outboxes,
            peers,
            stop,
        }
    }

    /// The outbox of every session, in account order.
    pub fn outboxes(&self) -> Vec<mpsc::Sender<Outgoing>> {
        self.outboxes.clone()
    }

    /// Stops every peer and returns what each saw, in account order.
    pub async fn stop(self) -> anyhow::Result<Vec<PeerLog>> {
        drop(self.outboxes);
        let _ = self.stop.send(true);
        let mut logs = Vec::with_capacity(self.peers.len());
        for peer in self.peers {
            logs.push(peer.await.context("a session task panicked")?);
        }
        Ok(logs)
    }
}

/// Sessions per gateway tag, most first: where the balancer put them.
pub fn spread(sessions: &[Session]) -> Vec<(String, usize)> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for session in sessions {
        *counts.entry(session.gateway.as_str()).or_default() += 1;
    }
    let mut spread: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(tag, n)| (tag.to_owned(), n))
        .collect();
    spread.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    spread
}

/// `gw-0 134, gw-1 133, ...`.
pub fn describe_spread(sessions: &[Session]) -> String {
    spread(sessions)
        .iter()
        .map(|(tag, n)| format!("{tag} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
