//! Flags and environment variables of the gateway.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chat_common::CommonFlags;
use chat_common::flags::parse_duration;

use chat_common::storage::FileStorageFlags;

use crate::rest::files::UrlSigner;

/// A gateway: holds WebSocket sessions, serves the public REST API, consumes its own pushes.
#[derive(Debug, clap::Parser)]
#[command(name = "chat-gateway", version, about, long_about = None)]
pub struct Config {
    /// Address of the public HTTP server (REST API under /api/v1 and WebSocket under /ws).
    #[arg(long, env = "CHAT_GATEWAY_HTTP_ADDR", default_value = "127.0.0.1:8100")]
    pub http_addr: SocketAddr,

    /// The host:port OpenResty and clients reach this gateway at, registered with the router.
    /// Defaults to --http-addr (which must then not be a wildcard address).
    #[arg(long, env = "CHAT_GATEWAY_ADVERTISE_ADDR")]
    pub advertise_addr: Option<String>,

    /// This gateway's identity in its router lease (default: host name, pid and a random part).
    #[arg(long, env = "CHAT_GATEWAY_INSTANCE_ID")]
    pub instance_id: Option<String>,

    /// Address of the gRPC server (health).
    #[arg(
        long,
        env = "CHAT_GATEWAY_GRPC_ADDR",
        default_value = "127.0.0.1:50060"
    )]
    pub grpc_addr: SocketAddr,

    /// Address of the admin HTTP server (/metrics, /healthz).
    #[arg(
        long,
        env = "CHAT_GATEWAY_METRICS_ADDR",
        default_value = "127.0.0.1:9110"
    )]
    pub metrics_addr: SocketAddr,

    /// The account service (authentication, social REST calls).
    #[arg(
        long,
        env = "CHAT_ACCOUNT_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    pub account_url: String,

    /// The message service (sends, sync).
    #[arg(
        long,
        env = "CHAT_MESSAGE_URL",
        default_value = "http://127.0.0.1:50053"
    )]
    pub message_url: String,

    /// The router (registration, lease, slot table).
    #[arg(
        long,
        env = "CHAT_ROUTER_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub router_url: String,

    /// RocketMQ name server (host:port), for consuming this gateway's pushes.
    #[arg(long, env = "CHAT_ROCKETMQ_NAMESRV", default_value = "127.0.0.1:9876")]
    pub rocketmq_namesrv: String,

    /// Largest REST request body in bytes (413 beyond). OpenResty refuses larger bodies itself
    /// (`client_max_body_size` in openresty/nginx.conf, 64k); raise both together.
    #[arg(long, env = "CHAT_GATEWAY_BODY_LIMIT", default_value_t = 64 * 1024)]
    pub body_limit: usize,

    /// Also serve the seed API at its bare paths (`/user/login` as well as
    /// `/api/v1/user/login`), for a seed client whose dev proxy strips `/api/v1/` and cannot be
    /// pointed at `.../api/v1/` (docs/seed-compat.md).
    #[arg(long, env = "CHAT_GATEWAY_SEED_BARE_PATHS")]
    pub seed_bare_paths: bool,

    /// Browser origins allowed to call the REST API (comma-separated; `*` for any; empty for none).
    #[arg(
        long,
        env = "CHAT_GATEWAY_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_origins: Vec<String>,

    /// Peers whose `X-Real-IP` header names the client (the OpenResty machines in front:
    /// addresses or networks such as 10.0.0.0/8, comma-separated). From any other peer the
    /// header is ignored and the peer's own address counts, so that a client cannot pick the
    /// address its rate limits are kept under.
    #[arg(
        long,
        env = "CHAT_GATEWAY_TRUSTED_PROXIES",
        value_delimiter = ',',
        default_value = "127.0.0.1,::1"
    )]
    pub trusted_proxies: Vec<crate::rest::cidr::Cidr>,

    /// Redis of the cluster, where the rate limits of every gateway are kept together (a
    /// gateway allows requests while Redis is unreachable).
    #[arg(long, env = "CHAT_REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,

    #[arg(
        long = "rate-limit",
        env = "CHAT_GATEWAY_RATE_LIMITS",
        value_name = "ACTION.SCOPE=RATE",
        value_delimiter = ',',
        value_parser = crate::limits::parse_setting,
        help = "Overrides a rate limit, as ACTION.SCOPE=RATE (like send.user=20/s or register.addr=off)",
        long_help = crate::limits::help()
    )]
    pub rate_limits: Vec<crate::limits::LimitSetting>,

    /// Directory of the built browser client (`web/dist`), served at `/` for every GET or HEAD
    /// outside /api, /ws and /debug: files as they are, index.html for client-side routes.
    /// Unset: no client is served and `/` answers the API's JSON 404.
    #[arg(long, env = "CHAT_WEB_DIR")]
    pub web_dir: Option<PathBuf>,

    /// Where uploads are stored (a directory or an S3-compatible bucket).
    #[command(flatten)]
    pub storage: FileStorageFlags,

    /// A file holding the key that signs download addresses for the browser (`POST
    /// /files/{id}/url`): any secret of 32 or more characters, the same on every gateway of a
    /// cluster. Unset: signing answers 503 `signing_disabled`.
    #[arg(long, env = "CHAT_FILE_URL_KEY_FILE")]
    pub file_url_key_file: Option<PathBuf>,

    /// How long a signed download address stays valid (each use is authorized again).
    #[arg(long, env = "CHAT_FILE_URL_TTL", default_value = "5m", value_parser = parse_duration)]
    pub file_url_ttl: Duration,

    /// Largest image upload in bytes (413 `file_too_large` beyond).
    #[arg(long, env = "CHAT_GATEWAY_MAX_IMAGE_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_image_bytes: u64,

    /// Largest voice upload in bytes.
    #[arg(long, env = "CHAT_GATEWAY_MAX_VOICE_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_voice_bytes: u64,

    /// Largest upload of any other file in bytes. OpenResty refuses larger bodies on the upload
    /// route itself (`client_max_body_size` 101m in openresty/nginx.conf); raise both together.
    #[arg(long, env = "CHAT_GATEWAY_MAX_FILE_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub max_file_bytes: u64,

    /// WebSocket sessions one user may hold here (the oldest is kicked beyond).
    #[arg(long, env = "CHAT_GATEWAY_MAX_SESSIONS_PER_USER", default_value_t = 5)]
    pub max_sessions_per_user: usize,

    /// A user whose last session here ended is reported offline only after this long without
    /// one coming back (a quick reconnect is not an offline event for their friends).
    #[arg(long, env = "CHAT_GATEWAY_PRESENCE_GRACE", default_value = "5s", value_parser = parse_duration)]
    pub presence_grace: Duration,

    /// An empty presence report keeps this gateway's users online at least this often; the
    /// account service takes users offline when their gateway was silent for three of these.
    #[arg(long, env = "CHAT_GATEWAY_PRESENCE_HEARTBEAT", default_value = "10s", value_parser = parse_duration)]
    pub presence_heartbeat: Duration,

    /// Frames queued for one session before it counts as a slow consumer (closed with 1008).
    #[arg(long, env = "CHAT_GATEWAY_SESSION_QUEUE", default_value_t = 256)]
    pub session_queue: usize,

    /// Largest WebSocket message in bytes (the session closes with 1009 beyond).
    #[arg(long, env = "CHAT_GATEWAY_MAX_FRAME_BYTES", default_value_t = chat_wire::ws::DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_frame_bytes: usize,

    /// How often the account service's log of ended logins is read: a revoked login's
    /// connections close within this even when the push that announces it is lost.
    #[arg(long, env = "CHAT_GATEWAY_REVOCATION_POLL", default_value = "1s", value_parser = parse_duration)]
    pub revocation_poll: Duration,

    /// How often the server pings each session.
    #[arg(long, env = "CHAT_GATEWAY_HEARTBEAT", default_value = "25s", value_parser = parse_duration)]
    pub heartbeat: Duration,

    /// A session that sends nothing (not even a pong) for this long is closed (4003).
    #[arg(long, env = "CHAT_GATEWAY_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    #[command(flatten)]
    pub common: CommonFlags,
}

