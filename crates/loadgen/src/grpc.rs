//! Connections to the services. Each [`connect`] call opens its own HTTP/2 connection, so a
//! scenario spreads its requests over as many as it asks for instead of funnelling every
//! stream through one socket.

use std::time::Duration;

use std::sync::OnceLock;

use anyhow::Context;
use chat_common::internal::{InternalChannel, InternalSecret};
use tonic::transport::Endpoint;

use crate::recorder::Failure;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to a service: its calls carry the cluster's internal secret.
pub type Channel = InternalChannel;

/// The secret from the file `CHAT_INTERNAL_SECRET_FILE` names (`cargo xtask bench` sets it),
/// or none.
fn secret() -> anyhow::Result<InternalSecret> {
    static SECRET: OnceLock<Result<InternalSecret, String>> = OnceLock::new();
    SECRET
        .get_or_init(|| match std::env::var_os("CHAT_INTERNAL_SECRET_FILE") {
            None => Ok(InternalSecret::default()),
            Some(path) => std::fs::read_to_string(&path)
                .map_err(|error| format!("CHAT_INTERNAL_SECRET_FILE {path:?}: {error}"))
                .and_then(|text| InternalSecret::new(&text)),
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// One new connection to `addr` (host:port, plain HTTP/2 on loopback).
pub async fn connect(addr: &str) -> anyhow::Result<Channel> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .with_context(|| format!("`{addr}` is not a host:port"))?
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    Ok(secret()?.channel(channel))
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
