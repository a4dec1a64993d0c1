//! The RocketMQ client's own runtime. The client does not run on the ambient Tokio runtime: it
//! needs an explicitly owned one, shared by every producer and consumer of the process.

use std::sync::Arc;

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
        let owner = RuntimeOwner::plan(RuntimeConfig {
            thread_name: "rocketmq".to_owned(),
            ..Default::default()
        })
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
