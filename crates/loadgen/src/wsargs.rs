//! Flags every WebSocket scenario shares: where the public entry and the account service are,
//! how setup and session opening are paced, and how long the tail of a run may drain.

use std::time::Duration;

use anyhow::Context;
use chat_client::Endpoint;
use chat_common::flags::parse_duration;
use clap::Args;

use crate::ws::fleet::Dial;

/// Connection and pacing flags of the WebSocket scenarios.
#[derive(Debug, Clone, Args)]
pub struct WsArgs {
    /// The public entry (OpenResty): `/ws/{uid}` and `/api/v1/...`.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub server: String,

    /// The account service's gRPC address (users, friendships and groups are made there, so
    /// that setup does not load the gateways).
    #[arg(long, default_value = "127.0.0.1:50052")]
    pub account_addr: String,

    /// Registrations, logins and read-back pulls in flight at once (each registration and
    /// login hashes a password with argon2).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub setup_concurrency: u32,

    /// WebSocket handshakes in flight at once.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connect_concurrency: u32,

    /// One handshake (up to `hello`) may take this long.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// After the load, how long outstanding acks and pushes may take to arrive.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub drain: Duration,

    /// Bytes of text in each message.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(32..=8192))]
    pub message_bytes: u32,
}

impl WsArgs {
    /// How sessions are opened.
    pub fn dial(&self) -> anyhow::Result<Dial> {
        Ok(Dial {
            endpoint: Endpoint::parse(&self.server)
                .with_context(|| format!("--server {}", self.server))?,
            concurrency: self.connect_concurrency as usize,
            timeout: self.connect_timeout,
            patience: self.connect_timeout * 3,
        })
    }

    /// The flags as they ran, for the report.
    pub fn config(&self) -> serde_json::Value {
        serde_json::json!({
            "server": self.server,
            "account_addr": self.account_addr,
            "setup_concurrency": self.setup_concurrency,
            "connect_concurrency": self.connect_concurrency,
            "connect_timeout_s": self.connect_timeout.as_secs_f64(),
            "drain_s": self.drain.as_secs_f64(),
            "message_bytes": self.message_bytes,
        })
    }
}
