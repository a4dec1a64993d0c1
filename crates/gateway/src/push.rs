//! Consuming this gateway's pushes: one RocketMQ consumer for the tag it holds (consumer group
//! `gateway-<tag>`), restarted under the new tag if the router ever gives it another.

use chat_common::clock::now_ms;

use chat_common::Shutdown;
use chat_mq::{MqRuntime, TagConsumer};
use tokio::sync::mpsc;

use crate::lease::Lease;
use crate::ws::deliver::Deliverer;

/// Envelopes waiting for delivery; when full, the broker's delivery waits.
const INBOX: usize = 1024;

/// Consumes the held tag until shutdown.
pub fn spawn(
    deliverer: std::sync::Arc<Deliverer>,
    mq: std::sync::Arc<MqRuntime>,
    namesrv: String,
    cluster: String,
    lease: Lease,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tags = lease.tag.clone();
        loop {
            let tag = lease.tag();
            let (sink, mut inbox) = mpsc::channel(INBOX);
            let consumer =
                match TagConsumer::start(&mq, &namesrv, &cluster, &tag, now_ms(), sink).await {
                    Ok(consumer) => {
                        tracing::info!(%tag, "consuming pushes");
                        Some(consumer)
                    }
                    Err(error) => {
                        tracing::error!(%error, %tag, "cannot consume pushes; retrying");
                        None
                    }
                };
            let retry = tokio::time::sleep(std::time::Duration::from_secs(2));
            tokio::pin!(retry);
            let stop = loop {
                tokio::select! {
                    Some(envelope) = inbox.recv() => deliverer.deliver(envelope),
                    changed = tags.changed() => break changed.is_err(),
                    _ = &mut retry, if consumer.is_none() => break false,
                    _ = shutdown.wait() => break true,
                }
            };
            if let Some(consumer) = consumer {
                consumer.shutdown().await;
            }
            if stop {
                break;
            }
        }
    })
}
