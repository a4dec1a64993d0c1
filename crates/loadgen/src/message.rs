//! The `message` scenario: 1:1 text sends through the message service's gRPC `Send`, as fast
//! as `--concurrency` sends in flight allow (or at `--rate`), then a read-back of what was
//! acknowledged.
//!
//! Each worker task owns one in-flight slot and issues send after send; tickets from one
//! shared counter give every send its schedule and its unique `client_msg_id`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::grpc::Channel;
use anyhow::Context;
use chat_proto::common::message_content::Body;
use chat_proto::common::{ConversationKind, MessageContent, TextContent};
use chat_proto::message::message_client::MessageClient;
use chat_proto::message::{SendRequest, SendResponse};

use crate::cli::MessageArgs;
use crate::plan::Plan;
use crate::recorder::{Failure, Log};
use crate::report::{Comparison, Git, MachineCpu, ProcessUsage, Report, Target, Verification};
use crate::rng::SplitMix64;
use crate::sampler::Sampler;
use crate::setup::{self, Pair};
use crate::{grpc, machine, render, verify};

/// What the scenario measures, for the report and the README.
const DESCRIPTION: &str = "Sustained 1:1 text messages (about 100 bytes) sent through the \
message service's gRPC `Send` by many concurrent senders between pairs of friends, each \
acknowledged only after MySQL committed it, then every conversation read back to prove that \
no acknowledged message is missing and sequence numbers have no gaps.";

/// The goals: sustained sends per second and the 99th percentile latency.
const TARGET_SENDS_PER_S: f64 = 10_000.0;
const TARGET_P99_MS: f64 = 50.0;

/// Runs the scenario; `Ok(false)` when the read-back found lost messages or gaps.
pub async fn run(args: MessageArgs) -> anyhow::Result<bool> {
    let started_at_ms = unix_ms();
    let run_id = setup::run_id();
    let pairs = prepare(&args, &run_id).await?;
    let channels = grpc::connect_many(&args.message_addr, args.channels).await?;
    println!(
        "load: {} in flight over {} connections, {} warm-up, {} measured{}",
        args.concurrency,
        args.channels,
        secs(args.warmup),
        secs(args.duration),
        match args.rate {
            0 => String::new(),
            rate => format!(", {rate} sends/s scheduled"),
        }
    );
    let sampler = Sampler::new(args.run.watch.clone());
    let plan = Plan::new(args.warmup, args.duration, args.rate);
    let (load, usage) = drive(&args, &run_id, &pairs, &channels, plan, sampler).await?;
    println!("verify: reading back what was acknowledged");
    let conversations = to_verify(&pairs, &load, args.verify_pairs as usize);
    let verification = verify::verify(
        channels[0].clone(),
        conversations,
        args.setup_concurrency as usize,
    )
    .await?;
    let report = report(&args, &run_id, started_at_ms, load.log, usage, verification);
    finish(&args, &report)
}

async fn prepare(args: &MessageArgs, run_id: &str) -> anyhow::Result<Arc<[Pair]>> {
    println!(
        "setup: run {run_id}: registering {} users and making {} pairs of friends",
        2 * args.pairs,
        args.pairs
    );
    let account = grpc::connect(&args.account_addr).await?;
    let began = Instant::now();
    let pairs = setup::make_pairs(
        account,
        run_id,
        args.pairs as usize,
        args.setup_concurrency as usize,
    )
    .await?;
    println!("setup: done in {:.1} s", began.elapsed().as_secs_f64());
    Ok(pairs.into())
}

/// What the processes and the machine spent in the measured window.
struct Usage {
    processes: Vec<ProcessUsage>,
    machine: Option<MachineCpu>,
}

/// Everything the workers brought back, merged.
#[derive(Default)]
struct Load {
    log: Log,
    /// Acknowledged seqs per pair index.
    acked: HashMap<u32, Vec<u64>>,
    conversation_ids: HashMap<u32, String>,
}

impl Load {
    fn merge(&mut self, other: Load) {
        self.log.merge(other.log);
        for (pair, seqs) in other.acked {
            self.acked.entry(pair).or_default().extend(seqs);
        }
        for (pair, id) in other.conversation_ids {
            self.conversation_ids.entry(pair).or_insert(id);
        }
    }

    fn ack(&mut self, pair: u32, reply: SendResponse) {
        self.acked.entry(pair).or_default().push(reply.seq);
        self.conversation_ids
            .entry(pair)
            .or_insert(reply.conversation_id);
    }
}

