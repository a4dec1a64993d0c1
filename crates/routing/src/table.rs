//! The slot table and its rebalancing: balanced (slot counts differ by at most one) and minimal
//! (a join or leave moves only the slots it must).

use std::collections::{BTreeMap, HashMap};

use chat_proto::router as pb;

/// Number of slots users are spread over.
pub const SLOT_COUNT: u32 = 1024;

/// The slot of a user.
pub fn slot_of(user_id: u64) -> u32 {
    (user_id % u64::from(SLOT_COUNT)) as u32
}

/// A gateway as the table names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gateway {
    /// `gw-<n>`: its RocketMQ tag and its name in the table.
    pub tag: String,
    /// Where OpenResty proxies its users' WebSockets (host:port).
    pub addr: String,
}

/// A table received from elsewhere that does not hold together.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    #[error("the table has {found} slots, expected {expected}")]
    SlotCount { expected: u32, found: usize },
    #[error("slot {slot} names gateway #{index}, but the table lists {gateways}")]
    UnknownGateway {
        slot: usize,
        index: i32,
        gateways: usize,
    },
    #[error("gateway tag `{0}` appears twice")]
    DuplicateTag(String),
}

/// Which gateway owns each slot, at an epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotTable {
    epoch: u64,
    gateways: Vec<Gateway>,
    /// `owners[slot]` indexes `gateways`; `None` only when no gateway is live.
    owners: Vec<Option<usize>>,
}

impl Default for SlotTable {
    fn default() -> Self {
        Self::empty(0)
    }
}

impl SlotTable {
    /// A table in which no slot has an owner.
    pub fn empty(epoch: u64) -> Self {
        Self {
            epoch,
            gateways: Vec::new(),
            owners: vec![None; SLOT_COUNT as usize],
        }
    }

    /// The table's epoch: it increases with every change.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The live gateways, in tag order.
    pub fn gateways(&self) -> &[Gateway] {
        &self.gateways
    }

    /// The gateway that holds `user_id`, if any gateway is live.
    pub fn owner_of(&self, user_id: u64) -> Option<&Gateway> {
        self.owner_of_slot(slot_of(user_id))
    }

    /// The gateway that owns `slot`.
    pub fn owner_of_slot(&self, slot: u32) -> Option<&Gateway> {
        let index = (*self.owners.get(slot as usize)?)?;
        self.gateways.get(index)
    }

    /// The tag that holds `user_id`.
    pub fn tag_of(&self, user_id: u64) -> Option<&str> {
        self.owner_of(user_id).map(|gateway| gateway.tag.as_str())
    }

    /// Groups `users` by the tag that holds them; users with no owner are left out.
    pub fn split_by_tag(&self, users: impl IntoIterator<Item = u64>) -> HashMap<&str, Vec<u64>> {
        let mut by_tag: HashMap<&str, Vec<u64>> = HashMap::new();
        for user in users {
            if let Some(tag) = self.tag_of(user) {
                by_tag.entry(tag).or_default().push(user);
            }
        }
        by_tag
    }

    /// How many slots each tag owns.
    pub fn slot_counts(&self) -> BTreeMap<&str, usize> {
        let mut counts: BTreeMap<&str, usize> =
            self.gateways.iter().map(|g| (g.tag.as_str(), 0)).collect();
        for owner in self.owners.iter().flatten() {
            if let Some(gateway) = self.gateways.get(*owner) {
                *counts.entry(gateway.tag.as_str()).or_default() += 1;
            }
        }
        counts
    }

    /// The slots owned by `tag`.
    pub fn slots_of(&self, tag: &str) -> Vec<u32> {
        (0..SLOT_COUNT)
            .filter(|slot| self.owner_of_slot(*slot).is_some_and(|g| g.tag == tag))
            .collect()
    }

    /// The slots whose owner differs between `self` and `newer`.
    pub fn moved_slots(&self, newer: &SlotTable) -> Vec<u32> {
        (0..SLOT_COUNT)
            .filter(|slot| {
                let before = self.owner_of_slot(*slot).map(|g| &g.tag);
                let after = newer.owner_of_slot(*slot).map(|g| &g.tag);
                before != after
            })
            .collect()
    }

