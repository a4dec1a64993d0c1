//! The S3-compatible object store (`s3s-fs` from crates.io): built once into a cache outside
//! the checkout, started on loopback over a directory of the run directory, one bucket per
//! subdirectory. The files of issue 16 live there; its backend's integration tests talk to it.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::components::ports;
use crate::{TaskResult, fail, paths, probe, process, secrets};

/// The pinned version of `s3s-fs`.
pub const VERSION: &str = "0.12.0";
/// The bucket the services store files in (a directory under [`data_root`]).
pub const BUCKET: &str = "chat-files";
/// The access key; only the secret key is a secret.
pub const ACCESS_KEY: &str = "chat-local";
/// Component name: pid file, log file, status row.
const NAME: &str = "s3";
/// Also the command-line marker that recognises our process.
const BINARY: &str = "s3s-fs";

fn install_root() -> PathBuf {
    paths::cache_dir().join("s3s")
}

fn bin() -> PathBuf {
    install_root().join("bin").join(BINARY)
}

fn stamp() -> PathBuf {
    install_root().join(format!("installed-{VERSION}"))
}

/// The server's root: every subdirectory is a bucket (files beside them are not listed).
pub fn data_root() -> PathBuf {
    paths::run_dir().join("s3")
}

/// The file holding the secret key (32 hex characters, mode 0600), named in `stack.json`.
pub fn secret_key_file() -> PathBuf {
    data_root().join("credentials")
}

/// Builds `s3s-fs` unless this exact version is already in the cache.
pub fn ensure_installed() -> TaskResult {
    if stamp().exists() && bin().exists() {
        println!(
            "s3         s3s-fs {VERSION} already built in {}",
            install_root().display()
        );
        return Ok(());
    }
    println!(
        "s3         building s3s-fs {VERSION} into {} (once per machine; about 3-4 minutes on 2 cores)",
        install_root().display()
    );
    process::run(
        "cargo install s3s-fs",
        Command::new(paths::cargo())
            .args(["install", "--locked", "--features", "binary", "--root"])
            .arg(install_root())
            .arg(format!("s3s-fs@{VERSION}"))
            // Its own target dir in the cache: a later run reuses it, the checkout stays clean.
            .env("CARGO_TARGET_DIR", paths::cache_dir().join("s3s-target")),
    )?;
    fs::write(stamp(), format!("s3s-fs {VERSION} --features binary\n"))?;
    Ok(())
}

/// The secret key (16 random bytes in hex), kept in the run directory.
fn secret_key() -> TaskResult<String> {
    secrets::ensure(&secret_key_file(), 16)
}

/// The command line of the server. s3s-fs takes its secret only as a flag, so it shows in
/// `/proc/<pid>/cmdline` to local users: acceptable for a loopback development store.
fn command(secret: &str) -> Command {
    let (host, port) = ports::S3.rsplit_once(':').unwrap_or((ports::S3, ""));
    let mut command = Command::new(bin());
    command
        .args(["--host", host, "--port", port])
        .args(["--access-key", ACCESS_KEY, "--secret-key", secret])
        .arg(data_root())
        // Without RUST_LOG it logs errors only; info adds its start line and request spans.
        .env("RUST_LOG", "info");
    command
}

/// The same check as its status row: it accepts TCP and answers `GET /` with any HTTP status.
/// Unsigned, the request is refused (403) and s3s logs the refusal as an ERROR; signing it
/// would need HMAC-SHA256 in xtask, which keeps to std and serde_json (ADR 0002).
fn healthy() -> bool {
    probe::http_answers(ports::S3, "/")
}

/// The server runs with the current secret and the bucket exists.
pub fn ensure_running() -> TaskResult {
    fs::create_dir_all(data_root().join(BUCKET))?;
    let secret = secret_key()?;
    let mut wanted = command(&secret);
    if let Some(pid) = process::running_pid(NAME, BINARY) {
        // A deleted credentials file means a new secret: the old process must go.
        if !process::flags_differ(pid, &wanted) {
            println!("{NAME:<10} already running (pid {pid})");
            return wait_healthy();
        }
        println!("{NAME:<10} flags or secret changed: restarting (pid {pid})");
        process::stop(pid, BINARY, Duration::from_secs(10));
    } else if probe::tcp(ports::S3) {
        return fail(format!(
            "{NAME}: {} is taken by a process `up` did not start",
            ports::S3
        ));
    }
    let pid = process::spawn(NAME, &mut wanted)?;
    println!("{NAME:<10} started (pid {pid}) on {}", ports::S3);
    wait_healthy()
}

fn wait_healthy() -> TaskResult {
    let healthy = process::wait_until(Duration::from_secs(30), || {
        healthy() || process::running_pid(NAME, BINARY).is_none()
    });
    if healthy && process::running_pid(NAME, BINARY).is_some() {
        return Ok(());
    }
    fail(format!(
        "{NAME} did not start; its log ({}) ends with:\n{}",
        process::log_file(NAME).display(),
        process::log_tail(NAME, 20)
    ))
}
