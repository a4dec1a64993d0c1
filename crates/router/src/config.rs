//! Flags and environment variables of the router.

use std::net::SocketAddr;
use std::time::Duration;

use chat_common::CommonFlags;
use chat_common::flags::parse_duration;

/// The router: owns the gateway registry and the slot table (stored in Redis).
#[derive(Debug, clap::Parser)]
#[command(name = "chat-router", version, about, long_about = None)]
pub struct Config {
    /// Address of the gRPC server (Router service + health).
    #[arg(long, env = "CHAT_ROUTER_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: SocketAddr,

    /// Address of the HTTP server that serves `GET /v1/table` (for OpenResty).
    #[arg(long, env = "CHAT_ROUTER_HTTP_ADDR", default_value = "127.0.0.1:8090")]
    pub http_addr: SocketAddr,

    /// Address of the admin HTTP server (/metrics, /healthz).
    #[arg(
        long,
        env = "CHAT_ROUTER_METRICS_ADDR",
        default_value = "127.0.0.1:9101"
    )]
    pub metrics_addr: SocketAddr,

    /// Redis holding leases, the slot table and its epoch.
    #[arg(long, env = "CHAT_REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,

    /// How long a gateway keeps its tag without renewing (it renews every third of this). It
    /// bounds how long the users of a crashed gateway wait for a new one (issue 7's failover
    /// target is 10 s, reconnect and resync included); shorter risks moving the slots of a
    /// gateway that was merely starved of CPU for a moment.
    #[arg(long, env = "CHAT_ROUTER_LEASE_TTL", default_value = "5s", value_parser = parse_duration)]
    pub lease_ttl: Duration,

    /// How long the leading router keeps the lead without renewing; another takes over after.
    #[arg(long, env = "CHAT_ROUTER_LEADER_TTL", default_value = "3s", value_parser = parse_duration)]
    pub leader_ttl: Duration,

    /// How often the leader compares the live gateways with the table.
    #[arg(long, env = "CHAT_ROUTER_RECONCILE_INTERVAL", default_value = "250ms", value_parser = parse_duration)]
    pub reconcile_interval: Duration,

    /// This router's identity in the leader election (default: host name, pid and a random part).
    #[arg(long, env = "CHAT_ROUTER_ID")]
    pub router_id: Option<String>,

    #[command(flatten)]
    pub common: CommonFlags,
}

impl Config {
    /// The configured router id, or one unique to this process.
    pub fn router_id(&self) -> String {
        self.router_id
            .clone()
            .unwrap_or_else(chat_common::instance::instance_id)
    }

    /// Rejects combinations that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if self.lease_ttl < Duration::from_secs(1) {
            return Err("--lease-ttl must be at least 1s".into());
        }
        if self.leader_ttl <= self.reconcile_interval * 2 {
            return Err("--leader-ttl must exceed twice --reconcile-interval".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::Config;

    #[test]
    fn flags_are_well_formed() {
        Config::command().debug_assert();
    }

    #[test]
    fn a_leader_ttl_shorter_than_two_rounds_is_refused() {
        let config = Config::parse_from(["chat-router", "--leader-ttl", "400ms"]);
        assert!(config.validate().is_err());
        assert!(Config::parse_from(["chat-router"]).validate().is_ok());
    }
}
