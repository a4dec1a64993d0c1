//! Leadership and reconciliation. Every router tries to lead; the leader alone rebuilds the
//! table whenever the set of live gateways differs from the table's, and writes it fenced by
//! its leader lease and the epoch it read (see `store::PUBLISH`).

use std::sync::Arc;
use std::time::Duration;

use chat_common::Shutdown;
use chat_routing::{Gateway, SlotTable};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

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
    /// Gateways' lease TTL: how long a gateway whose lease Redis lost may take to renew (and
    /// so register again under its old tag).
    pub lease_ttl: Duration,
    /// Set when Redis lost the table: until then the gateways of the table this router knew
    /// count as live although their leases are missing, so that their slots stay put while
    /// they register again, instead of moving to whichever re-registered first and back.
    pub restoring_until: Option<Instant>,
}

impl Coordinator {
    /// Runs until shutdown, then resigns the leadership so another router takes over at once.
    pub async fn run(mut self, shutdown: Shutdown) {
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
    async fn reconcile(&mut self) -> Result<(), StoreError> {
        let mut live = self.store.live_gateways().await?;
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
        if lost {
            self.restoring_until = Some(Instant::now() + self.lease_ttl);
        }
        if self
            .restoring_until
            .is_some_and(|until| Instant::now() < until)
        {
            keep_missing(&mut live, current.gateways());
        }
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

/// Adds to `live` the gateways of `table` that hold no lease now (Redis lost them).
fn keep_missing(live: &mut Vec<Gateway>, table: &[Gateway]) {
    for gateway in table {
        if !live.iter().any(|held| held.tag == gateway.tag) {
            live.push(gateway.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(tag: &str, addr: &str) -> Gateway {
        Gateway {
            tag: tag.to_owned(),
            addr: addr.to_owned(),
        }
    }

    #[test]
    fn gateways_missing_a_lease_are_kept_and_a_new_address_wins() {
        let table = [gateway("gw-0", "a:1"), gateway("gw-1", "b:1")];
        let mut live = vec![gateway("gw-1", "b:2"), gateway("gw-2", "c:1")];
        keep_missing(&mut live, &table);
        assert_eq!(
            live,
            vec![
                gateway("gw-1", "b:2"),
                gateway("gw-2", "c:1"),
                gateway("gw-0", "a:1")
            ]
        );
    }
}
