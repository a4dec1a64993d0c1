//! Cargo subcommands the tasks run (cargo-nextest, cargo-fuzz): found on the PATH, else built
//! once from crates.io into `~/.cache/chat-cluster/tools` like RocketMQ.

use std::path::PathBuf;
use std::process::Command;

use crate::{TaskResult, paths, process};

/// A cargo subcommand's binary (`name` is the crate and the binary), installing `version` (the
/// newest when `None`) into the cache when it is neither on the PATH nor there already. It is
/// run as `<binary> <subcommand> ...`, as cargo would.
pub fn cargo_tool(name: &str, version: Option<&str>, takes: &str) -> TaskResult<PathBuf> {
    let root = paths::cache_dir().join("tools");
    let cached = root.join("bin").join(name);
    if let Some(found) = on_path(name).or_else(|| cached.exists().then_some(cached)) {
        return Ok(found);
    }
    println!("{name} is not installed: building it once into the cache ({takes})");
    let mut command = Command::new(paths::cargo());
    command
        .args(["install", name, "--locked", "--root"])
        .arg(&root);
    if let Some(version) = version {
        command.args(["--version", version]);
    }
    process::run(&format!("cargo install {name}"), &mut command)?;
    Ok(root.join("bin").join(name))
}

fn on_path(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
