//! `up` and `down`: the whole local stack in dependency order, and its description in
//! `stack.json` for the integration tests.

use std::fs;
use std::time::Duration;

use serde_json::json;

use crate::components::{self, Component, ports};
use crate::{
    Options, TaskResult, infra, nginx, paths, process, rocketmq, s3, services, status, web,
};

/// Holds the run directory for one `up` or `down` at a time (until dropped). Two at once (a
/// test's clean-up beside a developer's `up`) would both find a service missing, both start it,
/// and record the one that then died on the taken port.
fn exclusive() -> TaskResult<fs::File> {
    let file = fs::File::create(paths::run_dir().join("xtask.lock"))?;
    if file.try_lock().is_err() {
        println!("waiting for another `cargo xtask up` or `down` to finish");
        file.lock()?;
    }
    Ok(file)
}

/// The most gateways `down` looks for (the `--gateways` limit).
const MAX_GATEWAYS: u16 = 16;

/// Brings every component up (skipping what already runs) and waits until all are healthy.
pub fn up(options: &Options) -> TaskResult {
    fs::create_dir_all(paths::run_dir())?;
    let _lock = exclusive()?;
    let components = components::all(options.gateways);
    infra::ensure_mariadb()?;
    infra::ensure_redis()?;
    rocketmq::ensure_installed()?;
    s3::ensure_installed()?;
    services::build(options.release)?;
    web::ensure_built()?;
    rocketmq::ensure_running(options.release)?;
    s3::ensure_running()?;
    nginx::ensure(options.gateways)?;
    services::ensure_secrets()?;
    for component in components.iter().filter(|c| is_workspace_service(c)) {
        services::ensure(component, options.release)?;
    }
    write_stack_json(options)?;
    println!();
    status::print_table(&status::collect(&components, options.release));
    println!(
        "\nstack is up: {} (logs in {})",
        ports::PUBLIC,
        paths::run_dir().join("logs").display()
    );
    Ok(())
}

fn is_workspace_service(component: &Component) -> bool {
    component.marker.starts_with("chat-")
}

/// Stops every process `up` started, newest layer first, by the pids it recorded.
pub fn down() -> TaskResult {
    fs::create_dir_all(paths::run_dir())?;
    let _lock = exclusive()?;
    let mut stopped = 0;
    for component in components::all(MAX_GATEWAYS).iter().rev() {
        let Some(pid) = process::recorded_pid(&component.name) else {
            continue;
        };
        if process::stop(pid, &component.marker, Duration::from_secs(12)) {
            println!("{:<10} stopped (pid {pid})", component.name);
            stopped += 1;
        }
        process::forget(&component.name);
    }
    let _ = fs::remove_file(stack_json_path());
    println!("{stopped} processes stopped");
    Ok(())
}

/// Where the integration tests find the stack's addresses.
pub fn stack_json_path() -> std::path::PathBuf {
    paths::run_dir().join("stack.json")
}

fn write_stack_json(options: &Options) -> TaskResult {
    let gateways: Vec<_> = (0..options.gateways)
        .map(|index| {
            json!({
                "name": format!("gateway-{index}"),
                "http": ports::nth(ports::GATEWAY_HTTP_BASE, index),
                "grpc": ports::nth(ports::GATEWAY_GRPC_BASE, index),
                "metrics": ports::nth(ports::GATEWAY_METRICS_BASE, index),
            })
        })
        .collect();
    let stack = json!({
        "public_url": format!("http://{}", ports::PUBLIC),
        // The services' default `--cluster` (key prefixes, push topic, consumer groups).
        "cluster": "chat",
        "mysql_url": format!("mysql://root@{}", ports::MARIADB),
        "redis_url": ports::REDIS_URL,
        "rocketmq": { "namesrv": ports::NAMESRV, "broker": ports::BROKER, "push_topic": rocketmq::PUSH_TOPIC },
        // The secret itself stays in its 0600 file; tests read it from there.
        "s3": {
            "endpoint": format!("http://{}", ports::S3),
            "bucket": s3::BUCKET,
            "access_key": s3::ACCESS_KEY,
            "secret_key_file": s3::secret_key_file(),
        },
        "router": { "grpc": ports::ROUTER_GRPC, "http": ports::ROUTER_HTTP, "metrics": ports::ROUTER_METRICS },
        "account": { "grpc": ports::ACCOUNT_GRPC, "metrics": ports::ACCOUNT_METRICS },
        "message": { "grpc": ports::MESSAGE_GRPC, "metrics": ports::MESSAGE_METRICS },
        "gateways": gateways,
        // Services the tests start, and their own gRPC clients, carry this secret.
        "internal_secret_file": services::internal_secret_file(),
        // The gateways' `--rate-limit`: private test gateways start with the same.
        "gateway_rate_limits": services::LOCAL_RATE_LIMITS,
        "run_dir": paths::run_dir(),
        "bin_dir": paths::binary("", options.release),
        "release": options.release,
    });
    let text = serde_json::to_string_pretty(&stack).unwrap_or_default();
    fs::write(stack_json_path(), text + "\n")?;
    Ok(())
}
