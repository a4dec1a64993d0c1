//! `test`: the one test command. Cheap checks first, so a formatting slip fails in seconds;
//! a short run of every fuzz target after the unit tests (`cargo xtask fuzz`, 10 s each); the
//! stack is brought up only for the integration tests, a short schemathesis run of the REST API
//! (`cargo xtask fuzz --rest`) and the browser tests. Every test runs under cargo-nextest
//! with a bound (`.config/nextest.toml`), the whole command under a deadline, and the end is
//! one table of where the time went.

mod clock;
mod junit;
mod logs;
mod nextest;
mod steps;

use std::process::Command;
use std::time::{Duration, Instant};

use junit::{Outcome, TestCase};
use steps::Steps;

use crate::components::ports;
use crate::{Options, TaskResult, fail, fuzz, infra, paths, process, services, stack, web};

/// The test that hangs on purpose (`tests/tests/stack_health.rs`), run by the watchdog check.
const HUNG_TEST: &str = "deliberately_hung_wait_for_a_frame_that_never_comes";

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(paths::cargo());
    command.current_dir(paths::repo_root()).args(args);
    command
}

fn cargo_step(what: &str, args: &[&str]) -> TaskResult {
    println!("cargo {}", args.join(" "));
    process::run(what, &mut cargo(args))
}

/// The whole command (or, with `--only`, the inner loop), then the summary table either way.
pub fn run(options: &Options) -> TaskResult {
    process::set_deadline(Instant::now() + Duration::from_secs(options.deadline_min * 60));
    let mut steps = Steps::default();
    let outcome = match &options.only {
        Some(pattern) => only(&mut steps, options, pattern),
        None => everything(&mut steps, options),
    };
    print!("{}", steps.summary());
    match &outcome {
        Ok(()) => {
            println!("\nall checks passed; the stack is still running (cargo xtask down stops it)")
        }
        Err(_) => println!(
            "\nthe stack is left running for a look: cargo xtask status; logs in {}",
            paths::run_dir().join("logs").display()
        ),
    }
    outcome
}

