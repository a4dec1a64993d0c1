//! The RocketMQ client's own runtime. The client does not run on the ambient Tokio runtime: it
//! needs an explicitly owned one, shared by every producer and consumer of the process.

use std::sync::Arc;
use std::time::Duration;

use rocketmq_client_rust::{ClientRuntime, ClientRuntimeConfig, TelemetryHandle};
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};

use crate::MqError;

/// Owns the client runtime; [`MqRuntime::shutdown`] stops it after the clients are shut down.
pub struct MqRuntime {
    owner: RuntimeOwner,
    client: Arc<ClientRuntime>,
}

impl MqRuntime {
    /// Starts the client runtime. Telemetry stays ours: no global subscriber is installed.
    pub fn start() -> Result<Self, MqError> {
        let mut config = RuntimeConfig {
            thread_name: "rocketmq".to_owned(),
            ..Default::default()
        };
        deepen_consume_lane(&mut config);
        let owner = RuntimeOwner::plan(config)
            .map_err(MqError::client)?
            .build()
            .map_err(MqError::client)?;
        let client = ClientRuntime::try_new(
            owner.root_context().component("client"),
            ClientRuntimeConfig::default(),
            TelemetryHandle::noop(),
        )
        .map_err(MqError::client)?;
        Ok(Self { owner, client })
    }

    /// The handle producers and consumers are built from.
    pub fn client(&self) -> Arc<ClientRuntime> {
        self.client.clone()
    }

    /// Stops the runtime; call after every producer and consumer is shut down.
    pub async fn shutdown(self) {
        let report = self.client.shutdown().await;
        if !report.is_healthy() {
            tracing::warn!(report = %report.to_json(), "rocketmq client runtime stopped uncleanly");
        }
        let _ = self.owner.shutdown_tasks().await;
        let _ = self.owner.shutdown_background();
    }
}

/// Push consumers hand every pulled batch to our listener through the runtime's metadata-io
/// blocking lane, and the listener waits while the gateway's inbox is full (that wait is the
/// backpressure). The lane's defaults (2 x cores running, 8 x cores queued, 5 s in the queue)
/// refuse batches when a few queues wait at once: the library logs the refusal as
/// `consume_message task panicked: ... runtime.capacity.exhausted` and hands the batch back
/// to the broker, which redelivers it through the retry topic 10 s or more later. A deep queue
/// and a long wait keep backpressure a wait instead of a late delivery.
fn deepen_consume_lane(config: &mut RuntimeConfig) {
    let lane = &mut config.blocking_lane_policies.metadata_io;
    lane.max_queue_depth = lane.max_queue_depth.max(1024);
    lane.queue_timeout = lane.queue_timeout.max(Duration::from_secs(30));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consume_lane_queues_instead_of_refusing_and_the_runtime_accepts_it() {
        let mut config = RuntimeConfig::default();
        deepen_consume_lane(&mut config);
        let lane = &config.blocking_lane_policies.metadata_io;
        assert!(lane.max_queue_depth >= 1024);
        assert!(lane.queue_timeout >= Duration::from_secs(30));
        assert!(
            config.validate().is_ok(),
            "a configuration the runtime takes"
        );
    }
}
