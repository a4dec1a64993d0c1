//! The RocketMQ side of the chat cluster.
//!
//! Producers (message, account) put [`PushEnvelope`]s on one topic, each tagged with the gateway
//! tag it is for; each gateway consumes only its own tag under its own consumer group
//! (`gateway-<tag>`), because RocketMQ requires every consumer of a group to subscribe alike.

pub mod admin;
pub mod consumer;
pub mod envelope;
pub mod fanout;
pub mod naming;
pub mod producer;
pub mod runtime;

pub use chat_proto::push::{Push, PushEnvelope};
pub use consumer::TagConsumer;
pub use envelope::EnvelopeError;
pub use fanout::{Fanout, FanoutLimits};
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
    /// Keeps the whole source chain: the client's top-level messages are redacted to things
    /// like "Argument is invalid", and the cause ("Topic route was not found") is below.
    fn client(error: impl std::error::Error) -> Self {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::Client(text)
    }
}

/// Healthy while the RocketMQ name server accepts connections.
pub fn health_check(namesrv: &str) -> chat_common::DependencyCheck {
    chat_common::DependencyCheck::tcp("rocketmq", namesrv.to_owned())
}
