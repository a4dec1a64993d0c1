//! `fuzz`: the cargo-fuzz targets of `fuzz/` (`docs/fuzzing.md`), built once and each run for a
//! bounded time; the task fails naming the input that crashed a target.
//!
//! cargo-fuzz needs nightly-only compiler flags (sanitizer, coverage instrumentation); stable
//! rustc takes them with `RUSTC_BOOTSTRAP=1`, so no nightly toolchain is needed. Fuzz builds
//! have a target directory of their own (`~/.cache/chat-cluster/fuzz-target`: their flags
//! differ from the workspace's, and sharing would rebuild both), and each target's corpus grows
//! in `~/.cache/chat-cluster/fuzz-corpus/<target>`, seeded from `fuzz/corpus/<target>`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{TaskResult, fail, paths, process, tools};

/// Every target in `fuzz/fuzz_targets/`.
pub const TARGETS: &[&str] = &[
    "client_frame",
    "content",
    "ws_frames",
    "seed_requests",
    "seed_fields",
];

/// The cargo-fuzz built into the cache when none is installed.
const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// Seconds per target by default.
const DEFAULT_SECONDS: u64 = 60;
/// Seconds per target in `cargo xtask test`.
pub const TEST_SECONDS: u64 = 10;
/// How long a run may take beyond its fuzzing time (loading the corpus, the final merge)
/// before it is stopped as hung.
const GRACE: Duration = Duration::from_secs(120);

/// `cargo xtask fuzz [--seconds N] [TARGET...]`.
pub fn run(args: &[String]) -> TaskResult {
    let mut seconds = DEFAULT_SECONDS;
    let mut names: Vec<&str> = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = rest.next().map(String::as_str).unwrap_or("");
                seconds = match value.parse() {
                    Ok(n) if (1..=86_400).contains(&n) => n,
                    _ => return fail(format!("--seconds takes 1 to 86400, not `{value}`")),
                };
            }
            name if TARGETS.contains(&name) => names.push(name),
            other => {
                return fail(format!(
                    "unknown fuzz target or option `{other}` (targets: {})",
                    TARGETS.join(", ")
                ));
            }
        }
    }
    if names.is_empty() {
        names = TARGETS.to_vec();
    }
    targets(seconds, &names)
}

/// Builds every target, then runs each of `names` for `seconds`; fails naming each crash.
pub fn targets(seconds: u64, names: &[&str]) -> TaskResult {
    let cargo_fuzz = tools::cargo_tool("cargo-fuzz", Some(CARGO_FUZZ_VERSION), "1-2 minutes")?;
    let started = Instant::now();
    process::run("cargo fuzz build", &mut fuzz_command(&cargo_fuzz, "build"))?;
    println!(
        "fuzz targets built in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let mut failures = Vec::new();
    for name in names {
        if let Err(failure) = run_target(&cargo_fuzz, name, seconds) {
            println!("{name}: FAILED");
            failures.push(failure.to_string());
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    fail(format!("fuzzing found:\n  {}", failures.join("\n  ")))
}

/// Where fuzz builds go.
fn target_dir() -> PathBuf {
    paths::cache_dir().join("fuzz-target")
}

/// `cargo fuzz <subcommand>` on `fuzz/`, with the same build flags every time (so that `run`
/// reuses what `build` built): release with debug assertions (overflow checks too) and
/// AddressSanitizer (fastwebsockets has unsafe code).
fn fuzz_command(cargo_fuzz: &Path, subcommand: &str) -> Command {
    let mut command = Command::new(cargo_fuzz);
    command
        .current_dir(paths::repo_root())
        .env("CARGO", paths::cargo())
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "fuzz",
            subcommand,
            "--fuzz-dir",
            "fuzz",
            "--debug-assertions",
        ])
        .arg("--target-dir")
        .arg(target_dir());
    command
}

/// One target for `seconds`; its output goes to a log, of which the result is printed.
fn run_target(cargo_fuzz: &Path, name: &str, seconds: u64) -> TaskResult {
    let root = paths::repo_root();
    let corpus = paths::cache_dir().join("fuzz-corpus").join(name);
    let artifacts = root.join("fuzz/artifacts").join(name);
    let logs = target_dir().join("logs");
    fs::create_dir_all(&corpus)?;
    fs::create_dir_all(&artifacts)?;
    fs::create_dir_all(&logs)?;
    let log = logs.join(format!("{name}.log"));
    let before = entries(&artifacts);
    let mut command = fuzz_command(cargo_fuzz, "run");
    command
        .arg(name)
        .arg(&corpus)
        .arg(root.join("fuzz/corpus").join(name))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        // An input that takes this long is reported as a hang (a `timeout-` artifact).
        .arg("-timeout=10");
    let file = fs::File::create(&log)?;
    command.stdout(file.try_clone()?).stderr(file);
    let what = format!("fuzz target {name}");
    let status = process::status_within(&what, &mut command, Some(GRACE + secs(seconds)));
    let text = fs::read_to_string(&log).unwrap_or_default();
    match status {
        Ok(status) if status.success() => {
            let done = text
                .lines()
                .rev()
                .find(|line| line.starts_with("Done "))
                .unwrap_or("done");
            println!("{name}: {done}, corpus {} inputs", entries(&corpus).len());
            Ok(())
        }
        outcome => {
            let found: Vec<PathBuf> = entries(&artifacts)
                .into_iter()
                .filter(|path| !before.contains(path))
                .collect();
            let why: Vec<&str> = text
                .lines()
                .filter(|line| {
                    line.contains("panicked at")
                        || line.contains("assertion")
                        || line.contains("ERROR: ")
                })
                .take(6)
                .collect();
            println!("{}", why.join("\n"));
            let found = match found.first() {
                Some(path) => format!(
                    "{} (reproduce: cargo fuzz run {name} {}, with RUSTC_BOOTSTRAP=1)",
                    path.display(),
                    path.display()
                ),
                None => match outcome {
                    Err(error) => error.to_string(),
                    Ok(status) => format!("no input saved ({status})"),
                },
            };
            fail(format!("{name}: {found}; log {}", log.display()))
        }
    }
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

/// The files in `dir`, sorted.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .map(|read| read.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}
