//! Connections to the services. Each [`connect`] call opens its own HTTP/2 connection, so a
//! scenario spreads its requests over as many as it asks for instead of funnelling every
//! stream through one socket.

use std::time::Duration;

use anyhow::Context;
use tonic::transport::{Channel, Endpoint};

use crate::recorder::Failure;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One new connection to `addr` (host:port, plain HTTP/2 on loopback).
pub async fn connect(addr: &str) -> anyhow::Result<Channel> {
    Endpoint::from_shared(format!("http://{addr}"))
        .with_context(|| format!("`{addr}` is not a host:port"))?
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("cannot connect to {addr}"))
}

/// `count` separate connections to `addr`.
pub async fn connect_many(addr: &str, count: u32) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::new();
    for _ in 0..count {
        channels.push(connect(addr).await?);
    }
    Ok(channels)
}

/// A failed call as the report counts it: by gRPC code name.
pub fn failure(status: &tonic::Status) -> Failure {
    Failure {
        code: format!("{:?}", status.code()),
        message: status.message().to_owned(),
    }
}

/// A call the client gave up on.
pub fn timeout(after: Duration) -> Failure {
    Failure {
        code: "ClientTimeout".to_owned(),
        message: format!("no answer within {after:?}"),
    }
}
