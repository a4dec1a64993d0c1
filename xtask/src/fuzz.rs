//! `fuzz`: the cargo-fuzz targets of `fuzz/` (`docs/fuzzing.md`), built once and each run for a
//! bounded time; the task fails naming the input that crashed a target.
//!
//! cargo-fuzz needs nightly-only compiler flags (sanitizer, coverage instrumentation); stable
//! rustc takes them with `RUSTC_BOOTSTRAP=1`, so no nightly toolchain is needed. Fuzz builds
//! have a target directory of their own (`~/.cache/chat-cluster/fuzz-target`: their flags
//! differ from the workspace's, and sharing would rebuild both), and each target's corpus grows
//! in `~/.cache/chat-cluster/fuzz-corpus/<target>`, seeded from `fuzz/corpus/<target>`.
//!
//! `--rest` runs schemathesis (pinned, in a venv of its own in the cache) against the running
//! stack's REST API from its OpenAPI document instead: every operation, signed in as a new
//! user, checking that no answer is a 5xx and that every answer matches the document.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::components::ports;
use crate::{TaskResult, fail, paths, probe, process, tools};

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
/// The schemathesis installed into the cache's venv.
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Examples schemathesis generates per operation and phase by default.
const REST_EXAMPLES: u32 = 20;
/// Examples per operation and phase in `cargo xtask test`.
pub const TEST_EXAMPLES: u32 = 10;
/// The most one schemathesis run may take.
const REST_BOUND: Duration = Duration::from_secs(600);
/// How long a run may take beyond its fuzzing time (loading the corpus, the final merge)
/// before it is stopped as hung.
const GRACE: Duration = Duration::from_secs(120);

/// `cargo xtask fuzz [--seconds N] [TARGET...]`.
pub fn run(args: &[String]) -> TaskResult {
    let mut seconds = DEFAULT_SECONDS;
    let mut names: Vec<&str> = Vec::new();
    let mut api = false;
    let mut examples = REST_EXAMPLES;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--rest" => api = true,
            "--examples" => {
                let value = rest.next().map(String::as_str).unwrap_or("");
                examples = match value.parse() {
                    Ok(n) if (1..=10_000).contains(&n) => n,
                    _ => return fail(format!("--examples takes 1 to 10000, not `{value}`")),
                };
            }
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
    if api {
        return rest_api(examples);
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

/// schemathesis, installed into a venv of its own in the cache when missing (or another
/// version).
fn schemathesis() -> TaskResult<PathBuf> {
    let venv = paths::cache_dir().join("tools/schemathesis");
    let binary = venv.join("bin/schemathesis");
    let pinned = venv.join("pinned-version");
    if binary.exists()
        && fs::read_to_string(&pinned).is_ok_and(|version| version.trim() == SCHEMATHESIS_VERSION)
    {
        return Ok(binary);
    }
    println!(
        "installing schemathesis {SCHEMATHESIS_VERSION} into {} (about a minute)",
        venv.display()
    );
    process::run(
        "python3 -m venv",
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
    )?;
    process::run(
        "pip install schemathesis",
        Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        ]),
    )?;
    fs::write(&pinned, SCHEMATHESIS_VERSION)?;
    Ok(binary)
}

/// Every REST operation of the running stack, from the OpenAPI document its gateways serve,
/// through OpenResty: `examples` generated requests per operation and phase, signed in as a new
/// user; fails on any 5xx or any answer the document does not describe.
pub fn rest_api(examples: u32) -> TaskResult {
    let schemathesis = schemathesis()?;
    let document = "/api/v1/openapi.json";
    if !probe::http_ok(ports::PUBLIC, document) {
        return fail(format!(
            "no OpenAPI document at http://{}{document}: start the stack (cargo xtask up)",
            ports::PUBLIC
        ));
    }
    let token = sign_up()?;
    let base = format!("http://{}/api/v1", ports::PUBLIC);
    let reports = paths::cache_dir().join("fuzz-rest");
    std::fs::create_dir_all(&reports)?;
    let run = |what: &str, paths: &[&str]| -> TaskResult {
        let mut command = Command::new(&schemathesis);
        command
            // schemathesis keeps a `.schemathesis/` cache in its working directory: not the
            // checkout.
            .current_dir(&reports)
            .arg("run")
            .arg(format!("{base}/openapi.json"))
            .args(["--url", &base])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "not_a_server_error,response_schema_conformance"])
            .args(["--max-examples", &examples.to_string()])
            .args(["--request-timeout", "10", "--no-color"])
            .args(["--report", "junit", "--report-dir"])
            .arg(&reports)
            .args(paths);
        let status = process::status_within(what, &mut command, Some(REST_BOUND))?;
        if !status.success() {
            return fail(format!(
                "{what} found failures ({status}): see its output above; JUnit reports in {}",
                reports.display()
            ));
        }
        Ok(())
    };
    run(
        "schemathesis (every operation but logout)",
        &["--exclude-path", "/auth/logout"],
    )?;
    // Last: it ends the session the runs are signed in with.
    run("schemathesis (logout)", &["--include-path", "/auth/logout"])
}

/// Registers a new user and signs it in; its token.
fn sign_up() -> TaskResult<String> {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let username = format!("fuzz-{since_epoch}-{}", std::process::id());
    let body = serde_json::json!({"username": username, "password": "fuzz the REST API"});
    let call = |path: &str| {
        let answer = probe::post_json(ports::PUBLIC, path, &body.to_string());
        match answer {
            Some((status, body)) if (200..300).contains(&status) => Ok(body),
            Some((status, body)) => fail(format!("POST {path} answered {status}: {body}")),
            None => fail(format!("POST {path}: no answer from {}", ports::PUBLIC)),
        }
    };
    call("/api/v1/auth/register")?;
    let login: serde_json::Value = serde_json::from_str(&call("/api/v1/auth/login")?)
        .map_err(|error| crate::TaskError(format!("the login answer is not JSON: {error}")))?;
    match login["token"].as_str() {
        Some(token) => Ok(token.to_owned()),
        None => fail(format!("the login answer has no token: {login}")),
    }
}
