//! `chat-loadgen`: drives the chat cluster through its public APIs and reports what it saw.
//!
//! Each scenario (for now `message`: sustained 1:1 sends through the message service's gRPC
//! API) writes one [`report::Report`]; `render` turns every report of a directory into a
//! Markdown page, an SVG chart and the directory's README. `cargo xtask bench <scenario>` runs
//! both against a release stack and passes the processes to watch.

mod cli;
mod connect;
mod direct;
mod failover;
mod files;
mod group;
mod grpc;
mod machine;
mod message;
mod outcome;
mod plan;
mod pool;
mod procfs;
mod readback;
mod recorder;
mod render;
mod report;
mod rng;
mod sampler;
mod setup;
mod stack;
mod stats;
mod sync;
mod syncer;
mod unread;
mod usercache;
mod users;
mod verify;
mod ws;
mod wsargs;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Exit status when the run finished and its report was written, but messages were lost:
/// distinct from 1 (the run itself failed), so callers still render the report.
const EXIT_LOST_MESSAGES: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Message(args) => runtime(args.run.threads.map(usize::from))
            .and_then(|runtime| runtime.block_on(message::run(*args)).map(verified_exit)),
        Command::Direct(args) => runtime(args.run.threads.map(usize::from))
            .and_then(|runtime| runtime.block_on(direct::run(*args)).map(verified_exit)),
        Command::Group(args) => runtime(args.run.threads.map(usize::from))
            .and_then(|runtime| runtime.block_on(group::run(*args)).map(verified_exit)),
        Command::Sync(args) => runtime(args.run.threads.map(usize::from))
            .and_then(|runtime| runtime.block_on(sync::run(*args)).map(verified_exit)),
        Command::Failover(args) => runtime(args.run.threads.map(usize::from))
            .and_then(|runtime| runtime.block_on(failover::run(*args)).map(verified_exit)),
        Command::Connect(args) => runtime(args.run.threads.map(usize::from))
            .and_then(|runtime| runtime.block_on(connect::run(*args)).map(verified_exit)),
        Command::Files(args) => runtime(args.run.threads.map(usize::from))
            .and_then(|runtime| runtime.block_on(files::run(*args)).map(verified_exit)),
        Command::Render(args) => render::render_dir(&args.dir).map(|()| ExitCode::SUCCESS),
        Command::Ladder(args) => {
            render::render_ladder(&args.dir, &args.scenario, &args.out).map(|()| ExitCode::SUCCESS)
        }
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("error: chat-loadgen: {error:#}");
        ExitCode::FAILURE
    })
}

fn verified_exit(verified: bool) -> ExitCode {
    if verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_LOST_MESSAGES)
    }
}

/// A multi-threaded runtime: every connection and request is a future on it, never a thread.
fn runtime(threads: Option<usize>) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads {
        builder.worker_threads(threads.max(1));
    }
    Ok(builder.enable_all().build()?)
}
