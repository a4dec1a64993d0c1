//! Presence: who is online, kept in Redis from the gateways' reports, with friends told of
//! each change and the time a user was last seen stored in MySQL.
//!
//! A user is online while any gateway process (a *source*) holds a session of theirs: one
//! Redis hash per user, one field per source. Moving between gateways adds the new field
//! before the old one goes, so a move is not an offline event; a gateway reports a user gone
//! only after a grace period, so a quick reconnect is not one either. Every report keeps its
//! source alive for a while; the sweeper takes a source that stopped reporting (crashed, or
//! shut down and past its grace) apart user by user, so nobody stays online forever.
//! Keys (prefix `<cluster>:presence:`): `user:<id>` (hash source -> sessions),
//! `source:<s>:users` (set), `source:<s>:alive` (expires), `sources` (set), `rebuilding`
//! (expires; set when a report finds no source at all, i.e. Redis lost presence).

use std::collections::HashMap;
use std::time::Duration;

use chat_common::online::{OnlineLookup, presence_prefix};
use chat_proto::account as pb;
use chat_proto::common::UserProfile;
use chat_proto::push::PresenceChange;
use chat_proto::push::push::Payload;
use fred::prelude::{LuaInterface, Pool, SetsInterface};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Value};

use crate::accounts::now_ms;
use crate::error::AccountError;
use crate::notify::Notifier;
use crate::store::users::statement;

/// Applies a report: ARGV = prefix, source, alive ms, then (user, sessions) pairs. Returns
/// `known` or `unknown` (whether the source was alive before), then the users who came online
/// (`+id`) or went offline (`-id`) with it.
const REPORT: &str = r"
local p, source = ARGV[1], ARGV[2]
local alive = p .. 'source:' .. source .. ':alive'
local out = {'known'}
if redis.call('EXISTS', alive) == 0 then out[1] = 'unknown' end
-- No source at all: Redis lost presence (or the cluster is new). For a heartbeat (a third of
-- the alive time) the gateways announce their users again; readers that skip offline users
-- skip nobody meanwhile (`chat_common::online`).
if redis.call('EXISTS', p .. 'sources') == 0 then
  redis.call('SET', p .. 'rebuilding', '1', 'PX', math.max(1, math.floor(tonumber(ARGV[3]) / 3)))
end
redis.call('SET', alive, '1', 'PX', ARGV[3])
redis.call('SADD', p .. 'sources', source)
local members = p .. 'source:' .. source .. ':users'
for i = 4, #ARGV - 1, 2 do
  local user, sessions = ARGV[i], tonumber(ARGV[i + 1])
  local key = p .. 'user:' .. user
  if sessions > 0 then
    redis.call('SADD', members, user)
    if redis.call('HSET', key, source, sessions) == 1 and redis.call('HLEN', key) == 1 then
      table.insert(out, '+' .. user)
    end
  else
    redis.call('SREM', members, user)
    if redis.call('HDEL', key, source) == 1 and redis.call('HLEN', key) == 0 then
      table.insert(out, '-' .. user)
    end
  end
end
return out
";

/// Takes up to ARGV[3] users of a source that is no longer alive; returns `done` or `more`,
/// then the users who went offline (`-id`). A live source is left alone (`alive`).
const SWEEP: &str = r"
local p, source = ARGV[1], ARGV[2]
if redis.call('EXISTS', p .. 'source:' .. source .. ':alive') == 1 then return {'alive'} end
local members = p .. 'source:' .. source .. ':users'
local out = {'more'}
for _, user in ipairs(redis.call('SPOP', members, tonumber(ARGV[3]))) do
  local key = p .. 'user:' .. user
  if redis.call('HDEL', key, source) == 1 and redis.call('HLEN', key) == 0 then
    table.insert(out, '-' .. user)
  end
end
if redis.call('SCARD', members) == 0 then
  redis.call('SREM', p .. 'sources', source)
  out[1] = 'done'
end
return out
";

/// Users swept from a dead source per script call (bounded time inside Redis).
const SWEEP_BATCH: u32 = 500;

/// Changes of one report applied per script call (bounded time inside Redis).
const REPORT_BATCH: usize = 500;

/// Longest a source may ask to stay alive without reporting again.
const MAX_ALIVE: Duration = Duration::from_secs(300);

/// Presence state and its effects.
#[derive(Clone)]
pub struct Presence {
    redis: Pool,
    prefix: String,
    online: OnlineLookup,
    db: DatabaseConnection,
    notifier: Notifier,
}

/// Who came online and who went offline with one change.
#[derive(Debug, Default, PartialEq, Eq)]
struct Transitions {
    online: Vec<u64>,
    offline: Vec<u64>,
}

fn transitions(entries: &[String]) -> Transitions {
    let mut out = Transitions::default();
    for entry in entries {
        if let Some(user) = entry.strip_prefix('+').and_then(|id| id.parse().ok()) {
            out.online.push(user);
        } else if let Some(user) = entry.strip_prefix('-').and_then(|id| id.parse().ok()) {
            out.offline.push(user);
        }
    }
    out
}

impl Presence {
    pub fn new(redis: Pool, cluster: &str, db: DatabaseConnection, notifier: Notifier) -> Self {
        Self {
            online: OnlineLookup::new(redis.clone(), cluster),
            redis,
            prefix: presence_prefix(cluster),
            db,
            notifier,
        }
    }

