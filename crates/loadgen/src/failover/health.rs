//! Whether a component is healthy, checked the way `cargo xtask status` checks it: a
//! service's gRPC health (`chat-healthcheck`, SERVING only while its dependencies answer),
//! a TCP accept for RocketMQ, and for a flushed Redis the router's slot table written back.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::process::Command;

use super::resp::RedisDb;

/// How often a component is probed while it comes back.
const EVERY: Duration = Duration::from_millis(100);
/// One probe may take this long.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// How to tell a component is healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Its gRPC health service answers SERVING.
    Grpc(String),
    /// It accepts TCP connections.
    Tcp(String),
    /// The key exists in this Redis database.
    RedisKey { redis: RedisDb, key: String },
}

impl Probe {
    /// Probes once; `bin_dir` holds `chat-healthcheck`.
    pub async fn check(&self, bin_dir: &Path) -> bool {
        let probe = async {
            match self {
                Self::Grpc(addr) => Command::new(bin_dir.join("chat-healthcheck"))
                    .arg(addr)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .kill_on_drop(true)
                    .status()
                    .await
                    .is_ok_and(|status| status.success()),
                Self::Tcp(addr) => TcpStream::connect(addr).await.is_ok(),
                Self::RedisKey { redis, key } => redis
                    .command(&["EXISTS", key])
                    .await
                    .is_ok_and(|answer| answer == ":1"),
            }
        };
        tokio::time::timeout(PROBE_TIMEOUT, probe)
            .await
            .unwrap_or(false)
    }

    /// Probes until healthy or `patience` passed; when it became healthy.
    pub async fn wait(&self, bin_dir: &Path, patience: Duration) -> Option<Instant> {
        let give_up = Instant::now() + patience;
        loop {
            if self.check(bin_dir).await {
                return Some(Instant::now());
            }
            if Instant::now() >= give_up {
                return None;
            }
            tokio::time::sleep(EVERY).await;
        }
    }
}
