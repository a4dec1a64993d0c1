//! The shared rate limiter against the real Redis at 127.0.0.1:6379 (`CHAT_REDIS_URL`
//! overrides): a burst of `count`, then one per interval; several limits at once allow only
//! when all do and count nothing when one refuses; the refusal says how long to wait.

// A test fails by panicking, helpers included.
#![allow(clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_common::ServiceError;
use chat_common::ratelimit::{Check, Rate, RateLimiter};

async fn limiter() -> RateLimiter {
    let url =
        std::env::var("CHAT_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/7".to_owned());
    let redis = chat_common::redis::connect(&url, 2, Duration::from_secs(5))
        .await
        .expect("Redis answers");
    // A cluster name of this run's own, so that keys never meet another run's.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_nanos())
        .unwrap_or_default();
    RateLimiter::new(redis, &format!("limit-test-{}-{nanos}", std::process::id()))
}

fn check(key: &str, rate: Rate) -> Check {
    Check {
        key: key.to_owned(),
        rate,
    }
}

fn wait_s(result: Result<(), ServiceError>) -> Option<u64> {
    match result {
        Ok(()) => None,
        Err(ServiceError::RateLimited { retry_after_s }) => Some(retry_after_s),
        Err(other) => panic!("not a rate limit: {other}"),
    }
}

#[tokio::test]
async fn a_burst_of_count_then_one_per_interval() {
    let limiter = limiter().await;
    let rate = Rate::new(5, Duration::from_millis(500));
    for i in 0..5 {
        assert_eq!(
            wait_s(limiter.check(&[check("a", rate)]).await),
            None,
            "{i}"
        );
    }
    assert_eq!(
        wait_s(limiter.check(&[check("a", rate)]).await),
        Some(1),
        "the sixth within the burst waits (100 ms, said as 1 s)"
    );
    // One interval (100 ms) later one more is allowed, and only one.
    tokio::time::sleep(Duration::from_millis(130)).await;
    assert_eq!(wait_s(limiter.check(&[check("a", rate)]).await), None);
    assert_eq!(wait_s(limiter.check(&[check("a", rate)]).await), Some(1));
    // Another key is not touched by this one.
    assert_eq!(wait_s(limiter.check(&[check("b", rate)]).await), None);
}

#[tokio::test]
async fn several_limits_allow_only_together_and_a_refusal_counts_nothing() {
    let limiter = limiter().await;
    let loose = Rate::per_minute(100);
    let tight = Rate::per_hour(2);
    let both = |user: &str| [check(user, loose), check("addr", tight)];
    assert_eq!(wait_s(limiter.check(&both("u1")).await), None);
    assert_eq!(wait_s(limiter.check(&both("u2")).await), None);
    // The shared address is spent: u3 waits about half an hour (one interval of 2/h) ...
    let wait = wait_s(limiter.check(&both("u3")).await).expect("refused");
    assert!((1790..=1800).contains(&wait), "waits {wait} s");
    // ... and its refusal did not count against u3's own limit: 100 more pass alone.
    for i in 0..100 {
        assert_eq!(
            wait_s(limiter.check(&[check("u3", loose)]).await),
            None,
            "{i}"
        );
    }
    assert!(wait_s(limiter.check(&[check("u3", loose)]).await).is_some());
}

#[tokio::test]
async fn an_unreachable_redis_allows() {
    // Nothing listens on port 1: the pool cannot connect, and the request goes through.
    let config = fred::prelude::Config::from_url("redis://127.0.0.1:1").expect("a URL");
    let redis = fred::prelude::Builder::from_config(config)
        .build_pool(1)
        .expect("a pool");
    let limiter = RateLimiter::new(redis, "limit-test-unreachable");
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        limiter.check(&[check("a", Rate::per_second(1))]),
    )
    .await
    .expect("answers without hanging");
    assert_eq!(wait_s(result), None);
}

#[tokio::test]
async fn a_raised_limit_does_not_inherit_the_stricter_ones_wait() {
    let limiter = limiter().await;
    let strict = Rate::per_hour(1);
    assert_eq!(wait_s(limiter.check(&[check("k", strict)]).await), None);
    assert!(wait_s(limiter.check(&[check("k", strict)]).await).is_some_and(|s| s > 3000));
    // The operator raises it: the key counts as the new limit's burst spent (one interval,
    // 10 ms, to wait), not as the old limit's hour.
    let raised = Rate::per_second(100);
    assert_eq!(wait_s(limiter.check(&[check("k", raised)]).await), Some(1));
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(wait_s(limiter.check(&[check("k", raised)]).await), None);
}
