//! Where things are: the checkout, the cache outside it, the run directory, build outputs.

use std::path::PathBuf;

/// The workspace root: the checkout `cargo xtask` runs in. `cargo run` names it at run time;
/// the compile-time value names the checkout that built this binary, which is another one when
/// checkouts share a target directory and cargo finds the built xtask fresh (it compares the
/// sources' times, not their paths), and then xtask would build and test that other checkout.
pub fn repo_root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Caches that outlive a checkout (the RocketMQ build), shared by every clone on the machine.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHAT_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".cache/chat-cluster")
}

/// Logs, pid files and `stack.json` of the running stack. One per machine, like its ports.
pub fn run_dir() -> PathBuf {
    std::env::var_os("CHAT_RUN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("run"))
}

/// Cargo's target directory for this workspace.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// A workspace binary of the given profile.
pub fn binary(name: &str, release: bool) -> PathBuf {
    target_dir()
        .join(if release { "release" } else { "debug" })
        .join(name)
}

/// The `cargo` that runs us, so nested builds use the same toolchain.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}
