//! RocketMQ carries each push to exactly the consumer group of its tag: two consumers, in groups
//! `gateway-<tag>` and each subscribed to its own tag, receive exactly their own envelopes.
//!
//! The tags are high-numbered ones no running gateway holds, so that the stack's gateways (which
//! consume `gw-0`, `gw-1`, ... under the same naming) never share these groups' queues.

#![recursion_limit = "256"]

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_e2e::Stack;
use chat_mq::{MqRuntime, PushEnvelope, PushProducer, TagConsumer};
use tokio::sync::mpsc;

const TAGS: [&str; 2] = ["gw-900", "gw-901"];
/// The stack's own cluster: the test uses its real push topic.
const CLUSTER: &str = chat_mq::naming::DEFAULT_CLUSTER;

fn envelope(tag: &str, run: &str, kind: &str, index: u32) -> PushEnvelope {
    PushEnvelope {
        tag: tag.to_owned(),
        table_epoch: u64::from(index),
        trace_context: HashMap::from([
            ("run".to_owned(), run.to_owned()),
            ("kind".to_owned(), kind.to_owned()),
        ]),
        ..Default::default()
    }
}

/// Envelopes of this run received so far, by kind.
fn drain(inbox: &mut mpsc::Receiver<PushEnvelope>, run: &str, into: &mut Vec<PushEnvelope>) {
    while let Ok(envelope) = inbox.try_recv() {
        if envelope.trace_context.get("run").map(String::as_str) == Some(run) {
            into.push(envelope);
        }
    }
}

fn count(received: &[PushEnvelope], kind: &str) -> usize {
    received
        .iter()
        .filter(|e| e.trace_context.get("kind").map(String::as_str) == Some(kind))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_gateway_group_receives_exactly_its_own_tag() {
    let stack = Stack::load();
    let namesrv = stack.rocketmq.namesrv.as_str();
    let run = format!(
        "{}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let mq = MqRuntime::start().expect("rocketmq client runtime");

    let mut consumers = Vec::new();
    let mut inboxes = Vec::new();
    for tag in TAGS {
        let (sink, inbox) = mpsc::channel(1024);
        consumers.push(
            TagConsumer::start(&mq, namesrv, CLUSTER, tag, 0, sink)
                .await
                .expect("start consumer"),
        );
        inboxes.push(inbox);
    }
    let producer = PushProducer::start(&mq, namesrv, CLUSTER, "chat-e2e-smoke")
        .await
        .expect("start producer");

    // A new group starts at the queue's end once its queues are assigned; probe until both
    // consumers see this run's messages, so the counted ones below cannot fall before that.
    let mut received: Vec<Vec<PushEnvelope>> = vec![Vec::new(), Vec::new()];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let mut probe = 0;
    while received.iter().any(|r| count(r, "probe") == 0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "consumers never received a probe"
        );
        for tag in TAGS {
            producer
                .send(&envelope(tag, &run, "probe", probe))
                .await
                .expect("send probe");
        }
        probe += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
        for (inbox, into) in inboxes.iter_mut().zip(received.iter_mut()) {
            drain(inbox, &run, into);
        }
    }

    // Five single sends for the first tag, one batch of five for the second.
    for index in 0..5 {
        producer
            .send(&envelope(TAGS[0], &run, "counted", index))
            .await
            .expect("send");
    }
    let batch: Vec<PushEnvelope> = (0..5)
        .map(|index| envelope(TAGS[1], &run, "counted", index))
        .collect();
    producer.send_batch(&batch).await.expect("send batch");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while received.iter().any(|r| count(r, "counted") < 5) && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        for (inbox, into) in inboxes.iter_mut().zip(received.iter_mut()) {
            drain(inbox, &run, into);
        }
    }
    // A little longer, to catch anything delivered to the wrong group.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (inbox, into) in inboxes.iter_mut().zip(received.iter_mut()) {
        drain(inbox, &run, into);
    }

    for (tag, got) in TAGS.iter().zip(&received) {
        assert!(
            got.iter().all(|e| e.tag == *tag),
            "{tag} received another tag's envelope"
        );
        let mut indexes: Vec<u64> = got
            .iter()
            .filter(|e| e.trace_context.get("kind").map(String::as_str) == Some("counted"))
            .map(|e| e.table_epoch)
            .collect();
        indexes.sort_unstable();
        indexes.dedup(); // at-least-once: a redelivery is not a second message
        assert_eq!(
            indexes,
            vec![0, 1, 2, 3, 4],
            "{tag} received exactly its five"
        );
    }

    producer.shutdown().await;
    for consumer in consumers {
        consumer.shutdown().await;
    }
    mq.shutdown().await;
}
