//! The `sync` scenario: a user with many unread messages over many conversations signs in and
//! catches up; each repetition is one operation, timed from the login request until every
//! unread message has arrived.

use std::time::{Duration, Instant};

use chat_client::Rest;
use chat_common::flags::parse_duration;
use clap::{Args, ValueEnum};

use crate::cli::RunArgs;
use crate::outcome::{self, Meta, Usage, at_most};
use crate::recorder::{Failure, Log, Window};
use crate::render::text::ms;
use crate::report::{Figure, Verification};
use crate::sampler::Sampler;
use crate::syncer::{self, Seqs};
use crate::wsargs::WsArgs;
use crate::{grpc, setup, stats, unread, users};

const DESCRIPTION: &str = "A user with many unread 1:1 messages spread over many \
conversations logs in and catches up; one operation is one complete catch-up, timed from the \
login request until every unread message has arrived (through the client library, which opens \
its WebSocket, calls `GET /sync` and pulls the rest, or with `--via rest` through those REST \
calls alone), then checked for missing messages and seq gaps.";

/// The goal: 10,000 unread in at most a second.
const TARGET_SYNC_S: f64 = 1.0;

/// How the user catches up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Via {
    /// The client library's `Client` (WebSocket, `/sync`, pulls).
    Client,
    /// `GET /sync` and pulls only.
    Rest,
}

/// Flags of the `sync` scenario.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Unread messages waiting for the user.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub messages: u64,

    /// Conversations (friends who sent them) the messages are spread over.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub conversations: u32,

    /// Catch-ups to time (each logs in again and reads everything from the start).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,

    /// How the user catches up.
    #[arg(long, value_enum, default_value_t = Via::Client)]
    pub via: Via,

    /// Pulls in flight with `--via rest`.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub pull_concurrency: u32,

    /// The message service's gRPC address (the unread messages are sent there).
    #[arg(long, default_value = "127.0.0.1:50053")]
    pub message_addr: String,

    /// One catch-up that takes longer fails.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,

    #[command(flatten)]
    pub ws: WsArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

/// Who reads.
struct Reader {
    user_id: u64,
    username: String,
}

/// Runs the scenario; `Ok(false)` when a catch-up missed messages.
pub async fn run(args: SyncArgs) -> anyhow::Result<bool> {
    let started_at_ms = outcome::unix_ms();
    let run_id = setup::run_id();
    let reader = prepare(&args, &run_id).await?;
    let sampler = Sampler::new(args.run.watch.clone());
    let before = sampler.snapshot();
    let start = Instant::now();
    let window = Window {
        start,
        end: start + args.timeout * args.repeat,
    };
    let mut log = Log::default();
    let mut logins = Vec::new();
    let mut verification = Verification {
        conversations: u64::from(args.conversations),
        acked: args.messages,
        stored: args.messages,
        ..Verification::default()
    };
    for round in 0..args.repeat {
        let began = Instant::now();
        let outcome = catch_up(&args, &reader).await;
        let ended = Instant::now();
        match outcome {
            Ok((login, mut seqs)) => {
                let (received, gaps) = syncer::tally(&mut seqs);
                println!(
                    "  sync {}: {received} messages in {:.0} ms (login {:.0} ms)",
                    round + 1,
                    (ended - began).as_secs_f64() * 1000.0,
                    login.as_secs_f64() * 1000.0
                );
                logins.push(login.as_micros() as u32);
                verification.lost = verification
                    .lost
                    .max(args.messages.saturating_sub(received));
                verification.gaps = verification.gaps.max(gaps);
                log.record(&window, began, ended, Ok(()));
            }
            Err(error) => {
                println!("  sync {}: failed: {error:#}", round + 1);
                let failure = Failure {
                    code: "SyncFailed".into(),
                    message: format!("{error:#}"),
                };
                log.record(&window, began, ended, Err(failure));
            }
        }
    }
    let measured = start.elapsed();
    let after = sampler.snapshot();
    let usage = Usage {
        processes: sampler.usage(&before, &after),
        machine: sampler.machine(&before, &after),
    };
    let mut report = outcome::report(
        meta(&args, &run_id, started_at_ms, measured),
        &args.run,
        log,
        usage,
        Some(verification),
        |summary| {
            vec![at_most(
                "slowest catch-up (s)",
                TARGET_SYNC_S,
                summary.latency_us.max as f64 / 1e6,
            )]
        },
    );
    report.extra = figures(&args, &mut logins, &report.summary.latency_us);
    outcome::finish(&args.run, &report)
}

