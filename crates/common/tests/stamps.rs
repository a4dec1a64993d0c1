//! The batched stamp reader against the real Redis at 127.0.0.1:6379 (`CHAT_REDIS_URL`
//! overrides; the stack's own scripts start it): concurrent reads share `MGET`s yet each gets its
//! own subject's stamp, and a read never answers with a stamp older than the read.

// A test fails by panicking, helpers included.
#![allow(clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_common::stamps::{Stamps, Subject};
use fred::prelude::{KeysInterface, Pool};

async fn redis() -> Pool {
    let url =
        std::env::var("CHAT_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    chat_common::redis::connect(&url, 2, Duration::from_secs(5))
        .await
        .expect("Redis answers")
}

/// A cluster name of this run's own, so that keys never meet another run's.
fn private_cluster() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_nanos())
        .unwrap_or_default();
    format!("stamps-test-{}-{nanos}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batched_reads_each_see_their_own_latest_stamp() {
    let redis = redis().await;
    let cluster = private_cluster();
    let stamps = Stamps::new(redis.clone(), &cluster);
    // A small queue, so that some of the concurrent reads below take the overflow path too.
    let reader = stamps.batched_reader(16);

    assert_eq!(
        reader.read(Subject::Group(1)).await.expect("read"),
        None,
        "a subject never changed has no stamp"
    );
    for group in 1..=100 {
        stamps.touch(Subject::Group(group)).await.expect("touch");
    }
    stamps.touch(Subject::Pair(9, 4)).await.expect("touch");

    // Groups 1..=100 were touched, 101..=200 were not.
    let reads: Vec<_> = (0..600_u64)
        .map(|i| {
            let reader = reader.clone();
            let subject = Subject::Group(i % 200 + 1);
            tokio::spawn(async move { (subject, reader.read(subject).await) })
        })
        .collect();
    for read in reads {
        let (subject, batched) = read.await.expect("the read task ends");
        let batched = batched.expect("batched read");
        let single = stamps.read(subject).await.expect("single read");
        assert_eq!(batched, single, "{subject:?}");
        let Subject::Group(group) = subject else {
            unreachable!("only groups are read here")
        };
        assert_eq!(batched.is_some(), group <= 100, "{subject:?}");
    }
    assert_eq!(
        reader.read(Subject::Pair(4, 9)).await.expect("read"),
        stamps.read(Subject::Pair(9, 4)).await.expect("read"),
        "a pair reads the same either way round"
    );

    // A read made after a change sees it, however busy the reader is.
    let busy: Vec<_> = (0..200_u64)
        .map(|i| {
            let reader = reader.clone();
            tokio::spawn(async move { reader.read(Subject::Group(i + 1)).await })
        })
        .collect();
    for _ in 0..50 {
        let before = reader.read(Subject::Group(7)).await.expect("read");
        stamps.touch(Subject::Group(7)).await.expect("touch");
        let after = reader.read(Subject::Group(7)).await.expect("read");
        assert_ne!(before, after, "a read after a touch sees the new stamp");
    }
    for read in busy {
        read.await.expect("the read task ends").expect("read");
    }

    let keys: Vec<String> = (1..=100)
        .map(|group| format!("{cluster}:stamp:group:{group}"))
        .chain([format!("{cluster}:stamp:pair:4:9")])
        .collect();
    let removed: u64 = redis.del(keys).await.expect("clean up");
    assert_eq!(removed, 101);
}
