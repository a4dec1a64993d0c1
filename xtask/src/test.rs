//! `test`: the one test command. Cheap checks first, so a formatting slip fails in seconds;
//! the stack is brought up only for the integration tests.

use std::process::Command;

use crate::{Options, TaskResult, paths, process, services, stack};

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
