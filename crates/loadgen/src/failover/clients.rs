//! The failover run's clients: one `Client` per user (the full library: reconnects, follows
//! moves, resyncs), each followed by a watcher task that reads its events.

use std::sync::Arc;

use anyhow::Context;
use chat_client::{Backoff, Client, Config, Events, StartFrom};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::FailoverArgs;
use super::watcher::{self, Watched};
use crate::pool;
use crate::users::Account;
use crate::ws::peer::Shared;

/// Running clients and their watchers.
pub struct Fleet {
    clients: Arc<[Client]>,
    tags: Vec<watch::Receiver<String>>,
    watchers: Vec<JoinHandle<Watched>>,
    stop: watch::Sender<bool>,
}

/// Connects a client per account (a bounded number at a time) and starts its watcher.
pub async fn start(
    args: &FailoverArgs,
    accounts: &[Account],
    shared: &Arc<Shared>,
) -> anyhow::Result<Fleet> {
    println!(
        "connect: {} clients through {}",
        accounts.len(),
        args.ws.server
    );
    let configs: Arc<[Config]> = accounts
        .iter()
        .map(|account| config(args, account))
        .collect();
    let connected = pool::run_bounded(
        configs.len(),
        args.ws.connect_concurrency as usize,
        |index| {
            let config = configs[index].clone();
            async move {
                let user = config.user_id;
                Client::connect(config)
                    .await
                    .with_context(|| format!("connecting the client of user {user}"))
            }
        },
    )
    .await?;
    let (stop, stopped) = watch::channel(false);
    let mut clients = Vec::with_capacity(connected.len());
    let mut tags = Vec::with_capacity(connected.len());
    let mut watchers = Vec::with_capacity(connected.len());
    for ((client, events), account) in connected.into_iter().zip(accounts) {
        let (tag, tag_rx) = watch::channel(String::new());
        watchers.push(spawn_watcher(account, events, shared, tag, stopped.clone()));
        clients.push(client);
        tags.push(tag_rx);
    }
    Ok(Fleet {
        clients: clients.into(),
        tags,
        watchers,
        stop,
    })
}

fn config(args: &FailoverArgs, account: &Account) -> Config {
    let mut config = Config::new(&args.ws.server, &account.token, account.user_id);
    config.start = StartFrom::Latest;
    config.connect_timeout = args.ws.connect_timeout;
    config.backoff = Backoff {
        max: args.max_backoff,
        ..Backoff::default()
    };
    config
}

fn spawn_watcher(
    account: &Account,
    events: Events,
    shared: &Arc<Shared>,
    tag: watch::Sender<String>,
    stop: watch::Receiver<bool>,
) -> JoinHandle<Watched> {
    let watched = Watched::new(account.user_id);
    tokio::spawn(watcher::follow(watched, events, shared.clone(), tag, stop))
}

impl Fleet {
    /// The clients, in account order.
    pub fn clients(&self) -> Arc<[Client]> {
        self.clients.clone()
    }

    /// Each client's current gateway tag.
    pub fn gateways(&self) -> Vec<watch::Receiver<String>> {
        self.tags.clone()
    }

    /// Stops the watchers, closes the clients and returns what each watcher saw.
    pub async fn stop(self) -> anyhow::Result<Vec<Watched>> {
        let _ = self.stop.send(true);
        let mut watched = Vec::with_capacity(self.watchers.len());
        for watcher in self.watchers {
            watched.push(watcher.await.context("a watcher panicked")?);
        }
        let closing: Vec<_> = self
            .clients
            .iter()
            .map(|client| {
                let client = client.clone();
                tokio::spawn(async move { client.close().await })
            })
            .collect();
        for close in closing {
            let _ = close.await;
        }
        Ok(watched)
    }
}
