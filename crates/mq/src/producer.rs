//! Putting push envelopes on the push topic, tagged with the gateway tag they are for.
//!
//! A tag's envelopes all go to one queue of the topic, chosen by a hash of the tag that every
//! producer computes alike: RocketMQ keeps order within a queue only, and the gateway consumes
//! a queue in order (see `consumer.rs`), so pushes reach a gateway in the order they were sent.
//!
//! A producer whose sends keep failing is replaced by a fresh one. The client's transport keeps
//! a circuit breaker per broker address that opens after five failed connection attempts and
//! then refuses every attempt for 30 s (`rocketmq-transport` 1.0.0, not configurable), so after
//! a broker restart the old client would stay cut off for half a minute although the broker is
//! back within seconds; a new client (its own instance, transport and breakers) connects at
//! once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rocketmq_client_rust::{ClientRuntime, DefaultMQProducer};
use rocketmq_model::common::message::message_queue::MessageQueue;
use rocketmq_model::common::message::message_single::Message;
use tokio::task::JoinHandle;

use crate::naming::push_topic;
use crate::{MqError, MqRuntime, PushEnvelope, envelope};

/// Sends failing for this long (with no success between) make the producer stale.
const STALE_AFTER: Duration = Duration::from_secs(2);
/// At most one replacement this often, so that a broker that stays down is not hammered with
/// new clients (each replacement's first sends fail, and trip its own breaker, until then).
const REPLACE_EVERY: Duration = Duration::from_secs(3);
/// How long a replaced producer may still be in use by sends in flight before it is shut down
/// (a send gives up after 3 s).
const RETIRE_WITHIN: Duration = Duration::from_secs(30);
/// A send not answered within this is a failed one, whatever the client does meanwhile (its own
/// timeout is 3 s): a send that never returns would hold its tag's pushes back for good.
const SEND_WITHIN: Duration = Duration::from_secs(10);

/// A started RocketMQ producer for push envelopes.
pub struct PushProducer {
    client: Arc<ClientRuntime>,
    namesrv: String,
    group: String,
    topic: String,
    current: Mutex<Arc<DefaultMQProducer>>,
    health: Mutex<Health>,
    /// Replaced producers being shut down once their last send returns.
    retiring: Mutex<Vec<JoinHandle<()>>>,
}

/// Whether the current producer's sends are failing, and since when.
struct Health {
    failing_since: Option<Instant>,
    replaced_at: Instant,
    replacing: bool,
}

/// Marks a replacement done (and the fresh producer not failing yet) when dropped.
struct Replaced<'a>(&'a Mutex<Health>);

impl Drop for Replaced<'_> {
    fn drop(&mut self) {
        let mut health = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        health.replacing = false;
        health.replaced_at = Instant::now();
        health.failing_since = None;
    }
}

fn message(topic: &str, envelope: &PushEnvelope) -> Message {
    Message::builder()
        .topic(topic)
        .tags(envelope.tag.as_str())
        .body_slice(&envelope::encode(envelope))
        .build_unchecked()
}

async fn start_producer(
    client: &Arc<ClientRuntime>,
    namesrv: &str,
    group: &str,
) -> Result<DefaultMQProducer, MqError> {
    let mut producer = DefaultMQProducer::builder(client.clone())
        .producer_group(group)
        .name_server_addr(namesrv)
        .build();
    producer.start().await.map_err(MqError::client)?;
    Ok(producer)
}