    /// The table that serves exactly `live` gateways, at `epoch`, moving as few slots as
    /// possible from `self`: slots of departed gateways are shared among the survivors, and a
    /// newcomer takes only its fair share, from the gateways that hold more than theirs.
    pub fn rebalanced(&self, live: &[Gateway], epoch: u64) -> SlotTable {
        let mut gateways = live.to_vec();
        gateways.sort_by(|a, b| tag_order(&a.tag).cmp(&tag_order(&b.tag)));
        gateways.dedup_by(|a, b| a.tag == b.tag);
        if gateways.is_empty() {
            return Self::empty(epoch);
        }
        let index_of: HashMap<&str, usize> = gateways
            .iter()
            .enumerate()
            .map(|(index, g)| (g.tag.as_str(), index))
            .collect();

        // Who keeps what: current owners that are still live, in slot order.
        let mut held: Vec<Vec<u32>> = vec![Vec::new(); gateways.len()];
        let mut free: Vec<u32> = Vec::new();
        for slot in 0..SLOT_COUNT {
            match self
                .owner_of_slot(slot)
                .and_then(|g| index_of.get(g.tag.as_str()))
            {
                Some(&index) => held[index].push(slot),
                None => free.push(slot),
            }
        }

        // Fair shares: the larger quotas go to those already holding the most, so fewer move.
        let quotas = quotas(&held);
        for (index, quota) in quotas.iter().enumerate() {
            while held[index].len() > *quota {
                if let Some(slot) = held[index].pop() {
                    free.push(slot);
                }
            }
        }
        free.sort_unstable();
        let mut free = free.into_iter();
        for (index, quota) in quotas.iter().enumerate() {
            while held[index].len() < *quota {
                match free.next() {
                    Some(slot) => held[index].push(slot),
                    None => break,
                }
            }
        }

        let mut owners = vec![None; SLOT_COUNT as usize];
        for (index, slots) in held.iter().enumerate() {
            for slot in slots {
                owners[*slot as usize] = Some(index);
            }
        }
        SlotTable {
            epoch,
            gateways,
            owners,
        }
    }

    /// The wire form (also the JSON form served to OpenResty).
    pub fn to_proto(&self) -> pb::SlotTable {
        pb::SlotTable {
            epoch: self.epoch,
            slot_count: SLOT_COUNT,
            slot_owner: self
                .owners
                .iter()
                .map(|owner| owner.map_or(-1, |index| index as i32))
                .collect(),
            gateways: self
                .gateways
                .iter()
                .map(|g| pb::GatewayInfo {
                    tag: g.tag.clone(),
                    ws_addr: g.addr.clone(),
                })
                .collect(),
        }
    }

