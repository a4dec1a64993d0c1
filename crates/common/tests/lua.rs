//! Scripts by SHA-1 against the real Redis at 127.0.0.1:6379 (`CHAT_REDIS_URL` overrides): a
//! script Redis does not know is sent once in full and from then on run by its SHA-1.

// A test fails by panicking, helpers included.
#![allow(clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_common::lua::Script;
use fred::prelude::LuaInterface;

#[tokio::test]
async fn an_unknown_script_is_sent_once_then_run_by_its_sha() {
    let url =
        std::env::var("CHAT_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/7".to_owned());
    let redis = chat_common::redis::connect(&url, 1, Duration::from_secs(5))
        .await
        .expect("Redis answers");
    // A script of this run's own (a comment makes it unique), so Redis cannot know it yet;
    // nothing is flushed to get there.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_nanos())
        .unwrap_or_default();
    let lua = format!(
        "-- {} {nanos}\nreturn tonumber(ARGV[1]) + 1",
        std::process::id()
    );
    let script = Script::new(Box::leak(lua.into_boxed_str()));
    let known = |redis: fred::prelude::Pool, sha: String| async move {
        let exists: Vec<bool> = redis.script_exists(sha).await.expect("SCRIPT EXISTS");
        exists == [true]
    };
    assert!(!known(redis.clone(), script.sha().to_owned()).await);

    let two: i64 = script
        .run(&redis, Vec::<String>::new(), vec!["1"])
        .await
        .expect("the first run falls back to EVAL");
    assert_eq!(two, 2);
    assert!(
        known(redis.clone(), script.sha().to_owned()).await,
        "EVAL put the script in Redis's cache under the SHA-1 computed here"
    );
    let three: i64 = script
        .run(&redis, Vec::<String>::new(), vec!["2"])
        .await
        .expect("runs by its SHA-1");
    assert_eq!(three, 3);
}
