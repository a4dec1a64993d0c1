//! `cargo xtask`: the chat cluster's developer and CI tasks.
//!
//! - `up`: brings the whole local stack up (MariaDB, Redis, RocketMQ, S3, OpenResty, the four
//!   services and N gateways), idempotently, and waits until every part is healthy.
//! - `status`: what runs, where, and whether it is healthy (`--json` for scripts).
//! - `down`: stops exactly what `up` started, by pid.
//! - `test`: the one test command (format, clippy, unit tests, then integration tests on the
//!   stack), every test bounded under cargo-nextest, with a table of where the time went.
//! - `bench`: a load-generator scenario against a release stack, its report rendered into
//!   `docs/benchmarks/`.
//! - `fuzz`: the cargo-fuzz targets of `fuzz/`, each for a bounded time.

mod bench;
mod components;
mod fuzz;
mod infra;
mod nginx;
mod paths;
mod probe;
mod process;
mod rocketmq;
mod s3;
mod secrets;
mod services;
mod stack;
mod status;
mod test;
mod tools;
mod web;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  up        bring the local stack up and wait until every component is healthy
              --gateways N    number of gateways (default 3)
              --release       run release builds of the services
  status    print every component with pid, address and health
              --json          the same as JSON
  down      stop every process that `up` started (by pid)
  test      format check, clippy (-D warnings), unit tests, a short run of every
            fuzz target (10 s each), then the integration tests against the stack
            (started first when it is not running), all under cargo-nextest with a
            bound per test (.config/nextest.toml), and a short schemathesis run of
            the REST API; ends with the wall time of every step and the slowest ten
            tests
              --gateways N    as for up, when the stack must be started
              --only PATTERN  the inner loop: build, stack up, then only the tests
                              whose file (binary) or name contains PATTERN, or a
                              nextest filterset such as 'binary(friends) & test(~accept)';
                              no format or clippy check
              --deadline MIN  stop everything and fail with the report after MIN
                              minutes (default 80; CI's budget is 90)
  bench     run a load-generator scenario (message) against the stack in release
            mode and write docs/benchmarks/<scenario>.{json,md,svg} and README.md
              cargo xtask bench message [chat-loadgen flags, e.g. --duration 10s]
              cargo xtask bench message --help   lists the scenario's flags
              cargo xtask bench direct --ladder 500,2000,8000   one open-loop run per
                rate into docs/benchmarks/ladder/, summed up in docs/benchmarks/direct-ladder.md
  fuzz      build the cargo-fuzz targets of fuzz/ (WebSocket frames, JSON frames and
            content, the seed profile's requests and fields; docs/fuzzing.md) and run
            each for a bounded time; fails naming the input that crashed a target
              cargo xtask fuzz [--seconds N] [TARGET...]   N per target (default 60)
              cargo xtask fuzz --rest [--examples N]   instead, schemathesis against
                the running stack's REST API from its OpenAPI document: every operation,
                N examples each (default 20); fails on a 5xx or an undocumented answer

environment:
  CHAT_CACHE_DIR   where the RocketMQ and s3s-fs builds and the run directory live
                   (default ~/.cache/chat-cluster)
  CHAT_RUN_DIR     logs, pid files and stack.json (default $CHAT_CACHE_DIR/run)
";

/// An error that ends the task with one line on stderr.
#[derive(Debug)]
pub struct TaskError(String);

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for TaskError {
    fn from(error: std::io::Error) -> Self {
        Self(error.to_string())
    }
}

/// Shorthand for building a [`TaskError`].
pub fn fail<T>(message: impl Into<String>) -> Result<T, TaskError> {
    Err(TaskError(message.into()))
}

pub type TaskResult<T = ()> = Result<T, TaskError>;

/// Options shared by the commands.
#[derive(Debug, Clone)]
pub struct Options {
    pub gateways: u16,
    pub release: bool,
    pub json: bool,
    /// `test --only`: a filter for the inner loop.
    pub only: Option<String>,
    /// `test --deadline`: minutes the whole test command may take.
    pub deadline_min: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            gateways: 3,
            release: false,
            json: false,
            only: None,
            deadline_min: 80,
        }
    }
}

fn parse(args: &[String]) -> TaskResult<(String, Options)> {
    let mut options = Options::default();
    let Some(command) = args.first() else {
        return fail(USAGE);
    };
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--gateways" => {
                let value = rest.next().map(String::as_str).unwrap_or("");
                options.gateways = match value.parse() {
                    Ok(n) if (1..=16).contains(&n) => n,
                    _ => {
                        return fail(format!(
                            "--gateways takes a number from 1 to 16, not `{value}`"
                        ));
                    }
                };
            }
            "--only" => match rest.next() {
                Some(pattern) if !pattern.is_empty() => options.only = Some(pattern.clone()),
                _ => return fail("--only takes a pattern or a nextest filterset"),
            },
            "--deadline" => {
                let value = rest.next().map(String::as_str).unwrap_or("");
                options.deadline_min = match value.parse() {
                    Ok(n) if (1..=1440).contains(&n) => n,
                    _ => return fail(format!("--deadline takes minutes (1-1440), not `{value}`")),
                };
            }
            "--release" => options.release = true,
            "--json" => options.json = true,
            "-h" | "--help" => return fail(USAGE),
            other => return fail(format!("unknown option `{other}`\n\n{USAGE}")),
        }
    }
    Ok((command.clone(), options))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // bench passes its flags (including --help) through to the load generator.
    if args.first().is_some_and(|command| command == "bench") {
        return exit(bench::run(&args[1..]));
    }
    if args.first().is_some_and(|command| command == "fuzz")
        && !args.iter().any(|arg| arg == "-h" || arg == "--help")
    {
        return exit(fuzz::run(&args[1..]));
    }
    if args.iter().any(|arg| arg == "-h" || arg == "--help") || args.is_empty() {
        print!("{USAGE}");
        return if args.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let outcome = parse(&args).and_then(|(command, options)| match command.as_str() {
        "up" => stack::up(&options),
        "status" => status::print(&options),
        "down" => stack::down(),
        "test" => test::run(&options),
        other => fail(format!("unknown command `{other}`\n\n{USAGE}")),
    });
    exit(outcome)
}

fn exit(outcome: TaskResult) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
