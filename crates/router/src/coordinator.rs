//! Leadership and reconciliation. Every router tries to lead; the leader alone rebuilds the
//! table whenever the set of live gateways differs from the table's, and writes it fenced by
//! its leader lease and the epoch it read (see `store::PUBLISH`).

use std::sync::Arc;
use std::time::Duration;

use chat_common::Shutdown;
use chat_routing::SlotTable;
use tokio::sync::{Notify, watch};

use crate::store::{Publish, RouterStore, StoreError};

/// Drives leadership and reconciliation for one router process.
pub struct Coordinator {
    pub store: RouterStore,
    pub router_id: String,
    pub leader_ttl: Duration,
    /// How often the leader compares leases with the table (lease expiry is noticed this late).
    pub interval: Duration,
    /// Woken by registrations and deregistrations, so those take effect at once.
    pub changed: Arc<Notify>,
    pub tables: watch::Sender<Arc<SlotTable>>,
}

impl Coordinator {
    /// Runs until shutdown, then resigns the leadership so another router takes over at once.
    pub async fn run(self, shutdown: Shutdown) {
        let mut leading = false;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = self.changed.notified() => {}
                _ = shutdown.wait() => break,
            }
            match self.store.lead(&self.router_id, self.leader_ttl).await {
                Ok(now_leading) => {
                    if now_leading != leading {
                        tracing::info!(router_id = %self.router_id, leading = now_leading, "leadership changed");
                        metrics::gauge!("chat_router_leader").set(if now_leading {
                            1.0
                        } else {
                            0.0
                        });
                        leading = now_leading;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot reach Redis for the leader lease");
                    continue;
                }
            }
            if leading && let Err(error) = self.reconcile().await {
                tracing::warn!(%error, "reconciliation failed; retrying");
            }
        }
        if leading && let Err(error) = self.store.resign(&self.router_id).await {
            tracing::warn!(%error, "could not resign the leadership; it expires by itself");
        }
    }

    /// Publishes a new table when the live gateways differ from the current table's.
    async fn reconcile(&self) -> Result<(), StoreError> {
        let live = self.store.live_gateways().await?;
        let stored = self.store.load_table().await?;
        // Redis lost the table (a flush, an empty replica promoted): carry on from the newest
        // table this router knew, so that no epoch is ever published twice with different
        // owners. Watchers take a table only when its epoch differs from theirs; a rebuilt
        // table that reached their epoch again went unseen, and pushes went to the old owners.
        let known = self.tables.borrow().clone();
        let lost = stored.epoch() < known.epoch();
        let current = if lost {
            (*known).clone()
        } else {
            stored.clone()
        };
        // Rebalancing a balanced table over the same gateways changes nothing, so equality
        // means there is nothing to do.
        if !lost && current.rebalanced(&live, current.epoch()) == current {
            return Ok(());
        }
        if lost {
            tracing::warn!(
                stored = stored.epoch(),
                known = known.epoch(),
                "the stored slot table is older than the one this router knew; publishing above it"
            );
        }
        let next = current.rebalanced(&live, current.epoch() + 1);
        match self
            .store
            .publish(&self.router_id, &next, stored.epoch())
            .await?
        {
            Publish::Published => {
                let moved = current.moved_slots(&next).len();
                tracing::info!(
                    epoch = next.epoch(),
                    gateways = live.len(),
                    moved,
                    "published a new slot table"
                );
                metrics::counter!("chat_router_slots_moved_total").increment(moved as u64);
                self.tables.send_replace(Arc::new(next));
            }
            Publish::NotLeader => tracing::info!("lost the leadership before publishing"),
            Publish::Stale => tracing::debug!("the table changed underneath; will retry"),
        }
        Ok(())
    }
}
