//! Where `cargo xtask up` keeps the stack's description (`stack.json`) and pid files, so that
//! a scenario run by hand finds the gateways' processes as `cargo xtask bench` would pass them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::sampler::WatchSpec;

/// The run directory `cargo xtask up` uses (`CHAT_RUN_DIR`, else under `CHAT_CACHE_DIR` or
/// `~/.cache/chat-cluster`).
pub fn run_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHAT_RUN_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("CHAT_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map_or_else(|| "/tmp".into(), PathBuf::from);
            home.join(".cache/chat-cluster")
        });
    cache.join("run")
}

/// The pid `--watch` names for `name`, else the one in `up`'s pid file.
pub fn pid_of(run_dir: &Path, name: &str, watch: &[WatchSpec]) -> Option<u32> {
    if let Some(spec) = watch.iter().find(|spec| spec.name == name) {
        return spec.pids.first().copied();
    }
    let file = run_dir.join("pids").join(format!("{name}.pid"));
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// The parts of `stack.json` (written by `cargo xtask up`) the scenarios read.
#[derive(Debug, Clone, Deserialize)]
pub struct StackFile {
    /// The services' `--cluster` (key prefixes, push topic).
    pub cluster: String,
    /// `redis://host:port/db`: the stack's own database of the Redis server.
    pub redis_url: String,
    pub rocketmq: RocketMq,
    pub router: Service,
    pub account: Service,
    pub message: Service,
    pub gateways: Vec<GatewayEntry>,
    /// Where the stack's binaries (`chat-healthcheck` among them) are.
    pub bin_dir: PathBuf,
}

/// The name server and broker addresses.
#[derive(Debug, Clone, Deserialize)]
pub struct RocketMq {
    pub namesrv: String,
    pub broker: String,
}

/// A service's gRPC address.
#[derive(Debug, Clone, Deserialize)]
pub struct Service {
    pub grpc: String,
}

/// One gateway: component name, HTTP and gRPC addresses.
#[derive(Debug, Clone, Deserialize)]
pub struct GatewayEntry {
    pub name: String,
    pub http: String,
    pub grpc: String,
}

impl StackFile {
    /// `stack.json` under `run_dir`.
    pub fn read(run_dir: &Path) -> anyhow::Result<Self> {
        let path = run_dir.join("stack.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} (is the stack up?)", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

/// The gateways `stack.json` lists, as (name, http address).
pub fn gateways(run_dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let stack = StackFile::read(run_dir)?;
    anyhow::ensure!(!stack.gateways.is_empty(), "stack.json lists no gateways");
    Ok(stack
        .gateways
        .into_iter()
        .map(|gateway| (gateway.name, gateway.http))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_come_from_watch_specs_first() {
        let watch = [WatchSpec {
            name: "gateway-0".into(),
            pids: vec![42, 43],
        }];
        let nowhere = Path::new("/nonexistent");
        assert_eq!(pid_of(nowhere, "gateway-0", &watch), Some(42));
        assert_eq!(pid_of(nowhere, "gateway-1", &watch), None);
    }
}
