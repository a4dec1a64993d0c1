//! Flags and environment variables of the account service.

use std::net::SocketAddr;
use std::time::Duration;

use chat_common::CommonFlags;
use chat_common::flags::parse_duration;

/// The account service: users, credentials, friends, groups and notifications.
#[derive(Debug, clap::Parser)]
#[command(name = "chat-account", version, about, long_about = None)]
pub struct Config {
    /// Address of the gRPC server (Account service + health).
    #[arg(
        long,
        env = "CHAT_ACCOUNT_GRPC_ADDR",
        default_value = "127.0.0.1:50052"
    )]
    pub grpc_addr: SocketAddr,

    /// Address of the admin HTTP server (/metrics, /healthz).
    #[arg(
        long,
        env = "CHAT_ACCOUNT_METRICS_ADDR",
        default_value = "127.0.0.1:9102"
    )]
    pub metrics_addr: SocketAddr,

    /// The account schema (users, friends, groups, notifications). The database must exist.
    #[arg(
        long,
        env = "CHAT_ACCOUNT_DATABASE_URL",
        default_value = "mysql://root@127.0.0.1:3306/chat_account"
    )]
    pub database_url: String,

    /// Largest number of MySQL connections.
    #[arg(long, env = "CHAT_ACCOUNT_DATABASE_POOL", default_value_t = 16)]
    pub database_pool: u32,

    /// Redis for tokens, rate limits and caches.
    #[arg(long, env = "CHAT_REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,

    /// RocketMQ name server (host:port), for notification pushes.
    #[arg(long, env = "CHAT_ROCKETMQ_NAMESRV", default_value = "127.0.0.1:9876")]
    pub rocketmq_namesrv: String,

    /// The router (for the slot table that routes notification pushes).
    #[arg(
        long,
        env = "CHAT_ROUTER_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub router_url: String,

    /// How long a login token stays valid.
    #[arg(long, env = "CHAT_ACCOUNT_TOKEN_TTL", default_value = "168h", value_parser = parse_duration)]
    pub token_ttl: Duration,

    /// Failed logins allowed per username from one client address in one window before that
    /// pair is locked (429): for the window, twice as long at the next lockout within a day, and
    /// so on up to a day. Other addresses are not locked, so a stranger cannot lock anyone out.
    #[arg(
        long,
        env = "CHAT_ACCOUNT_LOGIN_FAILURES_PER_USER",
        default_value_t = 5
    )]
    pub login_failures_per_user: u64,

    /// Failed logins allowed per username from all addresses together in one window before 429
    /// (against guessing spread over many addresses).
    #[arg(
        long,
        env = "CHAT_ACCOUNT_LOGIN_FAILURES_PER_USER_TOTAL",
        default_value_t = 100
    )]
    pub login_failures_per_user_total: u64,

    /// Failed logins allowed per client address in one window before 429.
    #[arg(
        long,
        env = "CHAT_ACCOUNT_LOGIN_FAILURES_PER_ADDR",
        default_value_t = 30
    )]
    pub login_failures_per_addr: u64,

    /// The window failed logins are counted in.
    #[arg(long, env = "CHAT_ACCOUNT_LOGIN_WINDOW", default_value = "5m", value_parser = parse_duration)]
    pub login_window: Duration,

    /// Most members a group may have.
    #[arg(long, env = "CHAT_ACCOUNT_GROUP_MEMBER_LIMIT", default_value_t = 2000)]
    pub group_member_limit: u32,

    /// How often gateways that stopped reporting are swept (their users go offline unless
    /// another gateway holds them).
    #[arg(long, env = "CHAT_ACCOUNT_PRESENCE_SWEEP", default_value = "5s", value_parser = parse_duration)]
    pub presence_sweep: Duration,

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
