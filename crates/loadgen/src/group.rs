//! The `group` scenario: one open group whose members all hold a WebSocket through OpenResty,
//! a few of them posting on a timetable; every post is pushed to every other member, and each
//! of those deliveries is one measured operation (latency from the post's due time).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_client::Rest;
use chat_client::wire::ConversationKind;
use chat_common::flags::parse_duration;
use clap::Args;

use crate::cli::RunArgs;
use crate::outcome::{self, Meta, at_least};
use crate::plan::Plan;
use crate::readback::{self, Conversation};
use crate::users::{self, Account};
use crate::ws::fleet;
use crate::ws::load::{self, Shape};
use crate::ws::peer::Shared;
use crate::wsargs::WsArgs;
use crate::{direct, grpc, setup};

const DESCRIPTION: &str = "One open group whose members all hold a WebSocket through \
OpenResty; a few members post texts on a timetable and every post is pushed to every other \
member. One operation is one delivery (a `message` frame at a member), its latency measured \
from the post's due time; then the group's history is pulled over REST and every member's \
view checked for gaps.";

/// The goal.
const TARGET_DELIVERIES_PER_S: f64 = 100_000.0;

/// Flags of the `group` scenario.
#[derive(Debug, Args)]
pub struct GroupArgs {
    /// Members of the group, all online.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(2..=2000))]
    pub members: u32,

    /// Members who post (taking turns).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=2000))]
    pub senders: u32,

    /// Posts per second in total on a fixed timetable (each is pushed to members - 1
    /// sessions); 0 posts as fast as `--concurrency` unanswered posts allow.
    #[arg(long, default_value_t = 100)]
    pub rate: u32,

    /// Posts in flight (sent, not yet acknowledged) when `--rate 0`.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Length of the measured window.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Load before the measured window, not recorded.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub warmup: Duration,

    #[command(flatten)]
    pub ws: WsArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs the scenario; `Ok(false)` when posts were lost or members missed some.
pub async fn run(args: GroupArgs) -> anyhow::Result<bool> {
    let started_at_ms = outcome::unix_ms();
    let run_id = setup::run_id();
    let (accounts, group_id) = prepare(&args, &run_id).await?;
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
    let plan = Plan::new(args.warmup, args.duration, args.rate);
    let closed_loop = (args.rate == 0).then_some(args.concurrency);
    let shared = Arc::new(Shared::new(
        plan,
        &run_id,
        args.ws.message_bytes,
        closed_loop,
    ));
    let senders = args.senders.min(args.members) as usize;
    let shape = Shape {
        route: move |ticket: u64| {
            let from = (ticket % senders as u64) as usize;
            (from, ConversationKind::Group, group_id)
        },
        fanout: u64::from(args.members - 1),
        drain: args.ws.drain,
    };
    let loaded = load::run(shared.clone(), sessions, &accounts, &args.run, shape).await?;
    println!("verify: pulling g:{group_id} over REST");
    let conversation = Conversation {
        id: format!("g:{group_id}"),
        members: (0..accounts.len()).collect(),
    };
    let verification = readback::verify(
        &Rest::new(&args.ws.server)?,
        accounts.iter().map(|a| a.token.clone()).collect(),
        loaded.peers.into(),
        vec![conversation],
        &shared.client_prefix,
        args.ws.setup_concurrency as usize,
    )
    .await?;
    let extra = direct::tail_figures(&spread, loaded.repeats, loaded.drained);
    let mut meta = meta(&args, &run_id, started_at_ms);
    meta.config["group_id"] = group_id.into();
    let mut report = outcome::report(
        meta,
        &args.run,
        loaded.log,
        loaded.usage,
        Some(verification),
        |summary| {
            vec![at_least(
                "deliveries/s",
                TARGET_DELIVERIES_PER_S,
                summary.throughput_per_s,
            )]
        },
    );
    report.extra = extra;
    outcome::finish(&args.run, &report)
}

/// Members, logged in, and the group they all joined (account 0 owns it).
async fn prepare(args: &GroupArgs, run_id: &str) -> anyhow::Result<(Vec<Account>, u64)> {
    let count = args.members as usize;
    println!("setup: run {run_id}: registering and logging in {count} users, one group");
    let began = Instant::now();
    let account = grpc::connect(&args.ws.account_addr).await?;
    let concurrency = args.ws.setup_concurrency as usize;
    let accounts = users::sign_up(account.clone(), run_id, 0, count, concurrency).await?;
    let ids: Vec<u64> = accounts.iter().map(|account| account.user_id).collect();
    let group_id = users::open_group(account, ids[0], &ids, concurrency).await?;
    println!(
        "setup: group {group_id} of {count} ready in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    Ok((accounts, group_id))
}

fn meta(args: &GroupArgs, run_id: &str, started_at_ms: i64) -> Meta {
    let pacing = match args.rate {
        0 => format!(
            "closed loop, at most {} posts unacknowledged",
            args.concurrency
        ),
        rate => format!("open loop at {rate} posts/s"),
    };
    let mut config = args.ws.config();
    config["run_id"] = run_id.into();
    config["members"] = args.members.into();
    config["senders"] = args.senders.into();
    config["rate"] = args.rate.into();
    config["concurrency"] = args.concurrency.into();
    config["duration_s"] = args.duration.as_secs_f64().into();
    config["warmup_s"] = args.warmup.as_secs_f64().into();
    config["threads"] = args.run.threads.into();
    Meta {
        scenario: "group",
        description: DESCRIPTION,
        operation: "delivery",
        load: format!(
            "{pacing} by {} senders, one group of {} members all online (WebSockets through \
             OpenResty), {}-byte texts",
            args.senders, args.members, args.ws.message_bytes
        ),
        config,
        warmup: args.warmup,
        duration: args.duration,
        started_at_ms,
    }
}
