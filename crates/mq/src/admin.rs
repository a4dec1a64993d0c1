//! Topic administration through the broker's own admin protocol.

use rocketmq_client_rust::{DefaultMQAdminExt, MQAdminMutationExt};
use rocketmq_model::common::config::TopicConfig;

use crate::{MqError, MqRuntime};

/// Creates `topic` with `queues` read and write queues on every master broker the name server
/// knows, or updates it to that shape. Idempotent. Returns the brokers it was written to.
pub async fn ensure_topic(
    runtime: &MqRuntime,
    namesrv: &str,
    topic: &str,
    queues: u32,
) -> Result<Vec<String>, MqError> {
    let mut admin = DefaultMQAdminExt::new(runtime.client());
    admin.set_namesrv_addr(namesrv);
    admin.start().await.map_err(MqError::client)?;
    let outcome = upsert_everywhere(&mut admin, topic, queues).await;
    admin.shutdown().await;
    let brokers = outcome?;
    if brokers.is_empty() {
        return Err(MqError::NoBroker(namesrv.to_owned()));
    }
    Ok(brokers)
}

async fn upsert_everywhere(
    admin: &mut DefaultMQAdminExt,
    topic: &str,
    queues: u32,
) -> Result<Vec<String>, MqError> {
    let cluster = admin
        .mutation_cluster_info()
        .await
        .map_err(MqError::client)?;
    let mut brokers = Vec::new();
    for (name, broker) in cluster.broker_addr_table.unwrap_or_default() {
        // Broker id 0 is the master; slaves replicate its topics.
        let Some(addr) = broker.broker_addrs().get(&0).cloned() else {
            continue;
        };
        let config = TopicConfig::with_queues(topic, queues, queues);
        admin
            .upsert_topic_config(addr.clone(), config)
            .await
            .map_err(MqError::client)?;
        brokers.push(format!("{name}@{addr}"));
    }
    Ok(brokers)
}