    /// Reads and checks a table in wire form.
    pub fn from_proto(table: &pb::SlotTable) -> Result<Self, TableError> {
        if table.slot_owner.len() != SLOT_COUNT as usize || table.slot_count != SLOT_COUNT {
            return Err(TableError::SlotCount {
                expected: SLOT_COUNT,
                found: table.slot_owner.len(),
            });
        }
        let gateways: Vec<Gateway> = table
            .gateways
            .iter()
            .map(|g| Gateway {
                tag: g.tag.clone(),
                addr: g.ws_addr.clone(),
            })
            .collect();
        for (index, gateway) in gateways.iter().enumerate() {
            if gateways[..index].iter().any(|g| g.tag == gateway.tag) {
                return Err(TableError::DuplicateTag(gateway.tag.clone()));
            }
        }
        let owners = table
            .slot_owner
            .iter()
            .enumerate()
            .map(|(slot, &index)| match index {
                -1 => Ok(None),
                i if i >= 0 && (i as usize) < gateways.len() => Ok(Some(i as usize)),
                i => Err(TableError::UnknownGateway {
                    slot,
                    index: i,
                    gateways: gateways.len(),
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            epoch: table.epoch,
            gateways,
            owners,
        })
    }
}

/// Sorts `gw-2` before `gw-10`.
fn tag_order(tag: &str) -> (u64, &str) {
    let number = tag
        .strip_prefix("gw-")
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX);
    (number, tag)
}

/// Each gateway's fair share: `SLOT_COUNT / n`, plus one for `SLOT_COUNT % n` of them, those
/// going to the gateways that hold the most slots now (ties: lower index).
fn quotas(held: &[Vec<u32>]) -> Vec<usize> {
    let n = held.len();
    let base = SLOT_COUNT as usize / n;
    let extra = SLOT_COUNT as usize % n;
    let mut by_size: Vec<usize> = (0..n).collect();
    by_size.sort_by(|a, b| held[*b].len().cmp(&held[*a].len()).then(a.cmp(b)));
    let mut quotas = vec![base; n];
    for index in by_size.into_iter().take(extra) {
        quotas[index] += 1;
    }
    quotas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateways(tags: &[u32]) -> Vec<Gateway> {
        tags.iter()
            .map(|n| Gateway {
                tag: format!("gw-{n}"),
                addr: format!("127.0.0.1:{}", 8100 + n),
            })
            .collect()
    }

    fn assert_balanced(table: &SlotTable) {
        let counts: Vec<usize> = table.slot_counts().values().copied().collect();
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(max - min <= 1, "unbalanced: {counts:?}");
        assert_eq!(counts.iter().sum::<usize>(), SLOT_COUNT as usize);
    }

    #[test]
    fn three_gateways_share_the_slots_341_341_342() {
        let table = SlotTable::default().rebalanced(&gateways(&[0, 1, 2]), 1);
        let mut counts: Vec<usize> = table.slot_counts().values().copied().collect();
        counts.sort();
        assert_eq!(counts, vec![341, 341, 342]);
        assert_eq!(table.epoch(), 1);
    }

    #[test]
    fn a_fourth_gateway_takes_only_its_quarter() {
        let three = SlotTable::default().rebalanced(&gateways(&[0, 1, 2]), 1);
        let four = three.rebalanced(&gateways(&[0, 1, 2, 3]), 2);
        assert_balanced(&four);
        let moved = three.moved_slots(&four);
        assert_eq!(moved.len(), 256, "exactly the newcomer's share moves");
        assert!(
            moved
                .iter()
                .all(|slot| four.owner_of_slot(*slot).unwrap().tag == "gw-3")
        );
    }

    #[test]
    fn a_departed_gateways_slots_go_to_the_survivors_and_nothing_else_moves() {
        let four = SlotTable::default().rebalanced(&gateways(&[0, 1, 2, 3]), 1);
        let three = four.rebalanced(&gateways(&[0, 2, 3]), 2);
        assert_balanced(&three);
        let moved = four.moved_slots(&three);
        assert_eq!(moved.len(), 256);
        assert!(
            moved
                .iter()
                .all(|slot| four.owner_of_slot(*slot).unwrap().tag == "gw-1")
        );
    }

    #[test]
    fn every_change_sequence_stays_balanced_and_minimal() {
        let mut table = SlotTable::default();
        let steps: &[&[u32]] = &[
            &[0],
            &[0, 1],
            &[0, 1, 2],
            &[1, 2],
            &[1, 2, 0],
            &[2],
            &[2, 5, 7],
        ];
        for (epoch, live) in steps.iter().enumerate() {
            let next = table.rebalanced(&gateways(live), epoch as u64 + 1);
            assert_balanced(&next);
            // Lower bound on moves: slots of departed gateways plus what newcomers must receive.
            let before = table.slot_counts();
            let after = next.slot_counts();
            let must_move: usize = after
                .iter()
                .map(|(tag, n)| n.saturating_sub(*before.get(tag).unwrap_or(&0)))
                .sum();
            assert_eq!(table.moved_slots(&next).len(), must_move, "step {live:?}");
            table = next;
        }
    }

    #[test]
    fn no_live_gateway_means_no_owner() {
        let one = SlotTable::default().rebalanced(&gateways(&[0]), 1);
        let none = one.rebalanced(&[], 2);
        assert_eq!(none.owner_of(42), None);
        assert!(none.gateways().is_empty());
    }

    #[test]
    fn users_map_to_slots_by_modulo() {
        let table = SlotTable::default().rebalanced(&gateways(&[0, 1, 2]), 1);
        assert_eq!(slot_of(5), 5);
        assert_eq!(slot_of(1029), 5);
        assert_eq!(slot_of(u64::MAX), 1023);
        assert_eq!(table.tag_of(5), table.tag_of(1029));
        let split = table.split_by_tag([5, 1029, 6, 7, 1030]);
        let total: usize = split.values().map(Vec::len).sum();
        assert_eq!(total, 5);
        for (tag, users) in split {
            assert!(users.iter().all(|u| table.tag_of(*u) == Some(tag)));
        }
    }

    #[test]
    fn tags_sort_numerically() {
        let table = SlotTable::default().rebalanced(&gateways(&[10, 2, 1]), 1);
        let tags: Vec<&str> = table.gateways().iter().map(|g| g.tag.as_str()).collect();
        assert_eq!(tags, ["gw-1", "gw-2", "gw-10"]);
    }

    #[test]
    fn the_wire_form_round_trips_and_bad_tables_are_refused() {
        let table = SlotTable::default().rebalanced(&gateways(&[0, 1]), 9);
        let wire = table.to_proto();
        assert_eq!(SlotTable::from_proto(&wire).unwrap(), table);

        let mut short = wire.clone();
        short.slot_owner.pop();
        assert!(matches!(
            SlotTable::from_proto(&short),
            Err(TableError::SlotCount { .. })
        ));

        let mut dangling = wire.clone();
        dangling.slot_owner[3] = 7;
        assert!(matches!(
            SlotTable::from_proto(&dangling),
            Err(TableError::UnknownGateway { slot: 3, .. })
        ));

        let mut twice = wire;
        twice.gateways[1].tag = "gw-0".into();
        assert!(matches!(
            SlotTable::from_proto(&twice),
            Err(TableError::DuplicateTag(_))
        ));
    }
}
