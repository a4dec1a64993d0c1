//! The `direct` scenario: pairs of friends, every user with a WebSocket through OpenResty,
//! exchanging 1:1 messages; latency from the send's due time to the peer's `message` frame,
//! then every conversation read back over REST.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_client::Rest;
use chat_client::wire::ConversationKind;
use chat_common::flags::parse_duration;
use clap::Args;

use crate::cli::RunArgs;
use crate::outcome::{self, Meta, at_least, at_most};
use crate::readback::{self, Conversation};
use crate::report::Figure;
use crate::rng::SplitMix64;
use crate::users::{self, Account};
use crate::ws::fleet;
use crate::ws::load::{self, Shape};
use crate::ws::peer::Shared;
use crate::wsargs::WsArgs;
use crate::{grpc, plan::Plan, setup};

const DESCRIPTION: &str = "1:1 text messages (about 100 bytes) between pairs of friends, \
every user holding a WebSocket through OpenResty; latency from each send's due time to the \
`message` frame at the peer, then every conversation pulled over REST: acknowledged but not \
stored is lost, stored but neither pushed to the peer nor acknowledged to the sender is a gap.";

/// The goals.
const TARGET_DELIVERED_PER_S: f64 = 10_000.0;
const TARGET_P99_MS: f64 = 50.0;

/// Flags of the `direct` scenario.
#[derive(Debug, Args)]
pub struct DirectArgs {
    /// Pairs of friends (two sessions each); every send goes from one member of a random
    /// pair to the other.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub pairs: u32,

    /// Total sends per second on a fixed timetable; 0 sends as fast as `--concurrency`
    /// unanswered sends allow.
    #[arg(long, default_value_t = 0)]
    pub rate: u32,

    /// Sends in flight (sent, not yet acknowledged) in a closed loop.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub concurrency: u32,

    /// Length of the measured window.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Load before the measured window, not recorded.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub warmup: Duration,

