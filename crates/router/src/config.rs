//! Flags and environment variables of the router.

use std::net::SocketAddr;

use chat_common::CommonFlags;

/// The router: owns the gateway registry and the slot table (stored in Redis).
#[derive(Debug, clap::Parser)]
#[command(name = "chat-router", version, about, long_about = None)]
pub struct Config {
    /// Address of the gRPC server (Router service + health).
    #[arg(long, env = "CHAT_ROUTER_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: SocketAddr,

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

    #[command(flatten)]
    pub common: CommonFlags,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Config;

    #[test]
    fn flags_are_well_formed() {
        Config::command().debug_assert();
    }
}
