//! Putting push envelopes on the push topic, tagged with the gateway tag they are for.
//!
//! A tag's envelopes all go to one queue of the topic, chosen by a hash of the tag that every
//! producer computes alike: RocketMQ keeps order within a queue only, and the gateway consumes
//! a queue in order (see `consumer.rs`), so pushes reach a gateway in the order they were sent.

use rocketmq_client_rust::DefaultMQProducer;
use rocketmq_model::common::message::message_queue::MessageQueue;
use rocketmq_model::common::message::message_single::Message;

use crate::naming::push_topic;
use crate::{MqError, MqRuntime, PushEnvelope, envelope};

/// A started RocketMQ producer for push envelopes.
pub struct PushProducer {
    inner: DefaultMQProducer,
    topic: String,
}

fn message(topic: &str, envelope: &PushEnvelope) -> Message {
    Message::builder()
        .topic(topic)
        .tags(envelope.tag.as_str())
        .body_slice(&envelope::encode(envelope))
        .build_unchecked()
}

impl PushProducer {
    /// Starts a producer in `group` for `cluster`'s push topic, against the name server at
    /// `namesrv`.
    pub async fn start(
        runtime: &MqRuntime,
        namesrv: &str,
        cluster: &str,
        group: &str,
    ) -> Result<Self, MqError> {
        let mut inner = DefaultMQProducer::builder(runtime.client())
            .producer_group(group)
            .name_server_addr(namesrv)
            .build();
        inner.start().await.map_err(MqError::client)?;
        Ok(Self {
            inner,
            topic: push_topic(cluster),
        })
    }

    /// Sends one envelope to its tag's queue; returns once the broker stored it.
    pub async fn send(&self, envelope: &PushEnvelope) -> Result<(), MqError> {
        self.inner
            .send_with_selector(
                message(&self.topic, envelope),
                |queues: &[MessageQueue], _: &Message, tag: &String| {
                    queue_of(tag, queues.len()).and_then(|index| queues.get(index).cloned())
                },
                envelope.tag.clone(),
            )
            .await
            .map(drop)
            .map_err(MqError::client)
    }

    /// Sends several envelopes in one broker round trip (they may be for different tags).
    pub async fn send_batch(&self, envelopes: &[PushEnvelope]) -> Result<(), MqError> {
        let batch: Vec<Message> = envelopes
            .iter()
            .map(|envelope| message(&self.topic, envelope))
            .collect();
        self.inner
            .send_batch(batch)
            .await
            .map(drop)
            .map_err(MqError::client)
    }

    /// Stops the producer.
    pub async fn shutdown(mut self) {
        self.inner.shutdown().await;
    }
}

/// The queue (of `queues`) that carries `tag`: FNV-1a, so that every producer, in every
/// process, picks the same one.
fn queue_of(tag: &str, queues: usize) -> Option<usize> {
    if queues == 0 {
        return None;
    }
    let hash = tag.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    Some((hash % queues as u64) as usize)
}

#[cfg(test)]
mod tests {
    use super::queue_of;

    #[test]
    fn a_tag_always_maps_to_the_same_queue() {
        assert_eq!(queue_of("gw-1", 0), None);
        assert_eq!(queue_of("gw-1", 4), queue_of("gw-1", 4));
        // Known FNV-1a values keep the choice stable across releases (and so across a rolling
        // upgrade, where old and new producers write the same tag).
        assert_eq!(
            queue_of("", 4),
            Some((0xcbf2_9ce4_8422_2325_u64 % 4) as usize)
        );
        let spread: std::collections::HashSet<usize> = (1..=8)
            .filter_map(|n| queue_of(&format!("gw-{n}"), 4))
            .collect();
        assert!(spread.len() > 1, "tags spread over the queues: {spread:?}");
    }
}
