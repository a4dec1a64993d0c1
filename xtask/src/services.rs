//! The workspace's own services: built once, started detached, waited on through their gRPC
//! health checks, and restarted only when their binary changed.

use std::process::Command;
use std::time::Duration;

use crate::components::{Component, ports};
use crate::{TaskResult, fail, paths, process, secrets, web};

/// How long a service may take to report SERVING after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds every binary and test of the workspace in one cargo invocation (the same one `test`
/// uses, so nothing is built twice).
pub fn build(release: bool) -> TaskResult {
    let mut cargo = Command::new(paths::cargo());
    cargo
        .current_dir(paths::repo_root())
        .args(["build", "--workspace"]);
    if release {
        cargo.args(["--release", "--bins"]);
    } else {
        cargo.arg("--all-targets");
    }
    println!(
        "build      cargo {}",
        if release { "build --release" } else { "build" }
    );
    process::run("cargo build", &mut cargo)
}

fn binary_name(component: &Component) -> &str {
    &component.marker
}

/// The local stack's rate limits. Every client of it comes from 127.0.0.1 (through OpenResty),
/// so per-address limits would count all of them together, and the tests and benchmarks drive
/// single users far faster than a person does: each limit is raised here, but still checked
/// (the benchmarks pay for the check). The defaults are listed by `chat-gateway --help`; the
/// limits themselves are tested on private gateways with their defaults or lower.
pub const LOCAL_RATE_LIMITS: &str = "login.addr=100000/s,register.addr=100000/s,\
    send.user=100000/s,send.addr=100000/s,typing.user=100000/s,typing.addr=100000/s,\
    search.user=100000/s,search.addr=100000/s,join.user=100000/s,join.addr=100000/s,\
    upload.user=100000/s,upload.addr=100000/s";

/// The command line that starts `component` (a service or gateway of this workspace).
fn command(component: &Component, release: bool) -> Command {
    let mut command = Command::new(paths::binary(binary_name(component), release));
    command.args(["--log-format", "json"]);
    command
        .arg("--internal-secret-file")
        .arg(internal_secret_file());
    if matches!(component.name.as_str(), "router" | "account" | "message")
        || component.name.starts_with("gateway-")
    {
        command.args(["--redis-url", ports::REDIS_URL]);
    }
    if component.name == "message" {
        // Its sweeper deletes from the gateways' storage.
        command.arg("--files-dir").arg(files_dir());
    }
    if let Some(index) = component
        .name
        .strip_prefix("gateway-")
        .and_then(|i| i.parse().ok())
    {
        command
            .args(["--http-addr", &ports::nth(ports::GATEWAY_HTTP_BASE, index)])
            .args(["--grpc-addr", &ports::nth(ports::GATEWAY_GRPC_BASE, index)])
            .args([
                "--metrics-addr",
                &ports::nth(ports::GATEWAY_METRICS_BASE, index),
            ])
            .arg("--web-dir")
            .arg(web::dist())
            .arg("--files-dir")
            .arg(files_dir())
            .arg("--file-url-key-file")
            .arg(file_url_key_file())
            .args(["--rate-limit", LOCAL_RATE_LIMITS]);
    }
    command
}

/// Where the gateways store uploads (and the message service sweeps).
fn files_dir() -> std::path::PathBuf {
    paths::run_dir().join("files")
}

/// The key every gateway signs download addresses with (made by [`ensure_secrets`]).
pub fn file_url_key_file() -> std::path::PathBuf {
    paths::run_dir().join("file-url-key")
}

/// The secret every internal gRPC call carries (made by [`ensure_secrets`]).
pub fn internal_secret_file() -> std::path::PathBuf {
    paths::run_dir().join("internal-secret")
}

/// Creates the secrets the services read before any of them starts.
pub fn ensure_secrets() -> TaskResult {
    secrets::ensure(&file_url_key_file(), 32)?;
    secrets::ensure(&internal_secret_file(), 32).map(drop)
}

/// Starts `component` unless it already runs from an up-to-date binary, then waits for SERVING.
pub fn ensure(component: &Component, release: bool) -> TaskResult {
    let name = &component.name;
    let binary = paths::binary(binary_name(component), release);
    if let Some(pid) = process::running_pid(name, &component.marker) {
        let rebuilt = process::flags_differ(pid, &command(component, release))
            || match (
                process::modified(&binary),
                process::modified(&process::pid_file(name)),
            ) {
                (Some(built), Some(started)) => built > started,
                _ => false,
            };
        if !rebuilt {
            println!("{name:<10} already running (pid {pid})");
            return wait_healthy(component, release);
        }
        println!("{name:<10} binary or flags changed: restarting (pid {pid})");
        process::stop(pid, &component.marker, Duration::from_secs(10));
    }
    // A stray process on the port (one whose pid file a racing `up` overwrote) would answer the
    // health check for ours, which then dies on the taken port unnoticed.
    if crate::probe::tcp(&component.address) {
        return fail(format!(
            "{name}: {} is taken by a process `up` did not start (see `ss -ltnp`); stop it first",
            component.address
        ));
    }
    if !binary.exists() {
        return fail(format!(
            "{} is missing: the build did not produce it",
            binary.display()
        ));
    }
    let pid = process::spawn(name, &mut command(component, release))?;
    println!(
        "{name:<10} started (pid {pid}), waiting for SERVING on {}",
        component.address
    );
    wait_healthy(component, release)
}

fn wait_healthy(component: &Component, release: bool) -> TaskResult {
    let name = &component.name;
    let mut exited = false;
    let healthy = process::wait_until(START_TIMEOUT, || {
        exited = process::running_pid(name, &component.marker).is_none();
        exited || component.health.check(release)
    });
    if healthy && !exited {
        return Ok(());
    }
    let what = if exited {
        "exited".to_owned()
    } else {
        format!("is not healthy after {START_TIMEOUT:?}")
    };
    fail(format!(
        "{name} {what}; its log ({}) ends with:\n{}",
        process::log_file(name).display(),
        process::log_tail(name, 20)
    ))
}