/// Runs the workers and the CPU sampler; returns the merged load and each process's usage.
async fn drive(
    args: &MessageArgs,
    run_id: &str,
    pairs: &Arc<[Pair]>,
    channels: &[Channel],
    plan: Plan,
    sampler: Sampler,
) -> anyhow::Result<(Load, Usage)> {
    let measuring = tokio::spawn(sampler.measure(plan.window));
    let shared = Arc::new(Shared {
        plan,
        tickets: AtomicU64::new(0),
        finished: AtomicU64::new(0),
        pairs: pairs.clone(),
        client_prefix: format!("{run_id}-"),
        filler: "x".repeat(args.message_bytes as usize - TICKET_PREFIX_BYTES),
        timeout: args.timeout,
    });
    let workers: Vec<_> = (0..args.concurrency)
        .map(|index| {
            let channel = channels[index as usize % channels.len()].clone();
            let worker = Worker {
                client: MessageClient::new(channel),
                rng: SplitMix64::new(u64::from(index) ^ 0x5EED),
                shared: shared.clone(),
            };
            tokio::spawn(worker.run())
        })
        .collect();
    let progress = tokio::spawn(report_progress(shared.clone()));
    let mut load = Load::default();
    for worker in workers {
        load.merge(worker.await.context("a send worker panicked")?);
    }
    progress.abort();
    let (sampler, start, end) = measuring.await.context("the CPU sampler panicked")?;
    let usage = Usage {
        processes: sampler.usage(&start, &end),
        machine: sampler.machine(&start, &end),
    };
    Ok((load, usage))
}

/// Prints the answer rate every few seconds, so a long run shows it is alive and a stall
/// shows at once.
async fn report_progress(shared: Arc<Shared>) {
    const EVERY: Duration = Duration::from_secs(5);
    let origin = shared.plan.origin;
    let mut last = 0;
    let mut ticks = tokio::time::interval_at((origin + EVERY).into(), EVERY);
    loop {
        let now = ticks.tick().await;
        let finished = shared.finished.load(Ordering::Relaxed);
        let phase = if now.into_std() <= shared.plan.window.start {
            "warm-up"
        } else {
            "measured"
        };
        println!(
            "  {:>4.0} s ({phase}): {:.0} answers/s",
            now.into_std().duration_since(origin).as_secs_f64(),
            (finished - last) as f64 / EVERY.as_secs_f64()
        );
        last = finished;
    }
}

/// Bytes of the per-message prefix (`{ticket:012} `) in front of the filler.
const TICKET_PREFIX_BYTES: usize = 13;

/// What every worker reads.
struct Shared {
    plan: Plan,
    tickets: AtomicU64,
    /// Sends answered so far (either way), for the progress lines.
    finished: AtomicU64,
    pairs: Arc<[Pair]>,
    client_prefix: String,
    filler: String,
    timeout: Duration,
}

/// One in-flight slot: sends one message at a time, as many as the plan allows.
struct Worker {
    client: MessageClient<Channel>,
    rng: SplitMix64,
    shared: Arc<Shared>,
}

impl Worker {
    async fn run(mut self) -> Load {
        let mut load = Load::default();
        loop {
            let ticket = self.shared.tickets.fetch_add(1, Ordering::Relaxed);
            let Some(due) = self.shared.plan.schedule(ticket) else {
                return load;
            };
            if due > Instant::now() {
                tokio::time::sleep_until(due.into()).await;
            }
            let outcome = self.send(ticket).await;
            let ended = Instant::now();
            self.shared.finished.fetch_add(1, Ordering::Relaxed);
            let outcome = outcome.map(|(pair, reply)| load.ack(pair, reply));
            load.log
                .record(&self.shared.plan.window, due, ended, outcome);
        }
    }

