//! Rate limits shared by every process of a cluster: one Redis key per limited subject (a user
//! or a client address, per action), checked and moved in one script call, so a user spreading
//! requests over several gateways meets the same limit as on one.
//!
//! The algorithm is GCRA (the "generic cell rate algorithm"): a key holds the theoretical arrival
//! time of the next request; a request is allowed while that time is at most one period ahead of
//! now. It keeps one number per key, allows a burst of `count` after a quiet spell and then one
//! request per `period / count`, and knows exactly how long a refused caller has to wait.
//! Redis's own clock decides, so gateways with skewed clocks agree.

use std::fmt;
use std::time::Duration;

use fred::prelude::{LuaInterface, Pool};

use crate::ServiceError;
use crate::flags::parse_duration;
use crate::throttle::Throttle;

/// `count` requests per `period`, of which all `count` may come at once after a quiet spell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

impl Rate {
    pub const fn new(count: u32, period: Duration) -> Self {
        Self { count, period }
    }

    pub const fn per_second(count: u32) -> Self {
        Self::new(count, Duration::from_secs(1))
    }

    pub const fn per_minute(count: u32) -> Self {
        Self::new(count, Duration::from_secs(60))
    }

    pub const fn per_hour(count: u32) -> Self {
        Self::new(count, Duration::from_secs(3600))
    }

    /// Microseconds between requests once the burst is spent (at least 1).
    fn interval_us(&self) -> u64 {
        (self.period.as_micros() / u128::from(self.count.max(1))).max(1) as u64
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.period.as_secs();
        match (secs, self.period.subsec_millis()) {
            (1, 0) => write!(f, "{}/s", self.count),
            (60, 0) => write!(f, "{}/m", self.count),
            (3600, 0) => write!(f, "{}/h", self.count),
            (_, 0) => write!(f, "{}/{secs}s", self.count),
            _ => write!(f, "{}/{}ms", self.count, self.period.as_millis()),
        }
    }
}

/// Parses `off` (no limit) or `COUNT/PERIOD`: `20/s`, `60/m`, `10/h`, `5/10s`, `3/500ms`.
pub fn parse_limit(text: &str) -> Result<Option<Rate>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let (count, period) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not a limit (like 20/s, 60/m, 10/h or off)"))?;
    let count: u32 = count
        .trim()
        .parse()
        .map_err(|_| format!("`{text}`: the count is not a whole number"))?;
    let period = period.trim();
    // A bare unit is one of it: `s` is `1s`.
    let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
        parse_duration(period)?
    } else {
        parse_duration(&format!("1{period}"))?
    };
    if count == 0 || period.is_zero() {
        return Err(format!(
            "`{text}`: a limit allows at least 1 per non-zero period (or say off)"
        ));
    }
    Ok(Some(Rate::new(count, period)))
}

/// KEYS: one per limit. ARGV[2i-1]: that limit's period in microseconds; ARGV[2i]: its
/// interval (period / count). Allowed only when every limit allows; then each key moves one
/// interval on and expires when it would be back to "quiet". Answers 0 when allowed, else the
/// microseconds until the tightest limit allows again.
const CHECK: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local period = tonumber(ARGV[2 * i - 1])
  local interval = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  -- Never further ahead than this limit allows: a limit raised since the key was written
  -- counts from its own burst spent, not from the stricter one's. Written back at once, so
  -- that the key then drains at the new rate even while requests are refused.
  if tat > now + period then
    tat = now + period
    redis.call('SET', key, string.format('%.0f', tat), 'PX', math.floor(period / 1000) + 1)
  end
  local over = tat + interval - now - period
  if over > wait then wait = over end
  tats[i] = tat + interval
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local ttl_ms = math.floor((tats[i] - now) / 1000) + 1
  redis.call('SET', key, string.format('%.0f', tats[i]), 'PX', ttl_ms)
end
return 0
";

/// How long a check waits for Redis before allowing the request: while Redis is away (or
/// reconnecting, when commands queue) a request must not wait on it.
const REDIS_WAIT: Duration = Duration::from_millis(250);

