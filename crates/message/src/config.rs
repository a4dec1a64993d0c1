//! Flags and environment variables of the message service.

use std::net::SocketAddr;
use std::time::Duration;

use chat_common::CommonFlags;
use chat_common::flags::parse_duration;
use chat_common::storage::FileStorageFlags;

/// The message service: messages, sequence numbers, fan-out, sync and read cursors.
#[derive(Debug, clap::Parser)]
#[command(name = "chat-message", version, about, long_about = None)]
pub struct Config {
    /// Address of the gRPC server (Message service + health).
    #[arg(
        long,
        env = "CHAT_MESSAGE_GRPC_ADDR",
        default_value = "127.0.0.1:50053"
    )]
    pub grpc_addr: SocketAddr,

    /// Address of the admin HTTP server (/metrics, /healthz).
    #[arg(
        long,
        env = "CHAT_MESSAGE_METRICS_ADDR",
        default_value = "127.0.0.1:9103"
    )]
    pub metrics_addr: SocketAddr,

    /// The message schema (conversations, messages, read cursors). The database must exist.
    #[arg(
        long,
        env = "CHAT_MESSAGE_DATABASE_URL",
        default_value = "mysql://root@127.0.0.1:3306/chat_message"
    )]
    pub database_url: String,

    /// Largest number of MySQL connections.
    #[arg(long, env = "CHAT_MESSAGE_DATABASE_POOL", default_value_t = 32)]
    pub database_pool: u32,

    /// Redis for caches (never the source of truth for sequence numbers).
    #[arg(long, env = "CHAT_REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,

    /// The `--cluster` of the account service, whose Redis keys this service reads (who is
    /// online, change stamps of friendships and groups). Defaults to this service's cluster;
    /// differs only when several clusters share one account service (as the tests' do).
    #[arg(long, env = "CHAT_ACCOUNT_CLUSTER")]
    pub account_cluster: Option<String>,

    /// RocketMQ name server (host:port), for message pushes.
    #[arg(long, env = "CHAT_ROCKETMQ_NAMESRV", default_value = "127.0.0.1:9876")]
    pub rocketmq_namesrv: String,

    /// The account service (friendship, blocks, group membership).
    #[arg(
        long,
        env = "CHAT_ACCOUNT_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    pub account_url: String,

    /// The router (for the slot table that routes pushes).
    #[arg(
        long,
        env = "CHAT_ROUTER_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub router_url: String,

    /// Most bytes of text in one message.
    #[arg(long, env = "CHAT_MESSAGE_MAX_TEXT_BYTES", default_value_t = 8 * 1024)]
    pub max_text_bytes: usize,

    /// Most bytes of custom JSON content in one message.
    #[arg(long, env = "CHAT_MESSAGE_MAX_CUSTOM_BYTES", default_value_t = 8 * 1024)]
    pub max_custom_bytes: usize,

    /// How long after sending a sender may recall a message (e.g. 2m, 90s).
    #[arg(long, env = "CHAT_MESSAGE_RECALL_WINDOW", default_value = "2m", value_parser = parse_duration)]
    pub recall_window: Duration,

    /// Group-commit writers; each conversation always goes to the same one.
    #[arg(long, env = "CHAT_MESSAGE_WRITERS", default_value_t = 2)]
    pub writers: usize,

    /// Most messages one writer commits in one transaction.
    #[arg(long, env = "CHAT_MESSAGE_MAX_BATCH", default_value_t = 500)]
    pub max_batch: usize,

    /// How long a cached friendship or group membership may be trusted at most (change stamps
    /// make most changes take effect at once; this bounds the rest).
    #[arg(long, env = "CHAT_MESSAGE_ACCESS_TTL", default_value = "60s", value_parser = parse_duration)]
    pub access_ttl: Duration,

    /// Pushes queued per gateway while a RocketMQ send is in flight (beyond: dropped; clients
    /// get them by sync). Also the pushes that may wait for a presence lookup (beyond: pushed
    /// to every recipient, online or not).
    #[arg(long, env = "CHAT_MESSAGE_PUSH_QUEUE", default_value_t = 50_000)]
    pub push_queue: usize,

    /// Most bytes of files one user may have stored (the sum of their uploads); an upload
    /// beyond is refused with 429 `quota_exceeded`.
    #[arg(long, env = "CHAT_MESSAGE_FILE_QUOTA_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub file_quota_bytes: u64,

    /// Where the gateways store uploads (the same flags as theirs), for the sweeper. Unset:
    /// nothing is swept.
    #[command(flatten)]
    pub storage: FileStorageFlags,

    /// Uploads no message carried are deleted once this old, and so are objects no upload
    /// names; a send may attach an upload only while it is younger than half of this.
    #[arg(long, env = "CHAT_MESSAGE_FILE_SWEEP_AGE", default_value = "24h", value_parser = parse_duration)]
    pub file_sweep_age: Duration,

    /// How often the sweeper looks.
    #[arg(long, env = "CHAT_MESSAGE_FILE_SWEEP_INTERVAL", default_value = "10m", value_parser = parse_duration)]
    pub file_sweep_interval: Duration,

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
