//! Noticing when this gateway loses slots (another gateway joined, or this one lost its tag),
//! so the sessions of those users can be told to reconnect through OpenResty to the new owner.

use std::collections::BTreeSet;
use std::sync::Arc;

use chat_common::Shutdown;
use chat_routing::{SlotTable, TableWatcher};

use crate::lease::Lease;

/// Acts on lost slots (`ws::HubMoves` sends `moved` and closes the sessions).
pub trait MoveHandler: Send + Sync + 'static {
    /// `lost` slots now belong to other gateways, as `table` says.
    fn slots_moved(&self, lost: &[u32], table: &SlotTable);
}

/// The slots lost between two views of (tag, table).
pub fn lost_slots(before: (&str, &SlotTable), after: (&str, &SlotTable)) -> Vec<u32> {
    let now: BTreeSet<u32> = after.1.slots_of(after.0).into_iter().collect();
    before
        .1
        .slots_of(before.0)
        .into_iter()
        .filter(|slot| !now.contains(slot))
        .collect()
}

/// Follows table and tag changes until shutdown, reporting lost slots to `handler`.
pub fn spawn(
    lease: Lease,
    tables: TableWatcher,
    handler: Arc<dyn MoveHandler>,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut table_updates = tables.subscribe();
        let mut tag_updates = lease.tag.clone();
        let mut seen = (lease.tag(), tables.current());
        loop {
            tokio::select! {
                changed = table_updates.changed() => if changed.is_err() { break },
                changed = tag_updates.changed() => if changed.is_err() { break },
                _ = shutdown.wait() => break,
            }
            let now = (lease.tag(), tables.current());
            let lost = lost_slots((&seen.0, &seen.1), (&now.0, &now.1));
            if !lost.is_empty() {
                metrics::counter!("chat_gateway_slots_lost_total").increment(lost.len() as u64);
                handler.slots_moved(&lost, &now.1);
            }
            seen = now;
        }
    })
}

#[cfg(test)]
mod tests {
    use chat_routing::Gateway;

    use super::*;

    fn table(tags: &[&str], epoch: u64, from: &SlotTable) -> SlotTable {
        let live: Vec<Gateway> = tags
            .iter()
            .map(|tag| Gateway {
                tag: (*tag).into(),
                addr: "127.0.0.1:1".into(),
            })
            .collect();
        from.rebalanced(&live, epoch)
    }

    #[test]
    fn a_joining_gateway_takes_slots_from_us() {
        let two = table(&["gw-0", "gw-1"], 1, &SlotTable::default());
        let three = table(&["gw-0", "gw-1", "gw-2"], 2, &two);
        let lost = lost_slots(("gw-0", &two), ("gw-0", &three));
        assert_eq!(lost.len(), 512 - 342);
        assert!(
            lost.iter()
                .all(|slot| three.owner_of_slot(*slot).unwrap().tag == "gw-2")
        );
    }

    #[test]
    fn losing_our_tag_loses_every_slot() {
        let two = table(&["gw-0", "gw-1"], 1, &SlotTable::default());
        let lost = lost_slots(("gw-1", &two), ("gw-3", &two));
        assert_eq!(lost.len(), 512);
    }

    #[test]
    fn gaining_slots_loses_nothing() {
        let two = table(&["gw-0", "gw-1"], 1, &SlotTable::default());
        let one = table(&["gw-0"], 2, &two);
        assert!(lost_slots(("gw-0", &two), ("gw-0", &one)).is_empty());
    }
}