impl Config {
    /// The address registered with the router.
    pub fn advertise_addr(&self) -> Result<String, String> {
        if let Some(addr) = &self.advertise_addr {
            return Ok(addr.clone());
        }
        if self.http_addr.ip().is_unspecified() {
            return Err(format!(
                "--http-addr {} is a wildcard address: set --advertise-addr to the address others reach",
                self.http_addr
            ));
        }
        Ok(self.http_addr.to_string())
    }

    /// The signer of download addresses, from --file-url-key-file (None when unset).
    pub fn url_signer(&self) -> Result<Option<UrlSigner>, String> {
        let Some(path) = &self.file_url_key_file else {
            return Ok(None);
        };
        let key = std::fs::read_to_string(path)
            .map_err(|error| format!("--file-url-key-file {}: {error}", path.display()))?;
        let key = key.trim();
        if key.len() < 32 {
            return Err(format!(
                "--file-url-key-file {} holds {} characters; a key has at least 32",
                path.display(),
                key.len()
            ));
        }
        Ok(Some(UrlSigner::new(key.as_bytes())))
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
    fn an_s3_bucket_needs_its_credentials_and_no_directory() {
        let parse = |extra: &[&str]| {
            let mut args = vec!["chat-gateway"];
            args.extend_from_slice(extra);
            Config::try_parse_from(args)
        };
        let bucket = [
            "--files-s3-bucket",
            "b",
            "--files-s3-access-key-id",
            "k",
            "--files-s3-secret-key-file",
            "/s",
        ];
        assert!(parse(&bucket).is_ok());
        assert!(parse(&["--files-s3-bucket", "b"]).is_err());
        let mut both = bucket.to_vec();
        both.extend_from_slice(&["--files-dir", "/d"]);
        assert!(parse(&both).is_err());
    }
}