/// Format check, clippy, unit tests, the stack, integration tests, the watchdog's own check.
fn everything(steps: &mut Steps, options: &Options) -> TaskResult {
    steps.step("format", || {
        cargo_step("cargo fmt", &["fmt", "--all", "--", "--check"])
    })?;
    steps.step("clippy", || {
        cargo_step(
            "cargo clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        )
    })?;
    steps.step("compose check", validate_compose)?;
    steps.step("build", || services::build(false))?;
    steps.step("nextest", nextest::binary)?;
    tests(steps, "unit tests", &["--lib", "--bins"])?;
    steps.step("fuzz", || fuzz::targets(fuzz::TEST_SECONDS, fuzz::TARGETS))?;
    steps.step("web build", web::ensure_built)?;
    steps.step("web unit tests", web::unit)?;
    steps.step("stack up", || stack::up(&debug(options)))?;
    tests(steps, "integration tests", &["--test", "*"])?;
    steps.step("REST fuzz", || fuzz::rest_api(fuzz::TEST_EXAMPLES))?;
    steps.step("watchdog check", watchdog_check)?;
    steps.step("browser tests", || {
        web::e2e(&format!("http://{}", ports::PUBLIC))
    })
}

/// The inner loop: the tests matching `pattern` against the running stack (started if needed),
/// without the format and clippy checks.
fn only(steps: &mut Steps, options: &Options, pattern: &str) -> TaskResult {
    steps.step("build", || services::build(false))?;
    steps.step("stack up", || stack::up(&debug(options)))?;
    let expression = filter_expression(pattern);
    tests(steps, "tests", &["-E", &expression])
}

/// A filterset expression as is; a plain word picks test binaries (files) and tests whose
/// names contain it.
fn filter_expression(pattern: &str) -> String {
    if pattern.contains('(') {
        pattern.to_owned()
    } else {
        format!("binary(~{pattern}) | test(~{pattern})")
    }
}

fn debug(options: &Options) -> Options {
    Options {
        release: false,
        ..options.clone()
    }
}

/// One nextest run as a step; on failure every failed or timed-out test is named with the
/// stack's warnings and errors from its window.
fn tests(steps: &mut Steps, name: &str, args: &[&str]) -> TaskResult {
    let mut cases = Vec::new();
    let outcome = steps.step(name, || {
        let run = nextest::run("default", args, None)?;
        cases = run.cases;
        if run.status.success() {
            return Ok(());
        }
        let failed: Vec<&TestCase> = cases
            .iter()
            .filter(|case| matches!(case.outcome, Outcome::Failed { .. }))
            .collect();
        failed.iter().for_each(|case| report_failure(case));
        let names: Vec<&str> = failed.iter().map(|case| case.name.as_str()).collect();
        fail(if names.is_empty() {
            format!("{name} failed ({}): see nextest's output above", run.status)
        } else {
            format!("{name} failed: {}", names.join(", "))
        })
    });
    steps.record(&cases);
    outcome
}

fn report_failure(case: &TestCase) {
    let Outcome::Failed { timed_out, message } = &case.outcome else {
        return;
    };
    let what = if *timed_out { "TIMED OUT" } else { "FAILED" };
    println!(
        "\n--- {what}: {} ({:.1} s) {message}",
        case.name, case.seconds
    );
    let Some((start, end)) = case.window else {
        return;
    };
    let logs = logs::in_window(start, end);
    if logs.is_empty() {
        println!("    no warnings or errors in the stack's logs during the test");
    }
    for (log, lines) in logs {
        println!("    {log}:");
        for line in lines {
            println!("      {line}");
        }
    }
}

/// Runs the test that hangs on purpose under the `watchdog` profile (1 s period, stopped after
/// two): the run must fail, name the test as timed out, and end in well under a minute.
fn watchdog_check() -> TaskResult {
    let output = paths::run_dir().join("logs/watchdog-check.log");
    let started = Instant::now();
    let expression = format!("test(={HUNG_TEST})");
    let run = nextest::run(
        "watchdog",
        &[
            "-p",
            "chat-e2e",
            "--test",
            "stack_health",
            "--run-ignored",
            "only",
            "-E",
            &expression,
        ],
        Some(&output),
    )?;
    let took = started.elapsed();
    let text = std::fs::read_to_string(&output).unwrap_or_default();
    let reported = run.cases.iter().any(|case| {
        case.name.ends_with(HUNG_TEST)
            && matches!(
                case.outcome,
                Outcome::Failed {
                    timed_out: true,
                    ..
                }
            )
    });
    if run.status.success()
        || !reported
        || !text.contains("TIMEOUT")
        || took > Duration::from_secs(60)
    {
        return fail(format!(
            "the hung test was not stopped and reported as it should be \
             (exit {}, reported timed out: {reported}, {:.1} s); output in {}",
            run.status,
            took.as_secs_f64(),
            output.display()
        ));
    }
    println!(
        "the hung test was stopped after {:.1} s, reported TIMEOUT by name, and failed its run",
        took.as_secs_f64()
    );
    Ok(())
}

/// `docker-compose.yml` describes the same stack for a Docker host; no engine runs here, but
/// Debian's docker-compose validates the file without one.
fn validate_compose() -> TaskResult {
    let binary = std::path::Path::new("/usr/bin/docker-compose");
    if !binary.exists() {
        if !infra::can_install_packages() {
            println!("docker-compose is not installed here; skipping the compose check");
            return Ok(());
        }
        infra::apt_install(&["docker-compose"])?;
    }
    process::output(
        "docker-compose config",
        Command::new(binary).current_dir(paths::repo_root()).args([
            "-f",
            "docker-compose.yml",
            "config",
            "--quiet",
        ]),
    )?;
    println!("docker-compose.yml is valid (docker-compose config)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_pattern_picks_files_and_test_names() {
        assert_eq!(
            filter_expression("friends"),
            "binary(~friends) | test(~friends)"
        );
        assert_eq!(
            filter_expression("test(=a) & binary(b)"),
            "test(=a) & binary(b)"
        );
    }
}
