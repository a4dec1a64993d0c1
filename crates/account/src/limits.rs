//! Login rate limiting: failed attempts counted per username and per client address in Redis,
//! in fixed windows. Counting only failures means a user who types correctly is never slowed.

use fred::prelude::{KeysInterface, Pool};

use crate::error::AccountError;

/// Limits on failed logins.
#[derive(Clone)]
pub struct LoginLimits {
    redis: Pool,
    prefix: String,
    /// Failures allowed per username in a window.
    pub per_user: u64,
    /// Failures allowed per client address in a window.
    pub per_addr: u64,
    /// Window length in seconds.
    pub window_s: i64,
}

impl LoginLimits {
    pub fn new(redis: Pool, cluster: &str, per_user: u64, per_addr: u64, window_s: i64) -> Self {
        Self {
            redis,
            prefix: format!("{cluster}:account:login-failures:"),
            per_user,
            per_addr,
            window_s,
        }
    }

    fn keys(&self, username: &str, addr: &str) -> [(String, u64); 2] {
        [
            (
                format!("{}user:{}", self.prefix, username.to_lowercase()),
                self.per_user,
            ),
            (format!("{}addr:{addr}", self.prefix), self.per_addr),
        ]
    }

    /// Refuses the attempt while either counter is at its limit.
    pub async fn check(&self, username: &str, addr: &str) -> Result<(), AccountError> {
        for (key, limit) in self.keys(username, addr) {
            let failures: Option<u64> = self.redis.get(&key).await?;
            if failures.unwrap_or(0) >= limit {
                let ttl: i64 = self.redis.ttl(&key).await?;
                return Err(AccountError::RateLimited {
                    retry_after_s: ttl.max(1) as u64,
                });
            }
        }
        Ok(())
    }

    /// Counts a failure against both the username and the address.
    pub async fn record_failure(&self, username: &str, addr: &str) -> Result<(), AccountError> {
        for (key, _) in self.keys(username, addr) {
            let count: u64 = self.redis.incr(&key).await?;
            if count == 1 {
                let _: () = self.redis.expire(&key, self.window_s, None).await?;
            }
        }
        Ok(())
    }

    /// A successful login clears the username's failures (not the address's).
    pub async fn record_success(&self, username: &str) -> Result<(), AccountError> {
        let key = format!("{}user:{}", self.prefix, username.to_lowercase());
        let _: () = self.redis.del(key).await?;
        Ok(())
    }
}
