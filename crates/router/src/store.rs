//! The router's state in Redis: gateway leases, the leader lease, and the slot table with its
//! epoch. Every multi-step change is one Lua script, so concurrent routers and gateways never
//! see half of one.

use std::time::Duration;

use chat_proto::router as pb;
use chat_routing::{Gateway, SlotTable, TableError};
use fred::bytes::Bytes;
use fred::prelude::{KeysInterface, LuaInterface, Pool};
use prost::Message as _;

/// The router's Redis keys, all under `<cluster>:router:`.
#[derive(Clone, Debug)]
pub struct Keys {
    tags: String,
    lease_prefix: String,
    leader: String,
    table: String,
    epoch: String,
    /// Published (with the new epoch) whenever the table changes.
    pub table_channel: String,
}

impl Keys {
    pub fn new(cluster: &str) -> Self {
        let key = |name: &str| format!("{cluster}:router:{name}");
        Self {
            tags: key("tags"),
            lease_prefix: key("lease:"),
            leader: key("leader"),
            table: key("table"),
            epoch: key("epoch"),
            table_channel: key("table-changed"),
        }
    }
}

/// The most gateways that can hold a tag at once.
pub const MAX_GATEWAYS: u32 = 256;

/// A failure to read or change the router's state.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("redis: {0}")]
    Redis(#[from] fred::error::Error),
    #[error("the stored slot table is unreadable: {0}")]
    Corrupt(String),
    #[error("the stored slot table is invalid: {0}")]
    Invalid(#[from] TableError),
}

/// The outcome of trying to publish a new table.
#[derive(Debug, PartialEq, Eq)]
pub enum Publish {
    Published,
    /// Another router leads now: this one must not write.
    NotLeader,
    /// The table changed since it was read; read again and retry.
    Stale,
}

/// Handle on the router's keys.
#[derive(Clone)]
pub struct RouterStore {
    redis: Pool,
    keys: Keys,
}

// Registration: the same instance gets its tag back; then the tag it asks for (ARGV[6], the
// one it held before its lease was lost) if free; otherwise the smallest free tag.
const REGISTER: &str = r#"
local owner = ARGV[1] .. '|'
local value = owner .. ARGV[2]
for _, tag in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local held = redis.call('GET', ARGV[4] .. tag)
  if held and string.sub(held, 1, #owner) == owner then
    redis.call('SET', ARGV[4] .. tag, value, 'PX', ARGV[3])
    return tag
  end
end
local preferred = ARGV[6]
if preferred ~= '' and redis.call('SET', ARGV[4] .. preferred, value, 'NX', 'PX', ARGV[3]) then
  redis.call('SADD', KEYS[1], preferred)
  return preferred
end
for i = 0, tonumber(ARGV[5]) - 1 do
  local tag = 'gw-' .. i
  if redis.call('SET', ARGV[4] .. tag, value, 'NX', 'PX', ARGV[3]) then
    redis.call('SADD', KEYS[1], tag)
    return tag
  end
end
return false
"#;

// Renews (ARGV[2] = ttl) or, with ARGV[2] = 0, releases a lease, only for its holder.
const RENEW_OR_RELEASE: &str = r#"
local held = redis.call('GET', KEYS[1])
local owner = ARGV[1] .. '|'
if not held or string.sub(held, 1, #owner) ~= owner then return 0 end
if ARGV[2] == '0' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[3])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"#;

// The live leases as {tag, value, ...}; forgets tags whose lease expired.
const LIVE: &str = r#"
local out = {}
for _, tag in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local held = redis.call('GET', ARGV[1] .. tag)
  if held then
    table.insert(out, tag)
    table.insert(out, held)
  else
    redis.call('SREM', KEYS[1], tag)
  end
end
return out
"#;

// Takes or keeps the leader lease.
const LEAD: &str = r#"
local leader = redis.call('GET', KEYS[1])
if leader == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not leader and redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"#;

// Writes a table only for the current leader and only over the epoch it was computed from
// (fencing: a deposed leader, or one working from an old table, cannot overwrite).
const PUBLISH: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local epoch = redis.call('GET', KEYS[3]) or '0'
if epoch ~= ARGV[2] then return -1 end
redis.call('SET', KEYS[2], ARGV[4])
redis.call('SET', KEYS[3], ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[3])
return 1
"#;

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

impl RouterStore {
    pub fn new(redis: Pool, cluster: &str) -> Self {
        Self {
            redis,
            keys: Keys::new(cluster),
        }
    }

    /// The keys this store uses.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Gives `instance_id` (at `addr`) a tag and a lease of `ttl`: the one it holds, else
    /// `preferred` (a valid tag, or empty) when free, else the smallest free one; `None` when
    /// all tags are taken.
    pub async fn register(
        &self,
        instance_id: &str,
        addr: &str,
        preferred: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StoreError> {
        let args = vec![
            instance_id.to_owned(),
            addr.to_owned(),
            millis(ttl),
            self.keys.lease_prefix.clone(),
            MAX_GATEWAYS.to_string(),
            preferred.to_owned(),
        ];
        Ok(self
            .redis
            .eval(REGISTER, vec![self.keys.tags.clone()], args)
            .await?)
    }

    /// Renews `tag`'s lease for its holder; false when the lease is gone or held by another.
    pub async fn keep_alive(
        &self,
        tag: &str,
        instance_id: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.renew_or_release(tag, instance_id, &millis(ttl)).await
    }

    /// Releases `tag` at once (clean shutdown); false when it was not held by `instance_id`.
    pub async fn deregister(&self, tag: &str, instance_id: &str) -> Result<bool, StoreError> {
        self.renew_or_release(tag, instance_id, "0").await
    }

    async fn renew_or_release(
        &self,
        tag: &str,
        instance_id: &str,
        ttl: &str,
    ) -> Result<bool, StoreError> {
        let keys = vec![
            format!("{}{tag}", self.keys.lease_prefix),
            self.keys.tags.clone(),
        ];
        let args = vec![instance_id.to_owned(), ttl.to_owned(), tag.to_owned()];
        let done: i64 = self.redis.eval(RENEW_OR_RELEASE, keys, args).await?;
        Ok(done == 1)
    }

    /// The gateways whose leases are live.
    pub async fn live_gateways(&self) -> Result<Vec<Gateway>, StoreError> {
        let flat: Vec<String> = self
            .redis
            .eval(
                LIVE,
                vec![self.keys.tags.clone()],
                vec![self.keys.lease_prefix.clone()],
            )
            .await?;
        Ok(flat
            .chunks_exact(2)
            .map(|pair| Gateway {
                tag: pair[0].clone(),
                addr: pair[1]
                    .split_once('|')
                    .map(|(_, addr)| addr)
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect())
    }

    /// Takes or keeps the leader lease for `router_id`; true while it leads.
    pub async fn lead(&self, router_id: &str, ttl: Duration) -> Result<bool, StoreError> {
        let led: i64 = self
            .redis
            .eval(
                LEAD,
                vec![self.keys.leader.clone()],
                vec![router_id.to_owned(), millis(ttl)],
            )
            .await?;
        Ok(led == 1)
    }

    /// Gives up the leader lease (clean shutdown), if `router_id` holds it.
    pub async fn resign(&self, router_id: &str) -> Result<(), StoreError> {
        const RESIGN: &str =
            "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1";
        let _: i64 = self
            .redis
            .eval(
                RESIGN,
                vec![self.keys.leader.clone()],
                vec![router_id.to_owned()],
            )
            .await?;
        Ok(())
    }

    /// The current table (an empty one at epoch 0 before the first is published).
    pub async fn load_table(&self) -> Result<SlotTable, StoreError> {
        let stored: Option<Bytes> = self.redis.get(&self.keys.table).await?;
        let Some(bytes) = stored else {
            return Ok(SlotTable::empty(0));
        };
        let wire = pb::SlotTable::decode(bytes.as_ref())
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        Ok(SlotTable::from_proto(&wire)?)
    }

    /// The current epoch, cheaply.
    pub async fn epoch(&self) -> Result<u64, StoreError> {
        let epoch: Option<u64> = self.redis.get(&self.keys.epoch).await?;
        Ok(epoch.unwrap_or(0))
    }

    /// Publishes `table` if `router_id` leads and the stored epoch is still `based_on`.
    pub async fn publish(
        &self,
        router_id: &str,
        table: &SlotTable,
        based_on: u64,
    ) -> Result<Publish, StoreError> {
        let keys = vec![
            self.keys.leader.clone(),
            self.keys.table.clone(),
            self.keys.epoch.clone(),
        ];
        let args: Vec<fred::types::Value> = vec![
            router_id.into(),
            based_on.to_string().into(),
            table.epoch().to_string().into(),
            Bytes::from(table.to_proto().encode_to_vec()).into(),
            self.keys.table_channel.clone().into(),
        ];
        let outcome: i64 = self.redis.eval(PUBLISH, keys, args).await?;
        Ok(match outcome {
            1 => Publish::Published,
            0 => Publish::NotLeader,
            _ => Publish::Stale,
        })
    }
}
