//! `test`: the one test command. Cheap checks first, so a formatting slip fails in seconds;
//! the stack is brought up only for the integration tests.

use std::process::Command;

use crate::{Options, TaskResult, infra, paths, process, services, stack};

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(paths::cargo());
    command.current_dir(paths::repo_root()).args(args);
    command
}

fn step(title: &str, args: &[&str]) -> TaskResult {
    println!("\n==> {title}: cargo {}", args.join(" "));
    process::run(title, &mut cargo(args))
}

/// Format check, clippy, unit tests, the stack, integration tests.
pub fn run(options: &Options) -> TaskResult {
    step("format", &["fmt", "--all", "--", "--check"])?;
    step(
        "clippy",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    validate_compose()?;
    println!("\n==> build");
    services::build(false)?;
    step("unit tests", &["test", "--workspace", "--lib", "--bins"])?;
    println!("\n==> stack");
    stack::up(&Options {
        release: false,
        ..options.clone()
    })?;
    step("integration tests", &["test", "--workspace", "--test", "*"])?;
    println!("\nall checks passed; the stack is still running (cargo xtask down stops it)");
    Ok(())
}

/// `docker-compose.yml` describes the same stack for a Docker host; no engine runs here, but
/// Debian's docker-compose validates the file without one.
fn validate_compose() -> TaskResult {
    println!("\n==> docker-compose.yml: docker-compose config");
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
    println!("docker-compose.yml is valid");
    Ok(())
}