    #[command(flatten)]
    pub ws: WsArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs the scenario; `Ok(false)` when messages were lost or gaps found.
pub async fn run(args: DirectArgs) -> anyhow::Result<bool> {
    let started_at_ms = outcome::unix_ms();
    let run_id = setup::run_id();
    let accounts = prepare(&args, &run_id).await?;
    let dial = args.ws.dial()?;
    println!(
        "connect: {} sessions through {}",
        accounts.len(),
        args.ws.server
    );
    let began = Instant::now();
    let sessions = fleet::open_all(&dial, &accounts).await?;
    let spread = fleet::describe_spread(&sessions);
    println!(
        "connect: done in {:.1} s ({spread})",
        began.elapsed().as_secs_f64()
    );
    let shared = shared(&args, &run_id);
    let shape = Shape {
        route: route(&accounts),
        fanout: 1,
        drain: args.ws.drain,
    };
    let loaded = load::run(shared.clone(), sessions, &accounts, &args.run, shape).await?;
    println!("verify: pulling {} conversations over REST", args.pairs);
    let rest = Rest::new(&args.ws.server)?;
    let verification = readback::verify(
        &rest,
        accounts.iter().map(|a| a.token.clone()).collect(),
        loaded.peers.into(),
        conversations(&accounts),
        &shared.client_prefix,
        args.ws.setup_concurrency as usize,
    )
    .await?;
    let extra = tail_figures(&spread, loaded.repeats, loaded.drained);
    let meta = meta(&args, &run_id, started_at_ms);
    let mut report = outcome::report(
        meta,
        &args.run,
        loaded.log,
        loaded.usage,
        Some(verification),
        |summary| {
            vec![
                at_least(
                    "delivered (msg/s)",
                    TARGET_DELIVERED_PER_S,
                    summary.throughput_per_s,
                ),
                at_most(
                    "p99 latency (ms)",
                    TARGET_P99_MS,
                    summary.latency_us.p99 as f64 / 1000.0,
                ),
            ]
        },
    );
    report.extra = extra;
    outcome::finish(&args.run, &report)
}

/// Where the sessions were and how the run ended.
pub fn tail_figures(spread: &str, repeats: u64, drained: bool) -> Vec<Figure> {
    vec![
        Figure::new("sessions per gateway", spread),
        Figure::new("repeated pushes dropped", repeats.to_string()),
        Figure::new(
            "drained",
            if drained {
                "yes: every send answered and pushed"
            } else {
                "**no**: sends unanswered or pushes missing when the drain time ran out"
            },
        ),
    ]
}

/// Users, logged in, in friend pairs (accounts `2i` and `2i + 1`).
async fn prepare(args: &DirectArgs, run_id: &str) -> anyhow::Result<Vec<Account>> {
    let users = 2 * args.pairs as usize;
    println!(
        "setup: run {run_id}: registering and logging in {users} users, {} pairs of friends",
        args.pairs
    );
    let began = Instant::now();
    let account = grpc::connect(&args.ws.account_addr).await?;
    let concurrency = args.ws.setup_concurrency as usize;
    let accounts = users::sign_up(account.clone(), run_id, 0, users, concurrency).await?;
    users::befriend_pairs(account, &accounts, concurrency).await?;
    println!("setup: done in {:.1} s", began.elapsed().as_secs_f64());
    Ok(accounts)
}

fn shared(args: &DirectArgs, run_id: &str) -> Arc<Shared> {
    let plan = Plan::new(args.warmup, args.duration, args.rate);
    let closed_loop = (args.rate == 0).then_some(args.concurrency);
    Arc::new(Shared::new(
        plan,
        run_id,
        args.ws.message_bytes,
        closed_loop,
    ))
}

/// A random pair, a random direction.
pub fn route(accounts: &[Account]) -> impl FnMut(u64) -> (usize, ConversationKind, u64) + use<> {
    let ids: Vec<u64> = accounts.iter().map(|account| account.user_id).collect();
    let mut rng = SplitMix64::new(0x00D1_2EC7);
    move |_| {
        let pair = rng.below((ids.len() / 2) as u64) as usize;
        let from = 2 * pair + (rng.next_u64() & 1) as usize;
        (from, ConversationKind::Direct, ids[from ^ 1])
    }
}

/// Every pair's conversation (`d:{low}:{high}`).
pub fn conversations(accounts: &[Account]) -> Vec<Conversation> {
    (0..accounts.len() / 2)
        .map(|pair| {
            let (a, b) = (accounts[2 * pair].user_id, accounts[2 * pair + 1].user_id);
            Conversation {
                id: format!("d:{}:{}", a.min(b), a.max(b)),
                members: vec![2 * pair, 2 * pair + 1],
            }
        })
        .collect()
}

fn meta(args: &DirectArgs, run_id: &str, started_at_ms: i64) -> Meta {
    let pacing = match args.rate {
        0 => format!(
            "closed loop, at most {} sends unacknowledged",
            args.concurrency
        ),
        rate => format!("open loop at {rate} sends/s"),
    };
    let mut config = args.ws.config();
    config["run_id"] = run_id.into();
    config["pairs"] = args.pairs.into();
    config["rate"] = args.rate.into();
    config["concurrency"] = args.concurrency.into();
    config["duration_s"] = args.duration.as_secs_f64().into();
    config["warmup_s"] = args.warmup.as_secs_f64().into();
    config["threads"] = args.run.threads.into();
    Meta {
        scenario: "direct",
        description: DESCRIPTION,
        operation: "delivery",
        load: format!(
            "{pacing}, {} pairs of friends ({} WebSockets through OpenResty), {}-byte texts",
            args.pairs,
            2 * args.pairs,
            args.ws.message_bytes
        ),
        config,
        warmup: args.warmup,
        duration: args.duration,
        started_at_ms,
    }
}