/// Shuts `producer` down once nothing else holds it (a send in flight), or gives up on it after
/// `within` (the client runtime's shutdown still stops it).
async fn retire(mut producer: Arc<DefaultMQProducer>, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        match Arc::try_unwrap(producer) {
            Ok(mut producer) => {
                producer.shutdown().await;
                return;
            }
            Err(shared) if Instant::now() < deadline => {
                producer = shared;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(_) => {
                tracing::warn!(
                    "a replaced rocketmq producer is still in use after {within:?}; left to the \
                     client runtime's shutdown"
                );
                return;
            }
        }
    }
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
        let client = runtime.client();
        let producer = start_producer(&client, namesrv, group).await?;
        Ok(Self {
            client,
            namesrv: namesrv.to_owned(),
            group: group.to_owned(),
            topic: push_topic(cluster),
            current: Mutex::new(Arc::new(producer)),
            health: Mutex::new(Health {
                failing_since: None,
                replaced_at: Instant::now(),
                replacing: false,
            }),
            retiring: Mutex::default(),
        })
    }

    fn current(&self) -> Arc<DefaultMQProducer> {
        self.current
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    /// Sends one envelope to its tag's queue; returns once the broker stored it.
    pub async fn send(&self, envelope: &PushEnvelope) -> Result<(), MqError> {
        let producer = self.current();
        let send = producer.send_with_selector(
            message(&self.topic, envelope),
            |queues: &[MessageQueue], _: &Message, tag: &String| {
                queue_of(tag, queues.len()).and_then(|index| queues.get(index).cloned())
            },
            envelope.tag.clone(),
        );
        let result = match tokio::time::timeout(SEND_WITHIN, send).await {
            Ok(sent) => sent.map(drop).map_err(MqError::client),
            Err(_) => Err(MqError::Client(format!("no answer within {SEND_WITHIN:?}"))),
        };
        drop(producer);
        self.observe(result.is_ok()).await;
        result
    }

    /// Sends several envelopes in one broker round trip (they may be for different tags).
    pub async fn send_batch(&self, envelopes: &[PushEnvelope]) -> Result<(), MqError> {
        let batch: Vec<Message> = envelopes
            .iter()
            .map(|envelope| message(&self.topic, envelope))
            .collect();
        let producer = self.current();
        let result = match tokio::time::timeout(SEND_WITHIN, producer.send_batch(batch)).await {
            Ok(sent) => sent.map(drop).map_err(MqError::client),
            Err(_) => Err(MqError::Client(format!("no answer within {SEND_WITHIN:?}"))),
        };
        drop(producer);
        self.observe(result.is_ok()).await;
        result
    }

    /// Records a send's outcome; replaces the producer when its sends have kept failing.
    async fn observe(&self, succeeded: bool) {
        let now = Instant::now();
        {
            let mut health = self
                .health
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            if succeeded {
                health.failing_since = None;
                return;
            }
            let since = *health.failing_since.get_or_insert(now);
            if health.replacing
                || now.duration_since(since) < STALE_AFTER
                || now.duration_since(health.replaced_at) < REPLACE_EVERY
            {
                return;
            }
            health.replacing = true;
        }
        // Ends the replacement also when this future is dropped half way.
        let _done = Replaced(&self.health);
        self.replace().await;
    }

    /// Starts a fresh producer in place of the current one, which retires in the background.
    async fn replace(&self) {
        metrics::counter!("chat_mq_producer_replacements_total").increment(1);
        tracing::warn!(
            "push sends have failed for {STALE_AFTER:?} or more; replacing the rocketmq producer \
             (a fresh client is not held back by the old one's open circuit breaker)"
        );
        let started = tokio::time::timeout(
            Duration::from_secs(10),
            start_producer(&self.client, &self.namesrv, &self.group),
        )
        .await;
        let fresh = match started {
            Ok(Ok(fresh)) => fresh,
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot start a replacement rocketmq producer; keeping the old one");
                return;
            }
            Err(_) => {
                tracing::warn!(
                    "a replacement rocketmq producer did not start within 10 s; keeping the old one"
                );
                return;
            }
        };
        let old = std::mem::replace(
            &mut *self
                .current
                .lock()
                .unwrap_or_else(|poison| poison.into_inner()),
            Arc::new(fresh),
        );
        let mut retiring = self
            .retiring
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        retiring.retain(|task| !task.is_finished());
        retiring.push(tokio::spawn(retire(old, RETIRE_WITHIN)));
    }

    /// Stops the producer (and any replaced one still retiring).
    pub async fn shutdown(self) {
        let retiring = std::mem::take(
            &mut *self
                .retiring
                .lock()
                .unwrap_or_else(|poison| poison.into_inner()),
        );
        for task in retiring {
            let _ = task.await;
        }
        let current = self
            .current
            .into_inner()
            .unwrap_or_else(|poison| poison.into_inner());
        retire(current, Duration::from_secs(5)).await;
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
