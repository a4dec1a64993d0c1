//! RocketMQ (the Rust name server and broker from crates.io): built once into a cache outside
//! the checkout, started on loopback with the config in `deploy/rocketmq/`, and given the push
//! topic.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::components::ports;
use crate::{TaskResult, fail, paths, probe, process};

/// The pinned version of `rocketmq-namesrv` and `rocketmq-broker`.
pub const VERSION: &str = "1.0.0";
/// The topic every push envelope travels on (the same as `chat_mq::naming::PUSH_TOPIC`).
pub const PUSH_TOPIC: &str = "chat-push";
/// The path prefix the checked-in config files use, replaced by the run directory.
const TEMPLATE_PREFIX: &str = "/tmp/chat-run/rocketmq";

fn install_root() -> PathBuf {
    paths::cache_dir().join("rocketmq")
}

fn bin(name: &str) -> PathBuf {
    install_root().join("bin").join(name)
}

fn stamp() -> PathBuf {
    install_root().join(format!("installed-{VERSION}"))
}

fn home() -> PathBuf {
    paths::run_dir().join("rocketmq")
}

/// Builds the name server and broker unless this exact version is already in the cache.
pub fn ensure_installed() -> TaskResult {
    let binaries = [bin("rocketmq-namesrv-rust"), bin("rocketmq-broker-rust")];
    if stamp().exists() && binaries.iter().all(|path| path.exists()) {
        println!(
            "rocketmq   {VERSION} already built in {}",
            install_root().display()
        );
        return Ok(());
    }
    println!(
        "rocketmq   building rocketmq-namesrv and rocketmq-broker {VERSION} into {} \
         (once per machine; about 15-25 minutes on 2 cores)",
        install_root().display()
    );
    process::run(
        "cargo install rocketmq",
        Command::new(paths::cargo())
            .args(["install", "--locked", "--root"])
            .arg(install_root())
            .arg(format!("rocketmq-namesrv@{VERSION}"))
            .arg(format!("rocketmq-broker@{VERSION}"))
            // Its own target dir in the cache: a later run reuses it, the checkout stays clean.
            .env(
                "CARGO_TARGET_DIR",
                paths::cache_dir().join("rocketmq-target"),
            ),
    )?;
    fs::write(
        stamp(),
        format!("rocketmq-namesrv {VERSION}\nrocketmq-broker {VERSION}\n"),
    )?;
    Ok(())
}

/// Renders `deploy/rocketmq/<file>` into the run directory and checks it with the binary's
/// own `-p` (print config) mode: a bad key otherwise shows only as a generic start-up failure.
fn render_config(file: &str, binary: &str) -> TaskResult<PathBuf> {
    let source = paths::repo_root().join("deploy/rocketmq").join(file);
    let text = fs::read_to_string(&source)
        .or_else(|error| fail(format!("cannot read {}: {error}", source.display())))?;
    let home = home();
    let rendered = home.join("conf").join(file);
    fs::create_dir_all(home.join("conf"))?;
    for dir in ["namesrv", "store", "logs"] {
        fs::create_dir_all(home.join(dir))?;
    }
    fs::write(
        &rendered,
        text.replace(TEMPLATE_PREFIX, &home.to_string_lossy()),
    )?;
    process::output(
        &format!("checking {}", rendered.display()),
        rocketmq_command(binary).arg("-c").arg(&rendered).arg("-p"),
    )?;
    Ok(rendered)
}

fn rocketmq_command(binary: &str) -> Command {
    let mut command = Command::new(bin(binary));
    command
        .env("ROCKETMQ_HOME", home())
        .env("ROCKETMQ_SECURITY_PROFILE", "development-insecure-loopback")
        .env("ROCKETMQ_SHUTDOWN_TIMEOUT_SECONDS", "10")
        .env("RUST_LOG", "info")
        // An empty NAMESRV_ADDR would override the config file's name server address.
        .env_remove("NAMESRV_ADDR");
    command
}

fn start(name: &str, binary: &str, config: &str, ready: impl Fn() -> bool) -> TaskResult {
    if let Some(pid) = process::running_pid(name, binary) {
        println!("{name:<10} already running (pid {pid})");
        return Ok(());
    }
    if ready() {
        return fail(format!(
            "{name}: its port is taken by a process `up` did not start"
        ));
    }
    let rendered = render_config(config, binary)?;
    let pid = process::spawn(name, rocketmq_command(binary).arg("-c").arg(&rendered))?;
    println!("{name:<10} started (pid {pid})");
    let healthy = process::wait_until(Duration::from_secs(60), || {
        ready() || process::running_pid(name, binary).is_none()
    });
    if healthy && process::running_pid(name, binary).is_some() {
        return Ok(());
    }
    fail(format!(
        "{name} did not start; its log ({}) ends with:\n{}",
        process::log_file(name).display(),
        process::log_tail(name, 20)
    ))
}

/// Name server and broker are up and the push topic exists.
pub fn ensure_running(release: bool) -> TaskResult {
    start("namesrv", "rocketmq-namesrv-rust", "namesrv.toml", || {
        probe::tcp(ports::NAMESRV)
    })?;
    start("broker", "rocketmq-broker-rust", "broker.toml", || {
        probe::tcp(ports::BROKER)
    })?;
    create_push_topic(release)
}

/// Creates (or updates) the push topic through `chat-mq-admin`, which speaks the broker's own
/// admin protocol. Idempotent.
fn create_push_topic(release: bool) -> TaskResult {
    let admin = paths::binary("chat-mq-admin", release);
    let out = process::output(
        "creating the push topic",
        Command::new(&admin).args(["create-topic", "--namesrv", ports::NAMESRV]),
    )?;
    println!("rocketmq   {}", out.trim());
    Ok(())
}
