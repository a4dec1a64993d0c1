//! Login rate limiting: failed attempts counted per username and per client address in Redis,
//! in fixed windows. Counting only failures means a user who types correctly is never slowed.

use fred::prelude::{KeysInterface, Pool};

use crate::error::AccountError;

/// The longest a (username, address) pair stays locked, however often it failed.
const MAX_LOCKOUT_S: i64 = 24 * 3600;

/// Limits on failed logins. Failures lock the (username, address) pair that made them, so that a
/// stranger guessing from one address locks out that address, never the account's owner
/// elsewhere; each lockout of the same pair within a day lasts twice as long as the one before.
/// Beside it, an address that fails on many usernames is limited, and so is a username that
/// fails from many addresses (a much higher bound, against distributed guessing).
#[derive(Clone)]
pub struct LoginLimits {
    redis: Pool,
    prefix: String,
    /// Failures allowed per username from one address in a window.
    pub per_user: u64,
    /// Failures allowed per client address in a window.
    pub per_addr: u64,
    /// Failures allowed per username from all addresses together in a window.
    pub per_user_total: u64,
    /// Window length in seconds (also the first lockout's length).
    pub window_s: i64,
}

/// How long the `lockouts`-th lockout of a pair (0 for the first) lasts: the window, doubled
/// each time, at most a day.
pub fn lockout_s(window_s: i64, lockouts: u32) -> i64 {
    window_s
        .max(1)
        .saturating_mul(1_i64.checked_shl(lockouts.min(30)).unwrap_or(i64::MAX))
        .min(MAX_LOCKOUT_S)
}

impl LoginLimits {
    pub fn new(
        redis: Pool,
        cluster: &str,
        per_user: u64,
        per_addr: u64,
        per_user_total: u64,
        window_s: i64,
    ) -> Self {
        Self {
            redis,
            prefix: format!("{cluster}:account:login-failures:"),
            per_user,
            per_addr,
            per_user_total,
            window_s,
        }
    }

    fn pair_key(&self, username: &str, addr: &str) -> String {
        format!("{}pair:{}:{addr}", self.prefix, username.to_lowercase())
    }

    fn lockouts_key(&self, username: &str, addr: &str) -> String {
        format!("{}lockouts:{}:{addr}", self.prefix, username.to_lowercase())
    }

    fn keys(&self, username: &str, addr: &str) -> [(String, u64); 3] {
        [
            (self.pair_key(username, addr), self.per_user),
            (format!("{}addr:{addr}", self.prefix), self.per_addr),
            (
                format!("{}user:{}", self.prefix, username.to_lowercase()),
                self.per_user_total,
            ),
        ]
    }

    /// Refuses the attempt while any counter is at its limit.
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

    /// Counts a failure against the pair, the address and the username; the failure that
    /// reaches the pair's limit locks the pair for a lockout that grows with each repeat.
    pub async fn record_failure(&self, username: &str, addr: &str) -> Result<(), AccountError> {
        for (key, limit) in self.keys(username, addr) {
            let count: u64 = self.redis.incr(&key).await?;
            if count == 1 {
                let _: () = self.redis.expire(&key, self.window_s, None).await?;
            }
            if key == self.pair_key(username, addr) && count == limit {
                let lockouts_key = self.lockouts_key(username, addr);
                let lockouts: u64 = self.redis.incr(&lockouts_key).await?;
                let _: () = self
                    .redis
                    .expire(&lockouts_key, MAX_LOCKOUT_S, None)
                    .await?;
                let seconds = lockout_s(
                    self.window_s,
                    u32::try_from(lockouts.saturating_sub(1)).unwrap_or(u32::MAX),
                );
                let _: () = self.redis.expire(&key, seconds, None).await?;
            }
        }
        Ok(())
    }

    /// A successful login clears the pair's failures (not the address's nor the username's
    /// total, and not the record of earlier lockouts).
    pub async fn record_success(&self, username: &str, addr: &str) -> Result<(), AccountError> {
        let _: () = self.redis.del(self.pair_key(username, addr)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_double_up_to_a_day() {
        assert_eq!(lockout_s(300, 0), 300);
        assert_eq!(lockout_s(300, 1), 600);
        assert_eq!(lockout_s(300, 4), 4800);
        assert_eq!(lockout_s(300, 9), MAX_LOCKOUT_S);
        assert_eq!(lockout_s(300, u32::MAX), MAX_LOCKOUT_S);
        assert_eq!(lockout_s(0, 0), 1);
    }
}
