//! Putting push envelopes on the push topic, tagged with the gateway tag they are for.

use rocketmq_client_rust::DefaultMQProducer;
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

    /// Sends one envelope; returns once the broker stored it.
    pub async fn send(&self, envelope: &PushEnvelope) -> Result<(), MqError> {
        self.inner
            .send(message(&self.topic, envelope))
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