    /// Sends one message from one member of a random pair to the other.
    async fn send(&mut self, ticket: u64) -> Result<(u32, SendResponse), Failure> {
        let shared = &self.shared;
        let index = self.rng.below(shared.pairs.len() as u64) as u32;
        let pair = shared.pairs[index as usize];
        let (from, to) = if self.rng.next_u64() & 1 == 0 {
            (pair.a, pair.b)
        } else {
            (pair.b, pair.a)
        };
        let request = SendRequest {
            actor_id: from,
            kind: ConversationKind::Direct as i32,
            target_id: to,
            client_msg_id: format!("{}{ticket}", shared.client_prefix),
            content: Some(MessageContent {
                body: Some(Body::Text(TextContent {
                    text: format!("{ticket:012} {}", shared.filler),
                })),
            }),
            origin_session_id: String::new(),
        };
        match tokio::time::timeout(shared.timeout, self.client.send(request)).await {
            Ok(Ok(reply)) => Ok((index, reply.into_inner())),
            Ok(Err(status)) => Err(grpc::failure(&status)),
            Err(_) => Err(grpc::timeout(shared.timeout)),
        }
    }
}

/// The conversations to read back: `wanted` of them spread over the pairs (0 = all) that
/// had at least one acknowledged send.
fn to_verify(pairs: &[Pair], load: &Load, wanted: usize) -> Vec<verify::Conversation> {
    verify::spread(pairs.len(), wanted)
        .into_iter()
        .filter_map(|index| {
            let key = index as u32;
            Some(verify::Conversation {
                reader: pairs[index].a,
                id: load.conversation_ids.get(&key)?.clone(),
                acked: load.acked.get(&key).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

fn report(
    args: &MessageArgs,
    run_id: &str,
    started_at_ms: i64,
    log: Log,
    usage: Usage,
    verification: Verification,
) -> Report {
    let (summary, timeline) = log.summarize(args.duration);
    let targets = vec![
        Target {
            label: "throughput (sends/s)".into(),
            comparison: Comparison::AtLeast,
            threshold: TARGET_SENDS_PER_S,
            actual: summary.throughput_per_s,
        },
        Target {
            label: "p99 latency (ms)".into(),
            comparison: Comparison::AtMost,
            threshold: TARGET_P99_MS,
            actual: summary.latency_us.p99 as f64 / 1000.0,
        },
    ];
    Report {
        scenario: "message".into(),
        description: DESCRIPTION.into(),
        operation: "send".into(),
        started_at_ms,
        machine: machine::describe(),
        git: Git {
            commit: args.run.commit.clone(),
            dirty: args.run.dirty,
        },
        stack_profile: args.run.stack_profile.clone(),
        load: load_shape(args),
        config: config(args, run_id),
        window: crate::report::Window {
            warmup_s: args.warmup.as_secs_f64(),
            measured_s: args.duration.as_secs_f64(),
        },
        summary,
        verification: Some(verification),
        timeline,
        processes: usage.processes,
        machine_cpu: usage.machine,
        targets,
        extra: Vec::new(),
        recovery: None,
    }
}

fn load_shape(args: &MessageArgs) -> String {
    let pacing = match args.rate {
        0 => "closed loop (each slot sends again as soon as answered)".to_owned(),
        rate => format!("open loop at {rate} sends/s"),
    };
    format!(
        "{pacing}, at most {} sends in flight over {} HTTP/2 connections, {} pairs of friends, \
         {}-byte texts",
        args.concurrency, args.channels, args.pairs, args.message_bytes
    )
}

/// The flags as they ran, so a report says how to repeat it.
fn config(args: &MessageArgs, run_id: &str) -> serde_json::Value {
    serde_json::json!({
        "run_id": run_id,
        "message_addr": args.message_addr,
        "account_addr": args.account_addr,
        "pairs": args.pairs,
        "concurrency": args.concurrency,
        "duration_s": args.duration.as_secs_f64(),
        "warmup_s": args.warmup.as_secs_f64(),
        "rate": args.rate,
        "channels": args.channels,
        "message_bytes": args.message_bytes,
        "verify_pairs": args.verify_pairs,
        "timeout_s": args.timeout.as_secs_f64(),
        "threads": args.run.threads,
    })
}

/// Prints the tables, writes the report, and says whether the read-back passed.
fn finish(args: &MessageArgs, report: &Report) -> anyhow::Result<bool> {
    println!("\n{}", render::markdown::results_table(report));
    println!("{}", render::markdown::targets_table(report));
    println!("{}", render::markdown::process_table(report));
    if let Some(path) = &args.run.out {
        render::write_report(path, report)?;
        println!("report written to {}", path.display());
    }
    Ok(report
        .verification
        .as_ref()
        .is_none_or(Verification::passed))
}

fn secs(duration: Duration) -> String {
    format!("{:.0} s", duration.as_secs_f64())
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}
