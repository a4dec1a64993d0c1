//! `bench <scenario> [chat-loadgen flags]`: a load-generator scenario against a release stack,
//! with every process of the stack watched, and its report rendered into `docs/benchmarks/`.
//!
//! The load generator does the measuring (it knows when its measured window opens and closes,
//! so CPU time is read exactly then); xtask supplies what only it knows: that the stack is a
//! release build, which pid is which component, and the commit.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::components::{self, Component};
use crate::{Options, TaskResult, fail, paths, process, services, stack, status};

/// Scenarios `chat-loadgen` implements.
pub const SCENARIOS: [&str; 7] = [
    "message", "direct", "group", "sync", "failover", "connect", "files",
];

/// `chat-loadgen`'s exit status when the run finished but the read-back found losses.
const EXIT_LOST_MESSAGES: i32 = 3;

/// Gateways `up` starts when no stack says otherwise.
const DEFAULT_GATEWAYS: u16 = 3;

fn usage() -> String {
    format!(
        "usage: cargo xtask bench <scenario> [chat-loadgen flags]\n\nscenarios: {}\n\
         `cargo xtask bench <scenario> --help` lists the flags.",
        SCENARIOS.join(", ")
    )
}

/// Runs `scenario` with the flags after it passed through to `chat-loadgen`.
pub fn run(args: &[String]) -> TaskResult {
    let Some((scenario, flags)) = args.split_first() else {
        return fail(usage());
    };
    if !SCENARIOS.contains(&scenario.as_str()) {
        return fail(format!("unknown scenario `{scenario}`\n\n{}", usage()));
    }
    if flags.iter().any(|flag| flag == "-h" || flag == "--help") {
        build_loadgen()?;
        return process::run(
            "chat-loadgen --help",
            Command::new(loadgen()).args([scenario, "--help"]),
        );
    }
    if flags
        .iter()
        .any(|flag| flag == "--out" || flag.starts_with("--out="))
    {
        return fail(format!(
            "bench writes docs/benchmarks/{scenario}.json itself; for a report elsewhere run \
             {} {scenario} --out PATH",
            loadgen().display()
        ));
    }
    let (ladder, flags) = split_ladder(flags)?;
    let gateways = ensure_release_stack()?;
    build_loadgen()?;
    let dir = paths::repo_root().join("docs/benchmarks");
    fs::create_dir_all(&dir)?;
    if let Some(rates) = ladder {
        return run_ladder(scenario, &flags, &rates, gateways, &dir);
    }
    let flags = flags.as_slice();
    let outcome = run_scenario(
        scenario,
        flags,
        gateways,
        &dir.join(format!("{scenario}.json")),
    );
    if scenario == "failover" {
        restore(gateways)?;
    }
    let outcome = outcome?;
    process::run(
        "chat-loadgen render",
        Command::new(loadgen()).arg("render").arg("--dir").arg(&dir),
    )?;
    outcome
}

/// Takes `--ladder R1,R2,...` out of the flags: the rates to run the scenario at, one run each.
fn split_ladder(flags: &[String]) -> TaskResult<(Option<Vec<u32>>, Vec<String>)> {
    let mut rest = Vec::with_capacity(flags.len());
    let mut ladder = None;
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        let list = if flag == "--ladder" {
            flags.next().cloned()
        } else if let Some(list) = flag.strip_prefix("--ladder=") {
            Some(list.to_owned())
        } else {
            rest.push(flag.clone());
            continue;
        };
        let Some(list) = list else {
            return fail("--ladder needs a list of rates, e.g. --ladder 500,1000,2000");
        };
        let rates: Result<Vec<u32>, _> = list.split(',').map(|rate| rate.trim().parse()).collect();
        match rates {
            Ok(rates) if !rates.is_empty() && rates.iter().all(|rate| *rate > 0) => {
                ladder = Some(rates)
            }
            _ => {
                return fail(format!(
                    "--ladder `{list}`: rates must be positive integers"
                ));
            }
        }
    }
    if ladder.is_some()
        && rest
            .iter()
            .any(|flag| flag == "--rate" || flag.starts_with("--rate="))
    {
        return fail("--ladder sets the rate of each run; leave out --rate");
    }
    Ok((ladder, rest))
}

/// One open-loop run per rate into `docs/benchmarks/ladder/`, then the ladder page
/// `docs/benchmarks/<scenario>-ladder.md`. Every rate runs even when one loses messages;
/// the task fails at the end if any did.
fn run_ladder(
    scenario: &str,
    flags: &[String],
    rates: &[u32],
    gateways: u16,
    dir: &Path,
) -> TaskResult {
    if ["failover", "connect", "sync", "files"].contains(&scenario) {
        return fail(format!(
            "`{scenario}` has no rate to step; --ladder is for message, direct and group"
        ));
    }
    let runs = dir.join("ladder");
    fs::create_dir_all(&runs)?;
    let mut failed = Vec::new();
    for rate in rates {
        let mut with_rate = flags.to_vec();
        with_rate.extend(["--rate".to_owned(), rate.to_string()]);
        let out = runs.join(format!("{scenario}-{rate}.json"));
        if let Err(error) = run_scenario(scenario, &with_rate, gateways, &out)? {
            println!("bench      {rate}/s: {error}");
            failed.push(rate.to_string());
        }
    }
    let page = dir.join(format!("{scenario}-ladder.md"));
    process::run(
        "chat-loadgen ladder",
        Command::new(loadgen())
            .arg("ladder")
            .arg("--dir")
            .arg(&runs)
            .args(["--scenario", scenario])
            .arg("--out")
            .arg(&page),
    )?;
    if failed.is_empty() {
        Ok(())
    } else {
        fail(format!(
            "lost messages, gaps or reordering at {} msg/s; see {}",
            failed.join(", "),
            page.display()
        ))
    }
}

