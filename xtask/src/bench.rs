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
         `cargo xtask bench <scenario> --help` lists the flags.\n\
         `--ladder R1,R2,...` runs message, direct or group once per rate;\n\
         `cargo xtask bench failover --faults gateway,router,...` once per fault.",
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
    let (series, flags) = split_series(scenario, flags)?;
    let gateways = ensure_release_stack()?;
    build_loadgen()?;
    let dir = paths::repo_root().join("docs/benchmarks");
    fs::create_dir_all(&dir)?;
    if let Some(series) = series {
        return run_series(scenario, &flags, &series, gateways, &dir);
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

/// Runs of one scenario that differ in one flag, each a row of one page: a rate ladder
/// (`--ladder R1,R2,...`: one `--rate` each) or the failover faults (`--faults F1,F2,...`:
/// one `--fault` each).
struct Series {
    /// The flag each run gets (`--rate`, `--fault`).
    flag: &'static str,
    /// Its value per run.
    values: Vec<String>,
    /// Where the runs' reports go, under `docs/benchmarks/`.
    runs_dir: &'static str,
    /// The page, under `docs/benchmarks/`.
    page: String,
}

/// Takes `--ladder R1,R2,...` (or for `failover`, `--faults F1,F2,...`) out of the flags.
fn split_series(scenario: &str, flags: &[String]) -> TaskResult<(Option<Series>, Vec<String>)> {
    let (ladder, rest) = take_list(flags, "--ladder")?;
    let (faults, rest) = take_list(&rest, "--faults")?;
    let series = match (ladder, faults) {
        (Some(_), Some(_)) => return fail("--ladder and --faults do not go together"),
        (Some(rates), None) => {
            if ["failover", "connect", "sync", "files"].contains(&scenario) {
                return fail(format!(
                    "`{scenario}` has no rate to step; --ladder is for message, direct and group"
                ));
            }
            if !rates
                .iter()
                .all(|rate| rate.parse::<u32>().is_ok_and(|rate| rate > 0))
            {
                return fail(format!(
                    "--ladder `{}`: rates must be positive integers",
                    rates.join(",")
                ));
            }
            Some(Series {
                flag: "--rate",
                values: rates,
                runs_dir: "ladder",
                page: format!("{scenario}-ladder.md"),
            })
        }
        (None, Some(faults)) => {
            if scenario != "failover" {
                return fail("--faults is for the failover scenario");
            }
            Some(Series {
                flag: "--fault",
                values: faults,
                runs_dir: "faults",
                page: "failover-faults.md".to_owned(),
            })
        }
        (None, None) => None,
    };
    if let Some(series) = &series {
        let own =
            |flag: &String| flag == series.flag || flag.starts_with(&format!("{}=", series.flag));
        if rest.iter().any(own) {
            return fail(format!(
                "the list sets {} of each run; leave out {}",
                series.flag, series.flag
            ));
        }
    }
    Ok((series, rest))
}

/// Takes `NAME a,b,c` (or `NAME=a,b,c`) out of `flags`: the list, and the other flags.
fn take_list(flags: &[String], name: &str) -> TaskResult<(Option<Vec<String>>, Vec<String>)> {
    let mut rest = Vec::with_capacity(flags.len());
    let mut list = None;
    let mut flags = flags.iter();
    let prefix = format!("{name}=");
    while let Some(flag) = flags.next() {
        let value = if flag == name {
            flags.next().cloned()
        } else if let Some(value) = flag.strip_prefix(&prefix) {
            Some(value.to_owned())
        } else {
            rest.push(flag.clone());
            continue;
        };
        let values: Vec<String> = value
            .unwrap_or_default()
            .split(',')
            .map(|item| item.trim().to_owned())
            .filter(|item| !item.is_empty())
            .collect();
        if values.is_empty() {
            return fail(format!("{name} needs a list, e.g. {name} a,b,c"));
        }
        list = Some(values);
    }
    Ok((list, rest))
}

/// One run per value of the series into `docs/benchmarks/<runs_dir>/`, then its page.
/// Every run happens even when one loses messages; the task fails at the end if any did.
/// After a failover run the stack is restored before the next.
fn run_series(
    scenario: &str,
    flags: &[String],
    series: &Series,
    gateways: u16,
    dir: &Path,
) -> TaskResult {
    let runs = dir.join(series.runs_dir);
    fs::create_dir_all(&runs)?;
    let mut failed = Vec::new();
    for value in &series.values {
        let mut one = flags.to_vec();
        one.extend([series.flag.to_owned(), value.clone()]);
        let out = runs.join(format!("{scenario}-{value}.json"));
        let outcome = run_scenario(scenario, &one, gateways, &out);
        if scenario == "failover" {
            restore(gateways)?;
        }
        if let Err(error) = outcome? {
            println!("bench      {} {value}: {error}", series.flag);
            failed.push(value.clone());
        }
    }
    let page = dir.join(&series.page);
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
            "lost messages, gaps or reordering with {} {}; see {}",
            series.flag,
            failed.join(", "),
            page.display()
        ))
    }
}

/// Starts again whatever `failover` left down (the stack as it was, in release mode).
fn restore(gateways: u16) -> TaskResult {
    println!("\nbench      making sure everything the failover scenario hit runs again");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(flags: &[&str]) -> Vec<String> {
        flags.iter().map(|flag| (*flag).to_owned()).collect()
    }

    #[test]
    fn a_ladder_steps_the_rate_and_faults_step_the_fault() {
        let flags = strings(&["--duration", "20s", "--ladder", "500, 2000"]);
        let (series, rest) = split_series("direct", &flags).unwrap();
        let series = series.unwrap();
        assert_eq!(
            (series.flag, series.values),
            ("--rate", strings(&["500", "2000"]))
        );
        assert_eq!(rest, strings(&["--duration", "20s"]));
        let flags = strings(&["--faults=broker,redis-flush"]);
        let (series, rest) = split_series("failover", &flags).unwrap();
        let series = series.unwrap();
        assert_eq!(series.flag, "--fault");
        assert_eq!(series.page, "failover-faults.md");
        assert_eq!(series.values, strings(&["broker", "redis-flush"]));
        assert!(rest.is_empty());
        assert!(
            split_series("direct", &strings(&["--duration", "5s"]))
                .unwrap()
                .0
                .is_none()
        );
    }

    #[test]
    fn lists_that_cannot_run_are_refused() {
        let refused =
            |scenario: &str, flags: &[&str]| split_series(scenario, &strings(flags)).is_err();
        assert!(refused("failover", &["--ladder", "500"]));
        assert!(refused("direct", &["--faults", "broker"]));
        assert!(refused("direct", &["--ladder", "500,x"]));
        assert!(refused("direct", &["--ladder", "500", "--rate", "100"]));
        assert!(refused(
            "failover",
            &["--faults", "broker", "--fault=router"]
        ));
        assert!(refused("direct", &["--ladder"]));
    }
}
