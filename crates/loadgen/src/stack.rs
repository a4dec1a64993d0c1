//! Where `cargo xtask up` keeps the stack's description (`stack.json`) and pid files, so that
//! a scenario run by hand finds the gateways' processes as `cargo xtask bench` would pass them.

use std::path::{Path, PathBuf};

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

/// The gateways `stack.json` lists, as (name, http address).
pub fn gateways(run_dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    use anyhow::Context;
    let path = run_dir.join("stack.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {} (is the stack up?)", path.display()))?;
    let stack: serde_json::Value = serde_json::from_str(&text)?;
    let listed = stack["gateways"]
        .as_array()
        .context("stack.json lists no gateways")?;
    listed
        .iter()
        .map(|entry| {
            let name = entry["name"].as_str().context("a gateway without a name")?;
            let http = entry["http"]
                .as_str()
                .context("a gateway without an address")?;
            Ok((name.to_owned(), http.to_owned()))
        })
        .collect()
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
