//! Consuming one gateway's pushes: consumer group `gateway-<tag>`, subscribed to that tag only.
//!
//! In order: a tag's envelopes are in one queue (see `producer.rs`), pulled in offset order,
//! and consumed by a single worker, so envelopes reach the gateway's inbox in the order they
//! were sent. (The client's concurrent mode with one worker is a FIFO; its orderly mode would
//! add broker-side queue locks that only matter with several consumers per group, and a group
//! here has one gateway.)

use rocketmq_client_rust::{
    ClientResult, ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, DefaultMQPushConsumer,
    MQPushConsumer,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::message_ext::MessageExt;
use tokio::sync::mpsc;

use crate::naming::{consumer_group, push_topic};
use crate::{MqError, MqRuntime, PushEnvelope, envelope};

/// A started consumer of one tag's envelopes.
pub struct TagConsumer {
    inner: DefaultMQPushConsumer,
}

impl TagConsumer {
    /// Starts consuming `tag` of `cluster` and hands every well-formed envelope born at or after
    /// `not_before_ms` (Unix milliseconds) to `sink`. When `sink` is full the broker's delivery
    /// waits (back-pressure) rather than buffering without bound.
    ///
    /// `not_before_ms` exists because a consumer group new to the broker replays the topic's
    /// history despite `ConsumeFromLastOffset`; pushes older than the consumer are stale anyway
    /// (clients sync on connect).
    pub async fn start(
        runtime: &MqRuntime,
        namesrv: &str,
        cluster: &str,
        tag: &str,
        not_before_ms: i64,
        sink: mpsc::Sender<PushEnvelope>,
    ) -> Result<Self, MqError> {
        let mut inner = DefaultMQPushConsumer::builder(runtime.client())
            .consumer_group(consumer_group(cluster, tag))
            .name_server_addr(namesrv)
            // Pushes older than the group are of no use: clients sync what they missed.
            .consume_from_where(ConsumeFromWhere::ConsumeFromLastOffset)
            // Lets in-flight deliveries finish on shutdown instead of being cut off.
            .await_termination_millis_when_shutdown(3000)
            // One worker: envelopes are handed on in the order they were pulled.
            .consume_thread_min(1)
            .consume_thread_max(1)
            // Several envelopes per listener call when they queued up.
            .consume_message_batch_max_size(32)
            .build();
        inner
            .subscribe(push_topic(cluster).as_str(), tag)
            .await
            .map_err(MqError::client)?;
        let own_tag = tag.to_owned();
        inner.register_message_listener_concurrently(
            move |messages: &[&MessageExt],
                  _context: &ConsumeConcurrentlyContext|
                  -> ClientResult<ConsumeConcurrentlyStatus> {
                for message in messages {
                    if message.born_timestamp() < not_before_ms {
                        metrics::counter!("chat_mq_envelopes_stale_total").increment(1);
                        continue;
                    }
                    deliver(message, &own_tag, &sink);
                }
                Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
            },
        );
        inner.start().await.map_err(MqError::client)?;
        Ok(Self { inner })
    }

    /// Stops consuming (the group's offsets stay on the broker for the tag's next holder).
    pub async fn shutdown(mut self) {
        self.inner.shutdown().await;
    }
}

/// Decodes one message and queues it; malformed bodies are counted and dropped, since
/// redelivering them could never succeed.
fn deliver(message: &MessageExt, tag: &str, sink: &mpsc::Sender<PushEnvelope>) {
    let body = message.body().unwrap_or_default();
    match envelope::decode(&body, tag) {
        Ok(envelope) => {
            metrics::counter!("chat_mq_envelopes_received_total").increment(1);
            // The listener runs on a blocking-pool thread, where waiting is allowed.
            if sink.blocking_send(envelope).is_err() {
                tracing::debug!("push consumer is shutting down; dropping an envelope");
            }
        }
        Err(error) => {
            metrics::counter!("chat_mq_envelopes_malformed_total").increment(1);
            tracing::warn!(%error, "dropping a malformed push message");
        }
    }
}
