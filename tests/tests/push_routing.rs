//! A push for tag gw-1 reaches only the gateway holding gw-1, also after that gateway crashed
//! and a new one took its tag over.

#![recursion_limit = "256"]

use std::time::Duration;

use chat_e2e::cluster::{Proc, TestCluster, gateway_tag, router_client, wait_for_table};
use chat_mq::{MqRuntime, PushEnvelope, PushProducer};

const RECEIVED: &str = "chat_mq_envelopes_received_total";

fn envelope(tag: &str) -> PushEnvelope {
    PushEnvelope {
        tag: tag.to_owned(),
        ..Default::default()
    }
}

/// Sends envelopes for `tag` until `holder` has received one (its consumer has its queues).
async fn wait_until_consuming(producer: &PushProducer, holder: &Proc, tag: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while holder.metric(RECEIVED) == 0.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} never consumed {tag}",
            holder.name
        );
        producer.send(&envelope(tag)).await.expect("send a probe");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Sends `count` envelopes for `tag` and waits until `holder` got at least that many more.
async fn send_and_wait(producer: &PushProducer, holder: &Proc, tag: &str, count: usize) {
    let before = holder.metric(RECEIVED);
    for _ in 0..count {
        producer.send(&envelope(tag)).await.expect("send");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while holder.metric(RECEIVED) < before + count as f64 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} did not receive its {count}",
            holder.name
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_for_a_tag_reach_only_its_holder() {
    let cluster = TestCluster::new("push");
    cluster.create_push_topic();
    let router = cluster.start_router("router", &["--lease-ttl", "4s"]);
    let g0 = cluster.start_gateway("g0", &router);
    let mut g1 = cluster.start_gateway("g1", &router);
    let g2 = cluster.start_gateway("g2", &router);
    assert_eq!(gateway_tag(&g1), "gw-1");

    let mq = MqRuntime::start().expect("rocketmq client runtime");
    let producer = PushProducer::start(
        &mq,
        &cluster.stack.rocketmq.namesrv,
        &cluster.name,
        "e2e-push-routing",
    )
    .await
    .expect("start a producer");

    wait_until_consuming(&producer, &g1, "gw-1").await;
    send_and_wait(&producer, &g1, "gw-1", 20).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        g0.metric(RECEIVED),
        0.0,
        "gw-0 received none of gw-1's pushes"
    );
    assert_eq!(
        g2.metric(RECEIVED),
        0.0,
        "gw-2 received none of gw-1's pushes"
    );

    // gw-1 crashes; once its lease is gone a new gateway takes the smallest free tag: gw-1.
    g1.kill();
    let mut client = router_client(&router).await;
    wait_for_table(&mut client, Duration::from_secs(4 + 2), "gw-1 gone", |t| {
        t.gateways().iter().all(|g| g.tag != "gw-1")
    })
    .await;
    let g3 = cluster.start_gateway("g3", &router);
    assert_eq!(
        gateway_tag(&g3),
        "gw-1",
        "the new gateway takes the freed tag"
    );

    wait_until_consuming(&producer, &g3, "gw-1").await;
    send_and_wait(&producer, &g3, "gw-1", 20).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(g0.metric(RECEIVED), 0.0, "gw-0 still received none");
    assert_eq!(g2.metric(RECEIVED), 0.0, "gw-2 still received none");

    producer.shutdown().await;
    mq.shutdown().await;
}
