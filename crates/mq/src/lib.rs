//! The RocketMQ side of the chat cluster.
//!
//! Producers (message, account) put [`PushEnvelope`]s on one topic, each tagged with the gateway
//! tag it is for; each gateway consumes only its own tag under its own consumer group
//! (`gateway-<tag>`), because RocketMQ requires every consumer of a group to subscribe alike.

pub mod admin;
pub mod consumer;
pub mod envelope;
pub mod naming;
pub mod producer;
pub mod runtime;

pub use chat_proto::push::{Push, PushEnvelope};
pub use consumer::TagConsumer;
pub use envelope::EnvelopeError;
pub use producer::PushProducer;
pub use runtime::MqRuntime;

/// A failure talking to RocketMQ.
#[derive(Debug, thiserror::Error)]
pub enum MqError {
    #[error("rocketmq client: {0}")]
    Client(String),
    #[error("no master broker is registered with the name server at {0}")]
    NoBroker(String),
}

impl MqError {
    fn client(error: impl std::fmt::Display) -> Self {
        Self::Client(error.to_string())
    }
}

/// Healthy while the RocketMQ name server accepts connections.
pub fn health_check(namesrv: &str) -> chat_common::DependencyCheck {
    chat_common::DependencyCheck::tcp("rocketmq", namesrv.to_owned())
}
