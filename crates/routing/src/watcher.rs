//! The cached table every producer and gateway routes with: kept fresh through the router's
//! `WatchTable` stream, re-established with backoff when it breaks, with a `GetTable` poll on
//! every attempt so that a router that cannot stream still keeps the cache current.

use std::sync::Arc;
use std::time::Duration;

use chat_common::Shutdown;
use chat_common::internal::InternalChannel;
use chat_proto::router::router_client::RouterClient;
use chat_proto::router::{GetTableRequest, WatchTableRequest};
use tokio::sync::watch;

use crate::SlotTable;

const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A locally cached slot table that follows the router's.
#[derive(Clone)]
pub struct TableWatcher {
    tables: watch::Receiver<Arc<SlotTable>>,
}

impl TableWatcher {
    /// Starts following the router at `channel` until shutdown.
    pub fn spawn(channel: InternalChannel, shutdown: Shutdown) -> Self {
        let (sender, tables) = watch::channel(Arc::new(SlotTable::default()));
        tokio::spawn(follow(RouterClient::new(channel), sender, shutdown));
        Self { tables }
    }

    /// The newest table known here (empty, epoch 0, until the first arrives).
    pub fn current(&self) -> Arc<SlotTable> {
        self.tables.borrow().clone()
    }

    /// A receiver that is notified of every new table.
    pub fn subscribe(&self) -> watch::Receiver<Arc<SlotTable>> {
        self.tables.clone()
    }

    /// Waits until a table with at least one gateway is known, up to `timeout`.
    pub async fn wait_for_owners(&self, timeout: Duration) -> bool {
        let mut tables = self.tables.clone();
        tokio::time::timeout(
            timeout,
            tables.wait_for(|table| !table.gateways().is_empty()),
        )
        .await
        .is_ok_and(|seen| seen.is_ok())
    }
}

async fn follow(
    mut client: RouterClient<InternalChannel>,
    tables: watch::Sender<Arc<SlotTable>>,
    shutdown: Shutdown,
) {
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_triggered() {
        poll_once(&mut client, &tables).await;
        let after_epoch = tables.borrow().epoch();
        match client.watch_table(WatchTableRequest { after_epoch }).await {
            Ok(response) => {
                backoff = Duration::from_millis(100);
                let mut stream = response.into_inner();
                loop {
                    tokio::select! {
                        item = stream.message() => match item {
                            Ok(Some(wire)) => accept(&tables, &wire),
                            Ok(None) => break,
                            Err(status) => {
                                tracing::warn!(%status, "slot table stream broke");
                                break;
                            }
                        },
                        _ = shutdown.wait() => return,
                    }
                }
            }
            Err(status) => tracing::warn!(%status, "cannot watch the slot table; polling"),
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.wait() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn poll_once(
    client: &mut RouterClient<InternalChannel>,
    tables: &watch::Sender<Arc<SlotTable>>,
) {
    match client.get_table(GetTableRequest {}).await {
        Ok(response) => accept(tables, &response.into_inner()),
        Err(status) => tracing::debug!(%status, "cannot fetch the slot table"),
    }
}

/// Takes a table from the router unless it is malformed or the same epoch as the cached one.
fn accept(tables: &watch::Sender<Arc<SlotTable>>, wire: &chat_proto::router::SlotTable) {
    match SlotTable::from_proto(wire) {
        Ok(table) if table.epoch() != tables.borrow().epoch() => {
            tracing::debug!(epoch = table.epoch(), "new slot table");
            tables.send_replace(Arc::new(table));
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "ignoring a malformed slot table"),
    }
}