    /// Applies a gateway's report, then stores last seen and tells friends of each transition.
    /// Returns whether the source was alive before this report.
    pub async fn report(&self, request: pb::ReportPresenceRequest) -> Result<bool, AccountError> {
        if request.source.is_empty() || request.source.len() > 128 {
            return Err(AccountError::invalid(
                "bad_source",
                "source must be 1 to 128 characters",
            ));
        }
        let alive = Duration::from_millis(u64::from(request.alive_ms.max(1000))).min(MAX_ALIVE);
        // A gateway re-announcing all its users sends thousands at once: several script calls
        // keep each one short inside Redis. The first tells whether the source was known.
        let chunks: Vec<&[pb::SessionCount]> = if request.changes.is_empty() {
            vec![&[]]
        } else {
            request.changes.chunks(REPORT_BATCH).collect()
        };
        let mut known = None;
        for chunk in chunks {
            let mut args = vec![
                self.prefix.clone(),
                request.source.clone(),
                alive.as_millis().to_string(),
            ];
            for change in chunk {
                args.push(change.user_id.to_string());
                args.push(change.sessions.to_string());
            }
            let entries: Vec<String> = self.redis.eval(REPORT, Vec::<String>::new(), args).await?;
            let Some((state, changes)) = entries.split_first() else {
                return Err(AccountError::Internal(
                    "the presence script answered nothing".into(),
                ));
            };
            known.get_or_insert(state == "known");
            self.announce(transitions(changes)).await?;
        }
        Ok(known.unwrap_or(true))
    }

    /// Sweeps every source that stopped reporting; returns how many users went offline.
    pub async fn sweep(&self) -> Result<usize, AccountError> {
        let sources: Vec<String> = self
            .redis
            .smembers(format!("{}sources", self.prefix))
            .await?;
        let mut offline = 0;
        for source in sources {
            loop {
                let args = vec![self.prefix.clone(), source.clone(), SWEEP_BATCH.to_string()];
                let entries: Vec<String> =
                    self.redis.eval(SWEEP, Vec::<String>::new(), args).await?;
                let Some((state, users)) = entries.split_first() else {
                    break;
                };
                let swept = transitions(users);
                offline += swept.offline.len();
                self.announce(swept).await?;
                if state != "more" {
                    break;
                }
            }
        }
        Ok(offline)
    }

    /// Marks which of `profiles` are online.
    pub async fn mark_online(&self, profiles: &mut [&mut UserProfile]) -> Result<(), AccountError> {
        let users: Vec<u64> = profiles.iter().map(|profile| profile.user_id).collect();
        let online = self.online.online(&users).await?;
        for (profile, online) in profiles.iter_mut().zip(online) {
            profile.online = online;
        }
        Ok(())
    }

    async fn announce(&self, changes: Transitions) -> Result<(), AccountError> {
        if changes.online.is_empty() && changes.offline.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        self.store_last_seen(&changes.offline, now).await?;
        metrics::counter!("chat_account_presence_changes_total", "to" => "online")
            .increment(changes.online.len() as u64);
        metrics::counter!("chat_account_presence_changes_total", "to" => "offline")
            .increment(changes.offline.len() as u64);
        let moved: Vec<(u64, bool)> = changes
            .online
            .iter()
            .map(|user| (*user, true))
            .chain(changes.offline.iter().map(|user| (*user, false)))
            .collect();
        let friends = self
            .friends_of(&moved.iter().map(|(user, _)| *user).collect::<Vec<_>>())
            .await?;
        let pushes = moved
            .into_iter()
            .filter_map(|(user, online)| {
                let recipients = friends.get(&user)?.clone();
                let change = PresenceChange {
                    user_id: user,
                    online,
                    last_seen_ms: now,
                };
                Some((recipients, Payload::Presence(change)))
            })
            .collect();
        self.notifier.publish(pushes, "presence").await;
        Ok(())
    }

    async fn store_last_seen(&self, users: &[u64], now: i64) -> Result<(), AccountError> {
        if users.is_empty() {
            return Ok(());
        }
        let list = vec!["?"; users.len()].join(", ");
        let mut values: Vec<Value> = vec![now.into()];
        values.extend(users.iter().map(|user| Value::from(*user)));
        self.db
            .execute_raw(statement(
                &format!("UPDATE users SET last_seen_ms = ? WHERE id IN ({list})"),
                values,
            ))
            .await?;
        Ok(())
    }

    /// Each user's friends, in one query.
    async fn friends_of(&self, users: &[u64]) -> Result<HashMap<u64, Vec<u64>>, AccountError> {
        #[derive(FromQueryResult)]
        struct Pair {
            user_id: u64,
            friend_id: u64,
        }
        let mut friends: HashMap<u64, Vec<u64>> = HashMap::new();
        for chunk in users.chunks(500) {
            let list = vec!["?"; chunk.len()].join(", ");
            let pairs = Pair::find_by_statement(statement(
                &format!("SELECT user_id, friend_id FROM friendships WHERE user_id IN ({list})"),
                chunk.iter().map(|user| Value::from(*user)),
            ))
            .all(&self.db)
            .await?;
            for pair in pairs {
                friends
                    .entry(pair.user_id)
                    .or_default()
                    .push(pair.friend_id);
            }
        }
        Ok(friends)
    }

    /// Sweeps dead sources every `every` until shutdown.
    pub fn spawn_sweeper(
        self,
        every: Duration,
        shutdown: chat_common::Shutdown,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = shutdown.ticks(every);
            while ticks.next().await {
                match self.sweep().await {
                    Ok(0) => {}
                    Ok(offline) => tracing::info!(offline, "swept users of gateways gone silent"),
                    Err(error) => tracing::warn!(%error, "presence sweep failed"),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_entries_become_transitions() {
        let entries = ["+7", "-9", "+11", "junk", "-x"].map(String::from);
        assert_eq!(
            transitions(&entries),
            Transitions {
                online: vec![7, 11],
                offline: vec![9],
            }
        );
    }
}