/// One limit to check: a Redis key (below the limiter's prefix) and its rate.
pub struct Check {
    pub key: String,
    pub rate: Rate,
}

/// Checks limits in the cluster's Redis.
#[derive(Clone)]
pub struct RateLimiter {
    redis: Pool,
    prefix: String,
}

impl RateLimiter {
    /// Keys live under `<cluster>:limit:`.
    pub fn new(redis: Pool, cluster: &str) -> Self {
        Self {
            redis,
            prefix: format!("{cluster}:limit:"),
        }
    }

    /// Counts one request against every one of `checks` when all allow it; otherwise counts
    /// nothing and answers `RateLimited` with the wait (whole seconds, at least 1). Redis being
    /// unreachable or slow (over 250 ms) allows the request: a limit must not take the chat down with its store.
    pub async fn check(&self, checks: &[Check]) -> Result<(), ServiceError> {
        if checks.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = checks
            .iter()
            .map(|check| format!("{}{}", self.prefix, check.key))
            .collect();
        let args: Vec<String> = checks
            .iter()
            .flat_map(|check| {
                [
                    check.rate.period.as_micros().to_string(),
                    check.rate.interval_us().to_string(),
                ]
            })
            .collect();
        let answer = tokio::time::timeout(
            REDIS_WAIT,
            self.redis.eval::<i64, _, _, _>(CHECK, keys, args),
        )
        .await
        .unwrap_or_else(|_| {
            Err(fred::error::Error::new(
                fred::error::ErrorKind::Timeout,
                format!("no answer within {REDIS_WAIT:?}"),
            ))
        });
        match answer {
            Ok(wait_us) if wait_us > 0 => {
                metrics::counter!("chat_rate_limited_total").increment(1);
                Err(ServiceError::RateLimited {
                    retry_after_s: retry_after_s(wait_us as u64),
                })
            }
            Ok(_) => Ok(()),
            Err(error) => {
                metrics::counter!("chat_rate_limit_errors_total").increment(1);
                static UNCHECKED: Throttle = Throttle::new(Duration::from_secs(10));
                if let Some(held_back) = UNCHECKED.allow() {
                    tracing::warn!(%error, held_back, "rate limit not checked (Redis); allowing the request");
                }
                Ok(())
            }
        }
    }
}

/// A wait in microseconds as whole seconds for `Retry-After` (never 0: that would invite an
/// immediate retry that is refused again).
pub fn retry_after_s(wait_us: u64) -> u64 {
    wait_us.div_ceil(1_000_000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_with_units_and_off() {
        assert_eq!(parse_limit("20/s"), Ok(Some(Rate::per_second(20))));
        assert_eq!(parse_limit("60/m"), Ok(Some(Rate::per_minute(60))));
        assert_eq!(parse_limit(" 10 / h "), Ok(Some(Rate::per_hour(10))));
        assert_eq!(
            parse_limit("5/10s"),
            Ok(Some(Rate::new(5, Duration::from_secs(10))))
        );
        assert_eq!(
            parse_limit("3/500ms"),
            Ok(Some(Rate::new(3, Duration::from_millis(500))))
        );
        assert_eq!(parse_limit("OFF"), Ok(None));
        for bad in ["", "20", "x/s", "0/s", "5/0s", "-1/s", "5/y"] {
            assert!(parse_limit(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn rates_print_as_they_parse() {
        for text in ["20/s", "60/m", "10/h", "5/10s", "3/500ms"] {
            let rate = parse_limit(text).unwrap().unwrap();
            assert_eq!(rate.to_string(), text);
        }
    }

    #[test]
    fn the_interval_spreads_the_period_over_the_count() {
        assert_eq!(Rate::per_second(20).interval_us(), 50_000);
        assert_eq!(Rate::per_hour(10).interval_us(), 360_000_000);
        assert_eq!(Rate::new(3, Duration::from_micros(1)).interval_us(), 1);
    }

    #[test]
    fn a_wait_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_s(1), 1);
        assert_eq!(retry_after_s(1_000_000), 1);
        assert_eq!(retry_after_s(1_000_001), 2);
    }
}