/// Starts again what `failover` killed (the stack as it was, in release mode).
fn restore(gateways: u16) -> TaskResult {
    println!("\nbench      restarting the gateway the failover scenario killed");
    stack::up(&Options {
        gateways,
        release: true,
        ..Options::default()
    })
}

fn loadgen() -> PathBuf {
    paths::binary("chat-loadgen", true)
}

/// The load generator is one of the workspace's binaries: built by the same command as the
/// release stack, so a no-op after `up --release`. Building the package alone (`-p`) unified
/// the dependencies' features differently, and each of the two builds then rebuilt what the
/// other had built (two rounds of several minutes per bench on 2 cores).
fn build_loadgen() -> TaskResult {
    services::build(true)
}

/// Brings the stack up in release mode, first taking it down when any of our services runs
/// a debug build (`up --release` alone keeps a running debug service whose release binary is
/// older than its start). Builds before stopping anything, so that a build failure leaves the
/// running stack as it was. Returns the number of gateways.
fn ensure_release_stack() -> TaskResult<u16> {
    let gateways = running_gateways();
    services::build(true)?;
    if let Some(name) = debug_service(gateways) {
        println!("bench      {name} runs a debug build: restarting the stack in release mode");
        stack::down()?;
    }
    stack::up(&Options {
        gateways,
        release: true,
        ..Options::default()
    })?;
    Ok(gateways)
}

/// The gateway count of the running stack (from `stack.json`), or the default.
fn running_gateways() -> u16 {
    fs::read_to_string(stack::stack_json_path())
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|stack| Some(stack.get("gateways")?.as_array()?.len() as u16))
        .filter(|count| *count > 0)
        .unwrap_or(DEFAULT_GATEWAYS)
}

/// The first of our running services whose executable is not the release binary.
fn debug_service(gateways: u16) -> Option<String> {
    components::all(gateways)
        .into_iter()
        .filter(|component| component.marker.starts_with("chat-"))
        .find(|component| {
            process::running_pid(&component.name, &component.marker)
                .is_some_and(|pid| !runs(pid, &paths::binary(&component.marker, true)))
        })
        .map(|component| component.name)
}

/// Whether `pid` executes `binary` (also when cargo has since replaced the file).
fn runs(pid: u32, binary: &Path) -> bool {
    fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| {
        let exe = exe.to_string_lossy();
        exe.trim_end_matches(" (deleted)") == binary.to_string_lossy()
    })
}

/// Runs the load generator; `Err` only when it could not run, `Ok(Err)` when it ran and
/// reported lost messages (the report still gets rendered).
fn run_scenario(
    scenario: &str,
    flags: &[String],
    gateways: u16,
    out: &Path,
) -> TaskResult<TaskResult> {
    let mut command = Command::new(loadgen());
    command
        .current_dir(paths::repo_root())
        .arg(scenario)
        .args(flags)
        .arg("--out")
        .arg(out)
        .args(["--stack-profile", "release"])
        // Its gRPC calls (users, friendships) need the cluster's secret.
        .env(
            "CHAT_INTERNAL_SECRET_FILE",
            crate::services::internal_secret_file(),
        );
    let (commit, dirty) = git_state();
    if let Some(commit) = commit {
        command.args(["--commit", &commit]);
    }
    if dirty {
        command.arg("--dirty");
    }
    for spec in watch_specs(gateways) {
        command.args(["--watch", &spec]);
    }
    println!("\n==> chat-loadgen {scenario} {}", flags.join(" "));
    let status = command
        .status()
        .or_else(|error| fail(format!("cannot run {}: {error}", loadgen().display())))?;
    match status.code() {
        Some(0) => Ok(Ok(())),
        Some(EXIT_LOST_MESSAGES) => Ok(fail(format!(
            "the read-back found lost messages, sequence gaps or messages out of order; see {}",
            out.display()
        ))),
        _ => fail(format!("chat-loadgen {scenario} failed ({status})")),
    }
}

/// `NAME=PID[,PID...]` for every running component, children included (OpenResty's work is
/// done by the workers under the master `up` records).
fn watch_specs(gateways: u16) -> Vec<String> {
    components::all(gateways)
        .iter()
        .filter_map(|component| {
            let pid = component_pid(component)?;
            let pids: Vec<String> = std::iter::once(pid)
                .chain(process::children(pid))
                .map(|pid| pid.to_string())
                .collect();
            Some(format!("{}={}", component.name, pids.join(",")))
        })
        .collect()
}

/// The pid `up` recorded, or for what `up` did not start (MariaDB, Redis) the process of
/// that name.
fn component_pid(component: &Component) -> Option<u32> {
    process::running_pid(&component.name, &component.marker)
        .or_else(|| status::find_pid(&component.marker))
}

/// `git rev-parse HEAD` and whether the checkout has uncommitted changes.
fn git_state() -> (Option<String>, bool) {
    let git = |args: &[&str]| {
        process::output(
            "git",
            Command::new("git")
                .current_dir(paths::repo_root())
                .args(args),
        )
        .ok()
    };
    let commit = git(&["rev-parse", "HEAD"]).map(|out| out.trim().to_owned());
    let dirty = git(&["status", "--porcelain"]).is_some_and(|out| !out.trim().is_empty());
    (commit, dirty)
}
