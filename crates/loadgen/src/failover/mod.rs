//! The `failover` scenario: the `direct` load through the client library's `Client` (which
//! reconnects, follows the new owner of its slot and resyncs by seq), while one fault hits
//! the stack (`--fault`): a component killed with SIGKILL and started again after a down
//! time, or the stack's Redis database flushed. Measures when the component was healthy
//! again, when deliveries were back to normal, how long each cut-off client took to connect
//! again and to resync, whether any had to log in again, and that no acknowledged message was
//! lost or missed.

mod clients;
mod fault;
mod figures;
mod health;
mod recovery;
mod relaunch;
mod resp;
mod sender;
mod strike;
mod victim;
mod watcher;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_client::Rest;
use chat_common::flags::parse_duration;
use clap::Args;

use self::fault::Fault;
use self::strike::Injection;
use crate::cli::RunArgs;
use crate::outcome::{self, Measuring, Meta, at_most};
use crate::plan::Plan;
use crate::readback;
use crate::stack::StackFile;
use crate::users::{self, Account};
use crate::ws::peer::{PeerLog, Shared};
use crate::ws::traffic;
use crate::wsargs::WsArgs;
use crate::{direct, grpc, setup};

const DESCRIPTION: &str = "The 1:1 load of `direct` at a fixed rate, through the client \
library (which reconnects, follows the new owner of a slot and resyncs by seq), while one \
fault hits the stack: a gateway (the one holding the most of the run's sessions), the router, \
the message or account service, the RocketMQ broker or name server killed with SIGKILL and \
started again after a short down time, as a supervisor would, or the stack's Redis database \
flushed. Reports when the component was healthy again, when deliveries were back to normal \
(the last one later than a threshold), the longest gap in deliveries, how long cut-off \
clients took to connect again and to resync, how many had to log in again, and a REST \
read-back proving nothing acknowledged was lost or missed.";

/// The goal: every client resynced, and every delivery on time again, within 10 s
/// of the fault.
const TARGET_RECOVERY_S: f64 = 10.0;

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

    /// What breaks.
    #[arg(long, value_enum, default_value_t = Fault::Gateway)]
    pub fault: Fault,

    /// When the fault hits, counted from the start of the measured window.
    #[arg(long, alias = "kill-after", default_value = "5s", value_parser = parse_duration)]
    pub fault_after: Duration,

    /// How long a killed component stays down before it is started again (as it was
    /// started: same command line, environment and log).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub down_for: Duration,

    /// A delivery later than this after its send was due is not normal: deliveries are
    /// normal again after the last such one.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub slow_after: Duration,

    /// With `--fault gateway`: the gateway to kill by component name (`gateway-1`);
    /// default: the one holding the most of the run's sessions.
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
    let run_dir = crate::stack::run_dir();
    let stack = StackFile::read(&run_dir)?;
    let gateways = match args.fault {
        Fault::Gateway => victim::gateways(&stack).await?,
        _ => Vec::new(),
    };
    let accounts = prepare(&args, &run_id).await?;
    let plan = Plan::new(args.warmup, args.duration, args.rate);
    let shared = Arc::new(Shared::new(plan, &run_id, args.ws.message_bytes, None));
    let fleet = clients::start(&args, &accounts, &shared).await?;
    let measuring = Measuring::start(&args.run, plan.window);
    let injection = Injection {
        fault: args.fault,
        at: plan.window.start + args.fault_after,
        down_for: args.down_for,
        victim: args.victim.clone(),
        stack,
        run_dir,
        watch: args.run.watch.clone(),
        gateways,
    };
    let striker = tokio::spawn(strike::inject(injection, fleet.gateways()));
    let progress = tokio::spawn(traffic::progress(shared.clone()));
    let mut route = direct::route(&accounts);
    let sent = sender::drive(shared.clone(), fleet.clients(), move |ticket| {
        let (from, _, to) = route(ticket);
        (from, to)
    })
    .await;
    let drained = traffic::drain(&shared, 1, args.ws.drain).await;
    progress.abort();
    let strike = striker.await??;
    let usage = measuring.finish().await?;
    let watched = fleet.stop().await?;
    let mut log = sent.log;
    let mut peers = Vec::with_capacity(watched.len());
    let mut story = figures::Story::new(&strike, drained);
    for (index, mut one) in watched.into_iter().enumerate() {
        log.merge(std::mem::take(&mut one.log));
        story.add(&mut one);
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
    let recovery = story.recovery(plan.window.end, args.slow_after);
    let mut report = outcome::report(
        meta(&args, &run_id, started_at_ms),
        &args.run,
        log,
        usage,
        Some(verification),
        |_| {
            vec![
                at_most(
                    "slowest resync after the fault (s)",
                    TARGET_RECOVERY_S,
                    slowest,
                ),
                at_most(
                    "deliveries normal again after the fault (s)",
                    TARGET_RECOVERY_S,
                    recovery.normal_after_s,
                ),
                at_most(
                    "clients that had to log in again",
                    0.0,
                    recovery.signed_out as f64,
                ),
            ]
        },
    );
    report.extra = story.figures(&recovery);
    report.recovery = Some(recovery);
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
    config["fault"] = args.fault.name().into();
    config["fault_after_s"] = args.fault_after.as_secs_f64().into();
    config["down_for_s"] = args.down_for.as_secs_f64().into();
    config["slow_after_s"] = args.slow_after.as_secs_f64().into();
    config["victim"] = args.victim.clone().into();
    config["max_backoff_s"] = args.max_backoff.as_secs_f64().into();
    config["threads"] = args.run.threads.into();
    Meta {
        scenario: "failover",
        description: DESCRIPTION,
        operation: "delivery",
        load: format!(
            "open loop at {} sends/s through the client library, {} pairs of friends ({} \
             clients through OpenResty), fault `{}` {:.0} s into the window",
            args.rate,
            args.pairs,
            2 * args.pairs,
            args.fault.name(),
            args.fault_after.as_secs_f64()
        ),
        config,
        warmup: args.warmup,
        duration: args.duration,
        started_at_ms,
    }
}
