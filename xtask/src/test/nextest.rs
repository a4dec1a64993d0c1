//! cargo-nextest: found on the PATH (every machine of ours has it), else built once from
//! crates.io into the cache like RocketMQ; runs one profile of `.config/nextest.toml` and reads
//! the JUnit report it leaves.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use super::junit::{self, TestCase};
use crate::{TaskResult, fail, paths, process, tools};

/// The nextest binary, installing it into `~/.cache/chat-cluster/tools` when there is none.
pub fn binary() -> TaskResult<PathBuf> {
    tools::cargo_tool("cargo-nextest", None, "5-10 minutes")
}

/// Where nextest writes a profile's JUnit report: its store, `target/nextest` under the
/// workspace root, which stays there when CARGO_TARGET_DIR moves cargo's own output elsewhere
/// (as CI does).
fn report_path(profile: &str) -> PathBuf {
    paths::repo_root()
        .join("target/nextest")
        .join(profile)
        .join("junit.xml")
}

/// What a run left: its exit status and the tests of its JUnit report.
pub struct Run {
    pub status: ExitStatus,
    pub cases: Vec<TestCase>,
}

/// `cargo nextest run --workspace --profile <profile> <args>`, output on the terminal (or in
/// `capture`), bounded by the task's deadline.
pub fn run(profile: &str, args: &[&str], capture: Option<&PathBuf>) -> TaskResult<Run> {
    let report = report_path(profile);
    // A report left by an earlier run must not be read as this one's.
    let _ = fs::remove_file(&report);
    let mut command = Command::new(binary()?);
    command
        .current_dir(paths::repo_root())
        .env("CARGO", paths::cargo())
        .args(["nextest", "run", "--workspace", "--profile", profile])
        .args(args);
    if let Some(path) = capture {
        let file = fs::File::create(path)?;
        command.stdout(file.try_clone()?).stderr(file);
    } else {
        command.stdin(Stdio::null());
    }
    println!(
        "nextest run --profile {profile} {}",
        args.join(" ").replace('\n', " ")
    );
    let status = process::status_within_deadline("cargo nextest run", &mut command)?;
    let cases = match fs::read_to_string(&report) {
        Ok(xml) => junit::parse(&xml),
        Err(_) if status.success() => {
            return fail(format!("nextest left no report at {}", report.display()));
        }
        Err(_) => Vec::new(),
    };
    Ok(Run { status, cases })
}
