//! The RocketMQ side of the chat cluster.
//!
//! Producers (message, account) put [`PushEnvelope`]s on one topic, each tagged with the gateway
//! tag it is for; each gateway consumes only its own tag under its own consumer group
//! (`gateway-<tag>`), because RocketMQ requires every consumer of a group to subscribe alike.

pub mod envelope;
pub mod naming;

pub use chat_proto::push::{Push, PushEnvelope};
pub use envelope::EnvelopeError;

/// Healthy while the RocketMQ name server accepts connections.
pub fn health_check(namesrv: &str) -> chat_common::DependencyCheck {
    chat_common::DependencyCheck::tcp("rocketmq", namesrv.to_owned())
}
