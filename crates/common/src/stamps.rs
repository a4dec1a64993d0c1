//! Change stamps: how a service that owns some data (the account service: friendships, blocks,
//! group membership) tells services that cache it (the message service) that their copy is
//! stale, without a call per use.
//!
//! After committing a change, the owner writes a fresh, never-repeated value under the subject's
//! key. A cache remembers the stamp it read *before* fetching from the owner, and trusts its copy
//! only while the stamp still reads the same. A flushed Redis reads as "no stamp", which differs
//! from any remembered value, so a flush makes caches refetch rather than trust old data; and
//! since no value repeats, a stamp cannot come back to one a cache remembers (no ABA).

use std::sync::atomic::{AtomicU64, Ordering};

use fred::prelude::{KeysInterface, Pool};
use fred::types::Expiration;

/// What a stamp is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The relation between two users (friendship, a block either way); order does not matter.
    Pair(u64, u64),
    /// A group's membership, roles and mutes.
    Group(u64),
}

/// A stamp as read: `None` when Redis holds none (never changed, expired or flushed).
pub type Stamp = Option<String>;

/// Reads and writes change stamps for one cluster.
#[derive(Clone)]
pub struct Stamps {
    redis: Pool,
    prefix: String,
    origin: String,
}

/// Stamps outlive any cache that could remember them (caches also expire entries on their own).
const STAMP_TTL_S: i64 = 7 * 24 * 3600;

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Stamps {
    pub fn new(redis: Pool, cluster: &str) -> Self {
        Self {
            redis,
            prefix: format!("{cluster}:stamp:"),
            origin: crate::instance::instance_id(),
        }
    }

    fn key(&self, subject: Subject) -> String {
        match subject {
            Subject::Pair(a, b) => format!("{}pair:{}:{}", self.prefix, a.min(b), a.max(b)),
            Subject::Group(id) => format!("{}group:{id}", self.prefix),
        }
    }

    /// Marks `subject` as changed. Call after the change is committed.
    pub async fn touch(&self, subject: Subject) -> Result<(), fred::error::Error> {
        let value = format!(
            "{}:{}",
            self.origin,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        self.redis
            .set::<(), _, _>(
                self.key(subject),
                value,
                Some(Expiration::EX(STAMP_TTL_S)),
                None,
                false,
            )
            .await
    }

    /// The current stamp of `subject`.
    pub async fn read(&self, subject: Subject) -> Result<Stamp, fred::error::Error> {
        self.redis.get(self.key(subject)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_has_one_key_whatever_the_order() {
        let stamps = Stamps {
            redis: fred::prelude::Builder::default_centralized()
                .build_pool(1)
                .expect("an unconnected pool builds"),
            prefix: "chat:stamp:".into(),
            origin: "test".into(),
        };
        assert_eq!(
            stamps.key(Subject::Pair(7, 3)),
            stamps.key(Subject::Pair(3, 7))
        );
        assert_eq!(stamps.key(Subject::Pair(3, 7)), "chat:stamp:pair:3:7");
        assert_eq!(stamps.key(Subject::Group(9)), "chat:stamp:group:9");
    }
}
