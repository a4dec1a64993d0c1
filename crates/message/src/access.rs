//! Who may post to and read which conversation: friendships, blocks and group membership belong
//! to the account service; this is a cache of its answers that stays right through change
//! stamps (`chat_common::stamps`). Each use reads the subject's stamp from Redis (one cheap
//! round trip) and trusts the cached answer only if the stamp is unchanged and the entry young.
//! Only permissions are cached for pairs ("may message"); a refusal is asked again next time, so
//! a new friendship works at once.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_common::ServiceError;
use chat_common::internal::InternalChannel;
use chat_common::stamps::{Stamp, StampReader, Subject};
use chat_proto::account as account_pb;
use chat_proto::account::account_client::AccountClient;

/// Entries a cache holds before it starts over (bounds memory).
const MAX_ENTRIES: usize = 100_000;

/// A group's members as the account service last told.
#[derive(Debug)]
pub struct GroupMembers {
    pub version: u64,
    pub ids: Vec<u64>,
    members: HashSet<u64>,
    muted_until: HashMap<u64, i64>,
}

impl GroupMembers {
    pub fn new(version: u64, ids: Vec<u64>, muted: &[account_pb::MutedMember]) -> Self {
        Self {
            version,
            members: ids.iter().copied().collect(),
            ids,
            muted_until: muted
                .iter()
                .map(|m| (m.user_id, m.muted_until_ms))
                .collect(),
        }
    }

    pub fn contains(&self, user: u64) -> bool {
        self.members.contains(&user)
    }

    /// The end of `user`'s mute, if muted at `now_ms`.
    pub fn muted_until(&self, user: u64, now_ms: i64) -> Option<i64> {
        self.muted_until
            .get(&user)
            .copied()
            .filter(|until| *until > now_ms)
    }

    /// Forbidden while `user` is muted here: a muted member neither posts nor signals.
    pub fn ensure_unmuted(&self, user: u64, now_ms: i64) -> Result<(), ServiceError> {
        match self.muted_until(user, now_ms) {
            Some(until) => Err(ServiceError::Forbidden(format!(
                "you are muted in this group until {until} (ms since the epoch)"
            ))),
            None => Ok(()),
        }
    }
}

struct Entry<T> {
    stamp: Stamp,
    fetched: Instant,
    value: T,
}

/// One keyed cache of stamped entries.
struct Cache<K, T> {
    entries: Mutex<HashMap<K, Entry<T>>>,
    ttl: Duration,
}

impl<K: Hash + Eq, T: Clone> Cache<K, T> {
    fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::default(),
            ttl,
        }
    }

    fn get(&self, key: &K, stamp: &Stamp) -> Option<T> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        entries
            .get(key)
            .filter(|entry| &entry.stamp == stamp && entry.fetched.elapsed() < self.ttl)
            .map(|entry| entry.value.clone())
    }

    fn put(&self, key: K, stamp: Stamp, value: T) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                stamp,
                fetched: Instant::now(),
                value,
            },
        );
    }

    fn forget(&self, key: &K) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        entries.remove(key);
    }
}

/// Answers "may this user post here / read this" from the account service, cached.
#[derive(Clone)]
pub struct Access {
    inner: Arc<Inner>,
}

struct Inner {
    account: AccountClient<InternalChannel>,
    stamps: StampReader,
    pairs: Cache<(u64, u64), ()>,
    groups: Cache<u64, Arc<GroupMembers>>,
}

fn unreachable_account(status: tonic::Status) -> ServiceError {
    ServiceError::Unavailable(format!("account service: {status}"))
}

