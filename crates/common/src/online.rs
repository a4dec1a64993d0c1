//! Who is online, as the gateways' presence reports left it in Redis: the account service
//! writes the keys (its `presence` module owns their layout and lifecycle); other services read
//! them here. A user is online while `<prefix>user:<id>` exists (a hash with one field per
//! gateway process holding a session of theirs).

use fred::prelude::{LuaInterface, Pool};

/// The key prefix of a cluster's presence keys.
pub fn presence_prefix(cluster: &str) -> String {
    format!("{cluster}:presence:")
}

/// Which of ARGV[3..] are online (1) or not (0); ARGV[1] is the prefix. One round trip for
/// any number of users. With ARGV[2] = "1" it answers nothing (an empty array) while presence
/// is being rebuilt: no gateway has reported since Redis lost the keys (`sources` is missing),
/// or the account service saw that happen less than a heartbeat ago (`rebuilding`) and the
/// gateways are still announcing their users again. A user missing then is not known to be
/// offline.
const ONLINE: &str = r"
if ARGV[2] == '1' and (redis.call('EXISTS', ARGV[1] .. 'sources') == 0
  or redis.call('EXISTS', ARGV[1] .. 'rebuilding') == 1) then
  return {}
end
local out = {}
for i = 3, #ARGV do
  out[i - 2] = redis.call('EXISTS', ARGV[1] .. 'user:' .. ARGV[i])
end
return out
";

/// Reads presence for one cluster.
#[derive(Clone)]
pub struct OnlineLookup {
    redis: Pool,
    prefix: String,
}

impl OnlineLookup {
    pub fn new(redis: Pool, cluster: &str) -> Self {
        Self {
            redis,
            prefix: presence_prefix(cluster),
        }
    }

    /// Whether each of `users` is online, in the same order.
    pub async fn online(&self, users: &[u64]) -> Result<Vec<bool>, fred::error::Error> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let flags = self.run(false, users).await?;
        Ok(flags.into_iter().map(|flag| flag == 1).collect())
    }

    /// As [`Self::online`], or `None` while presence is being rebuilt after Redis lost it
    /// (then nobody is known to be offline: whoever skips the offline must not skip anyone).
    pub async fn online_unless_rebuilding(
        &self,
        users: &[u64],
    ) -> Result<Option<Vec<bool>>, fred::error::Error> {
        if users.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let flags = self.run(true, users).await?;
        if flags.len() != users.len() {
            return Ok(None);
        }
        Ok(Some(flags.into_iter().map(|flag| flag == 1).collect()))
    }

    async fn run(
        &self,
        unless_rebuilding: bool,
        users: &[u64],
    ) -> Result<Vec<i64>, fred::error::Error> {
        let mut args = Vec::with_capacity(users.len() + 2);
        args.push(self.prefix.clone());
        args.push(if unless_rebuilding { "1" } else { "0" }.to_owned());
        args.extend(users.iter().map(u64::to_string));
        self.redis.eval(ONLINE, Vec::<String>::new(), args).await
    }
}
