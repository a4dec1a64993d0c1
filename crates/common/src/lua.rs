//! Lua scripts run by their SHA-1 (`EVALSHA`): the hot paths (a rate-limit check per send, a
//! presence lookup per push batch, a presence report per gateway heartbeat) would otherwise send
//! the whole script with every call and have Redis hash it again each time. A Redis that does
//! not know the script (restarted, or `SCRIPT FLUSH`) answers `NOSCRIPT`; the call then goes
//! once with `EVAL`, which also puts the script back in Redis's cache.

use std::sync::OnceLock;

use fred::error::Error;
use fred::prelude::{LuaInterface, Pool};
use fred::types::{FromValue, MultipleKeys, MultipleValues};
use sha1::{Digest, Sha1};

use crate::hex;

/// A Lua script, its SHA-1 computed on first use.
pub struct Script {
    lua: &'static str,
    sha: OnceLock<String>,
}

impl Script {
    pub const fn new(lua: &'static str) -> Self {
        Self {
            lua,
            sha: OnceLock::new(),
        }
    }

    /// The script's source.
    pub fn lua(&self) -> &'static str {
        self.lua
    }

    /// The SHA-1 Redis names the script by (lowercase hex).
    pub fn sha(&self) -> &str {
        self.sha
            .get_or_init(|| hex::lower(&Sha1::digest(self.lua.as_bytes())))
    }

    /// Runs the script with `keys` and `args`.
    pub async fn run<R, K, V>(&self, redis: &Pool, keys: K, args: V) -> Result<R, Error>
    where
        R: FromValue,
        K: Into<MultipleKeys>,
        V: TryInto<MultipleValues>,
        V::Error: Into<Error>,
    {
        let keys: MultipleKeys = keys.into();
        let args: MultipleValues = args.try_into().map_err(Into::into)?;
        // Clones of keys and values share their bytes: cheap, and needed only for a retry.
        match redis
            .evalsha::<R, _, _, _>(self.sha(), keys.clone(), args.clone())
            .await
        {
            Err(error) if error.details().starts_with("NOSCRIPT") => {
                redis.eval(self.lua, keys, args).await
            }
            answer => answer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sha_is_the_one_redis_computes() {
        // `redis-cli SCRIPT LOAD "return 1"` answers this.
        let script = Script::new("return 1");
        assert_eq!(script.sha(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    }
}