impl Access {
    pub fn new(
        account: AccountClient<InternalChannel>,
        stamps: StampReader,
        ttl: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                account,
                stamps,
                pairs: Cache::new(ttl),
                groups: Cache::new(ttl),
            }),
        }
    }

    /// The account service, for the calls that change something there on a user's behalf.
    pub fn account(&self) -> AccountClient<InternalChannel> {
        self.inner.account.clone()
    }

    /// The stamp of `subject`, or `None` with `usable = false` when Redis cannot say (then
    /// nothing is cached or trusted).
    async fn stamp(&self, subject: Subject) -> (Stamp, bool) {
        match self.inner.stamps.read(subject).await {
            Ok(stamp) => (stamp, true),
            Err(error) => {
                tracing::warn!(%error, "change stamps unreadable; asking the account service");
                (None, false)
            }
        }
    }

    /// Ok when `from` may send a 1:1 message to `to`: they are friends and neither blocked
    /// the other.
    pub async fn may_message(&self, from: u64, to: u64) -> Result<(), ServiceError> {
        let key = (from.min(to), from.max(to));
        let (stamp, usable) = self.stamp(Subject::Pair(from, to)).await;
        if usable && self.inner.pairs.get(&key, &stamp).is_some() {
            metrics::counter!("chat_message_access_cache_total", "result" => "hit").increment(1);
            return Ok(());
        }
        metrics::counter!("chat_message_access_cache_total", "result" => "miss").increment(1);
        let answer = self
            .inner
            .account
            .clone()
            .are_friends(account_pb::AreFriendsRequest {
                user_a: from,
                user_b: to,
            })
            .await
            .map_err(unreachable_account)?
            .into_inner();
        if answer.blocked {
            self.inner.pairs.forget(&key);
            return Err(ServiceError::Forbidden(format!(
                "a block stands between you and user {to}"
            )));
        }
        if !answer.friends {
            self.inner.pairs.forget(&key);
            return Err(ServiceError::Forbidden(format!(
                "user {to} is not your friend"
            )));
        }
        if usable {
            self.inner.pairs.put(key, stamp, ());
        }
        Ok(())
    }

    /// The members of `group`; NotFound when there is no such group (or it was dissolved).
    pub async fn group(&self, group: u64) -> Result<Arc<GroupMembers>, ServiceError> {
        let (stamp, usable) = self.stamp(Subject::Group(group)).await;
        if usable && let Some(members) = self.inner.groups.get(&group, &stamp) {
            metrics::counter!("chat_message_access_cache_total", "result" => "hit").increment(1);
            return Ok(members);
        }
        metrics::counter!("chat_message_access_cache_total", "result" => "miss").increment(1);
        let answer = self
            .inner
            .account
            .clone()
            .group_members(account_pb::GroupMembersRequest {
                group_id: group,
                known_version: 0,
            })
            .await
            .map_err(unreachable_account)?
            .into_inner();
        if answer.dissolved {
            self.inner.groups.forget(&group);
            return Err(ServiceError::NotFound(format!("no group {group}")));
        }
        let members = Arc::new(GroupMembers::new(
            answer.version,
            answer.member_ids,
            &answer.muted,
        ));
        if usable {
            self.inner.groups.put(group, stamp, members.clone());
        }
        Ok(members)
    }

    /// The members of `group` if `user` is one of them; Forbidden otherwise.
    pub async fn member_of(
        &self,
        group: u64,
        user: u64,
    ) -> Result<Arc<GroupMembers>, ServiceError> {
        let members = self.group(group).await?;
        if !members.contains(user) {
            return Err(ServiceError::Forbidden(format!(
                "you are not a member of group {group}"
            )));
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_answer_needs_the_same_stamp_and_youth() {
        let cache: Cache<u64, u32> = Cache::new(Duration::from_secs(60));
        cache.put(1, Some("a:1".into()), 7);
        assert_eq!(cache.get(&1, &Some("a:1".into())), Some(7));
        assert_eq!(cache.get(&1, &Some("a:2".into())), None, "a new stamp");
        assert_eq!(cache.get(&1, &None), None, "a flushed Redis");
        let stale: Cache<u64, u32> = Cache::new(Duration::ZERO);
        stale.put(1, None, 7);
        assert_eq!(stale.get(&1, &None), None, "an old entry");
    }

    #[test]
    fn mutes_end_on_time() {
        let members = GroupMembers::new(
            3,
            vec![1, 2],
            &[account_pb::MutedMember {
                user_id: 2,
                muted_until_ms: 1_000,
            }],
        );
        assert!(members.contains(2) && !members.contains(3));
        assert_eq!(members.muted_until(2, 999), Some(1_000));
        assert_eq!(members.muted_until(2, 1_000), None);
        assert_eq!(members.muted_until(1, 0), None);
    }
}
