//! The `failover` scenario: the `direct` load through the client library's `Client` (which
//! reconnects, follows the new owner of its slot and resyncs by seq), while the gateway
//! holding the most of its sessions is killed with SIGKILL. Measures how long each of that
//! gateway's clients took to connect again and to resync, and that no acknowledged message
//! was lost or missed.

mod clients;
mod figures;
mod sender;
mod victim;
mod watcher;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_client::Rest;
use chat_common::flags::parse_duration;
use clap::Args;

use crate::cli::RunArgs;
use crate::outcome::{self, Measuring, Meta, at_most};
use crate::plan::Plan;
use crate::readback;
use crate::users::{self, Account};
use crate::ws::peer::{PeerLog, Shared};
use crate::ws::traffic;
use crate::wsargs::WsArgs;
use crate::{direct, grpc, setup};

const DESCRIPTION: &str = "The 1:1 load of `direct` at a fixed rate, through the client \
library (which reconnects, follows the new owner of a slot and resyncs by seq), while the \
gateway holding the most of the run's sessions is killed with SIGKILL. Reports how long that \
gateway's clients took to connect again and to resync, the deliveries per second around the \
kill, and a REST read-back proving nothing acknowledged was lost or missed.";

/// The goal: every client resynced within 10 s of the kill.
const TARGET_RESYNC_S: f64 = 10.0;

/// Flags of the `failover` scenario.
#[derive(Debug, Args)]
pub struct FailoverArgs {
    /// Pairs of friends (two clients each).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=5_000))]
    pub pairs: u32,

    /// Total sends per second on a fixed timetable.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: u32,

    /// Length of the measured window.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Load before the measured window, not recorded.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// When the gateway is killed, counted from the start of the measured window.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub kill_after: Duration,

    /// The gateway to kill by component name (`gateway-1`); default: the one holding the
    /// most of the run's sessions.
    #[arg(long)]
    pub victim: Option<String>,

    /// Cap of the clients' reconnect backoff (the library's default is 3 s).
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    pub max_backoff: Duration,

    #[command(flatten)]
    pub ws: WsArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs the scenario; `Ok(false)` when messages were lost or missed.
pub async fn run(args: FailoverArgs) -> anyhow::Result<bool> {
    let started_at_ms = outcome::unix_ms();
    let run_id = setup::run_id();
    let gateways = victim::gateways(&crate::stack::run_dir(), &args.run.watch).await?;
    let accounts = prepare(&args, &run_id).await?;
    let plan = Plan::new(args.warmup, args.duration, args.rate);
    let shared = Arc::new(Shared::new(plan, &run_id, args.ws.message_bytes, None));
    let fleet = clients::start(&args, &accounts, &shared).await?;
    let measuring = Measuring::start(&args.run, plan.window);
    let killer = tokio::spawn(victim::strike(
        plan.window.start + args.kill_after,
        gateways,
        args.victim.clone(),
        fleet.gateways(),
    ));
    let progress = tokio::spawn(traffic::progress(shared.clone()));
    let mut route = direct::route(&accounts);
    let sent = sender::drive(shared.clone(), fleet.clients(), move |ticket| {
        let (from, _, to) = route(ticket);
        (from, to)
    })
    .await;
    let drained = traffic::drain(&shared, 1, args.ws.drain).await;
    progress.abort();
    let strike = killer.await??;
    let usage = measuring.finish().await?;
    let watched = fleet.stop().await?;
    println!(
        "failover: {} ({}) was killed; run `cargo xtask up` to start it again",
        strike.victim.name, strike.victim.tag
    );
    let mut log = sent.log;
    let mut peers = Vec::with_capacity(watched.len());
    let mut story = figures::Story::new(&strike, drained);
    for (index, mut one) in watched.into_iter().enumerate() {
        log.merge(std::mem::take(&mut one.log));
        story.add(&one);
        story.repeats += one.ledger.settle();
        peers.push(PeerLog {
            user_id: one.user_id,
            ledger: one.ledger,
            acked: sent.acked.get(&index).cloned().unwrap_or_default(),
            ..PeerLog::default()
        });
    }
    println!("verify: pulling {} conversations over REST", args.pairs);
    let verification = readback::verify(
        &Rest::new(&args.ws.server)?,
        accounts.iter().map(|a| a.token.clone()).collect(),
        peers.into(),
        direct::conversations(&accounts),
        &shared.client_prefix,
        args.ws.setup_concurrency as usize,
    )
    .await?;
    let slowest = story.slowest_resync_s(plan.window.end + args.ws.drain);
    let mut report = outcome::report(
        meta(&args, &run_id, started_at_ms),
        &args.run,
        log,
        usage,
        Some(verification),
        |_| {
            vec![at_most(
                "slowest resync after the kill (s)",
                TARGET_RESYNC_S,
                slowest,
            )]
        },
    );
    report.extra = story.figures();
    outcome::finish(&args.run, &report)
}

/// Users, logged in, in friend pairs (accounts `2i` and `2i + 1`).
async fn prepare(args: &FailoverArgs, run_id: &str) -> anyhow::Result<Vec<Account>> {
    let users = 2 * args.pairs as usize;
    println!("setup: run {run_id}: registering and logging in {users} users");
    let began = Instant::now();
    let account = grpc::connect(&args.ws.account_addr).await?;
    let concurrency = args.ws.setup_concurrency as usize;
    let accounts = users::sign_up(account.clone(), run_id, 0, users, concurrency).await?;
    users::befriend_pairs(account, &accounts, concurrency).await?;
    println!("setup: done in {:.1} s", began.elapsed().as_secs_f64());
    Ok(accounts)
}

fn meta(args: &FailoverArgs, run_id: &str, started_at_ms: i64) -> Meta {
    let mut config = args.ws.config();
    config["run_id"] = run_id.into();
    config["pairs"] = args.pairs.into();
    config["rate"] = args.rate.into();
    config["duration_s"] = args.duration.as_secs_f64().into();
    config["warmup_s"] = args.warmup.as_secs_f64().into();
    config["kill_after_s"] = args.kill_after.as_secs_f64().into();
    config["victim"] = args.victim.clone().into();
    config["max_backoff_s"] = args.max_backoff.as_secs_f64().into();
    config["threads"] = args.run.threads.into();
    Meta {
        scenario: "failover",
        description: DESCRIPTION,
        operation: "delivery",
        load: format!(
            "open loop at {} sends/s through the client library, {} pairs of friends ({} \
             clients through OpenResty), one gateway killed {:.0} s into the window",
            args.rate,
            args.pairs,
            2 * args.pairs,
            args.kill_after.as_secs_f64()
        ),
        config,
        warmup: args.warmup,
        duration: args.duration,
        started_at_ms,
    }
}