/// One login and catch-up: the login's duration and what arrived.
async fn catch_up(args: &SyncArgs, reader: &Reader) -> anyhow::Result<(Duration, Seqs)> {
    let began = Instant::now();
    let rest = Rest::with_timeout(&args.ws.server, args.timeout)?;
    let login = rest
        .login(&reader.username, &setup::password(&reader.username))
        .await?;
    let login_time = began.elapsed();
    let seqs = match args.via {
        Via::Rest => {
            let rest = rest.with_token(login.token);
            syncer::via_rest(&rest, args.pull_concurrency as usize).await?
        }
        Via::Client => {
            syncer::via_client(&args.ws.server, &login.token, reader.user_id, args.timeout).await?
        }
    };
    Ok((login_time, seqs))
}

/// The reader, its friends, and the unread messages they sent it.
async fn prepare(args: &SyncArgs, run_id: &str) -> anyhow::Result<Reader> {
    println!(
        "setup: run {run_id}: one reader, {} friends, {} unread messages",
        args.conversations, args.messages
    );
    let began = Instant::now();
    let account = grpc::connect(&args.ws.account_addr).await?;
    let concurrency = args.ws.setup_concurrency as usize;
    let reader = users::sign_up(account.clone(), run_id, 0, 1, 1).await?;
    let reader_id = reader.first().map(|a| a.user_id).unwrap_or_default();
    let count = args.conversations as usize;
    let friends = unread::friends(account, run_id, reader_id, 1, count, concurrency).await?;
    let message = grpc::connect(&args.message_addr).await?;
    unread::fill(message, run_id, reader_id, &friends, args.messages).await?;
    println!("setup: done in {:.1} s", began.elapsed().as_secs_f64());
    Ok(Reader {
        user_id: reader_id,
        username: setup::username(run_id, 0),
    })
}

fn figures(args: &SyncArgs, logins: &mut [u32], latency: &crate::report::Latency) -> Vec<Figure> {
    let login = stats::summarize(logins);
    let rate = match latency.p50 {
        0 => 0.0,
        p50 => args.messages as f64 / (p50 as f64 / 1e6),
    };
    vec![
        Figure::new(
            "unread",
            format!(
                "{} messages in {} conversations",
                args.messages, args.conversations
            ),
        ),
        Figure::new(
            "of which login",
            format!("p50 {}, max {}", ms(login.p50), ms(login.max)),
        ),
        Figure::new("messages/s at the median", format!("{rate:.0}")),
    ]
}

fn meta(args: &SyncArgs, run_id: &str, started_at_ms: i64, measured: Duration) -> Meta {
    let via = match args.via {
        Via::Client => "the client library (WebSocket, /sync, pulls)".to_owned(),
        Via::Rest => format!(
            "REST only (/sync, then pulls {} at a time)",
            args.pull_concurrency
        ),
    };
    let mut config = args.ws.config();
    config["run_id"] = run_id.into();
    config["messages"] = args.messages.into();
    config["conversations"] = args.conversations.into();
    config["repeat"] = args.repeat.into();
    config["via"] = format!("{:?}", args.via).to_lowercase().into();
    config["pull_concurrency"] = args.pull_concurrency.into();
    config["timeout_s"] = args.timeout.as_secs_f64().into();
    Meta {
        scenario: "sync",
        description: DESCRIPTION,
        operation: "catch-up",
        load: format!(
            "{} catch-ups one after another of {} unread messages over {} conversations, \
             through {via}",
            args.repeat, args.messages, args.conversations
        ),
        config,
        warmup: Duration::ZERO,
        duration: measured,
        started_at_ms,
    }
}
