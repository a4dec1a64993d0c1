//! Consuming one gateway's pushes: consumer group `gateway-<tag>`, subscribed to that tag only.
//!
//! In order: a tag's envelopes are in one queue (see `producer.rs`), pulled in offset order,
//! and consumed by a single worker, so envelopes reach the gateway's inbox in the order they
//! were sent. (The client's concurrent mode with one worker is a FIFO; its orderly mode would
//! add broker-side queue locks that only matter with several consumers per group, and a group
//! here has one gateway.)
//!
//! The consumer is replaced by a fresh one after its broker was unreachable, for two defects of
//! `rocketmq-client-rust`/`rocketmq-transport` 1.0.0 that otherwise hold pushes back for half a
//! minute after a broker restart: requests in flight on a connection that dies are not failed
//! with it but wait out their own timeout (30 s for a long-polling pull), and after five failed
//! connection attempts the transport's circuit breaker refuses every attempt for 30 s (see
//! `producer.rs`). The pulls are the client's own, so a supervisor asks the broker for a queue's
//! end offset through the consumer's client twice a second: when that fails and then works
//! again, the broker was away and the pulls may be stuck on the dead connection; when it keeps
//! failing, the client may be cut off by its breaker. Either way a new consumer (its own client
//! instance and connections) takes over; the group's offsets are on the broker, and anything
//! delivered twice is dropped by the gateway as a repeat.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rocketmq_client_rust::{
    ClientResult, ClientRuntime, ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus,
    DefaultMQPushConsumer, MQPushConsumer,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_queue::MessageQueue;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::naming::{consumer_group, push_topic};
use crate::{MqError, MqRuntime, PushEnvelope, envelope};

/// How often the supervisor checks that the consumer reaches its broker: often enough that a
/// broker restarted in place is seen to have been away.
const PROBE_EVERY: Duration = Duration::from_millis(500);
/// A probe not answered within this is a failed one.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Probes failing for this long (with no success between) make the consumer stale.
const STALE_AFTER: Duration = Duration::from_secs(2);
/// How long a replaced consumer may take to shut down before it is left behind.
const SHUTDOWN_WITHIN: Duration = Duration::from_secs(5);
/// At most one replacement this often (see `producer.rs`).
const REPLACE_EVERY: Duration = Duration::from_secs(3);

/// A started consumer of one tag's envelopes.
pub struct TagConsumer {
    stop: oneshot::Sender<()>,
    supervisor: JoinHandle<()>,
}

/// What a consumer is started from (again, when it is replaced).
struct Settings {
    client: Arc<ClientRuntime>,
    namesrv: String,
    cluster: String,
    tag: String,
    not_before_ms: i64,
    sink: mpsc::Sender<PushEnvelope>,
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
        let settings = Settings {
            client: runtime.client(),
            namesrv: namesrv.to_owned(),
            cluster: cluster.to_owned(),
            tag: tag.to_owned(),
            not_before_ms,
            sink,
        };
        let consumer = settings.start().await?;
        let (stop, stopped) = oneshot::channel();
        let supervisor = tokio::spawn(supervise(settings, consumer, stopped));
        Ok(Self { stop, supervisor })
    }

    /// Stops consuming (the group's offsets stay on the broker for the tag's next holder).
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.supervisor.await;
    }
}

impl Settings {
    async fn start(&self) -> Result<DefaultMQPushConsumer, MqError> {
        let mut inner = DefaultMQPushConsumer::builder(self.client.clone())
            .consumer_group(consumer_group(&self.cluster, &self.tag))
            .name_server_addr(self.namesrv.as_str())
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
            .subscribe(push_topic(&self.cluster).as_str(), self.tag.as_str())
            .await
            .map_err(MqError::client)?;
        let own_tag = self.tag.clone();
        let not_before_ms = self.not_before_ms;
        let sink = self.sink.clone();
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
        if let Err(error) = inner.start().await {
            // A consumer that started halfway may run tasks of its own; stop them.
            inner.shutdown().await;
            return Err(MqError::client(error));
        }
        Ok(inner)
    }

    /// Whether `consumer`'s own client reaches the broker(s) of its topic: one broker request
    /// per broker (the end offset of one of its queues), bounded in time. A topic without
    /// known queues counts as unreached too: a consumer started while its broker was away
    /// would otherwise wait for its next route refresh (30 s) to find the queues again.
    async fn reaches_broker(&self, consumer: &mut DefaultMQPushConsumer) -> bool {
        let topic = push_topic(&self.cluster);
        let probe = async {
            let Ok(queues) = consumer.fetch_subscribe_message_queues(&topic).await else {
                return false;
            };
            // One queue of every broker: the breaker is per broker address.
            let mut probes: Vec<MessageQueue> = Vec::new();
            for queue in queues {
                if probes
                    .iter()
                    .all(|p| p.broker_name() != queue.broker_name())
                {
                    probes.push(queue);
                }
            }
            if probes.is_empty() {
                return false;
            }
            for queue in &probes {
                if consumer.max_offset(queue).await.is_err() {
                    return false;
                }
            }
            true
        };
        tokio::time::timeout(PROBE_TIMEOUT, probe)
            .await
            .unwrap_or(false)
    }
}

/// Runs `consumer` until `stopped`, replacing it when its broker was away and is back, or when
/// it has not reached its broker for [`STALE_AFTER`] (at most once every [`REPLACE_EVERY`]).
async fn supervise(
    settings: Settings,
    consumer: DefaultMQPushConsumer,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut consumer = Some(consumer);
    let mut failing_since: Option<Instant> = None;
    let mut replaced_at = Instant::now();
    let mut tick = tokio::time::interval(PROBE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        let why = match consumer.as_mut() {
            Some(current) => match (settings.reaches_broker(current).await, failing_since) {
                (true, None) => continue,
                (true, Some(since)) => {
                    format!("its broker was unreachable for {:?}", since.elapsed())
                }
                (false, None) => {
                    failing_since = Some(now);
                    continue;
                }
                (false, Some(since)) => {
                    if now.duration_since(since) < STALE_AFTER
                        || now.duration_since(replaced_at) < REPLACE_EVERY
                    {
                        continue;
                    }
                    format!(
                        "it has not reached its broker for {:?}",
                        now.duration_since(since)
                    )
                }
            },
            None if now.duration_since(replaced_at) < REPLACE_EVERY => continue,
            None => "the last replacement did not start".to_owned(),
        };
        metrics::counter!("chat_mq_consumer_replacements_total").increment(1);
        tracing::warn!(tag = %settings.tag, "replacing the push consumer: {why}");
        if let Some(mut old) = consumer.take()
            && tokio::time::timeout(SHUTDOWN_WITHIN, old.shutdown())
                .await
                .is_err()
        {
            tracing::warn!(tag = %settings.tag, "a replaced push consumer did not stop within {SHUTDOWN_WITHIN:?}");
        }
        replaced_at = Instant::now();
        failing_since = None;
        match settings.start().await {
            Ok(fresh) => consumer = Some(fresh),
            Err(error) => {
                tracing::warn!(%error, tag = %settings.tag, "cannot start a replacement push consumer; retrying");
            }
        }
    }
    if let Some(mut consumer) = consumer {
        consumer.shutdown().await;
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
