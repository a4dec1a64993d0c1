//! The `connect` scenario: many authenticated WebSockets through OpenResty, opened a bounded
//! number at a time and held; reports how fast they opened, how many failed, and how much
//! resident memory the gateways gained per session.
//!
//! Past 20,000 sessions one load-generator process runs out of open files (the hard limit
//! here) and one source address out of ephemeral ports (about 28,000 per destination), so
//! `--processes` splits the sessions over child processes and `--public-ip` spreads them
//! over OpenResty's loopback addresses (it listens on 127.0.0.1 to 127.0.0.5).

mod children;
pub(crate) mod memory;
mod worker;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use chat_common::flags::parse_duration;
use clap::Args;

use crate::cli::RunArgs;
use crate::outcome::{self, Meta, Usage};
use crate::recorder::{Failure, Log, Window};
use crate::report::Figure;
use crate::sampler::Sampler;
use crate::wsargs::WsArgs;
use crate::{grpc, stack, usercache};
use worker::{Plan, Slice};

const DESCRIPTION: &str = "Many authenticated WebSockets through OpenResty, opened a bounded \
number at a time and held: one operation is one session opened (handshake and `hello`), \
its latency that handshake; the gateways' resident memory is read before and while all \
sessions are open, for the memory one session costs. Users are kept across runs (each \
holds several sessions, up to the gateways' device limit).";

/// The goals: 100,000 sessions at no more than 10 KiB of gateway memory each.
const TARGET_SESSIONS: f64 = 100_000.0;
const TARGET_KIB_PER_SESSION: f64 = 10.0;

/// Flags of the `connect` scenario.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Sessions to open and hold.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub sessions: u32,

    /// Sessions per user (the gateways keep at most 5 per user by default).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub sessions_per_user: u32,

    /// Load-generator processes to spread the sessions over (each holds at most 20,000 open
    /// files); 1 opens them in this process.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub processes: u32,

    /// Address of OpenResty to connect to instead of the server's, repeatable (127.0.0.1 to
    /// 127.0.0.5 listen); sessions take them in turn. Each destination address has its own
    /// ephemeral ports. (Binding source addresses instead reserves ports that OpenResty's own
    /// connections to the gateways then cannot use: it stalled near 71,000 sessions.)
    #[arg(long = "public-ip", value_name = "IP")]
    pub public_ips: Vec<IpAddr>,

    /// How long every session stays open before the gateways' memory is read.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub hold: Duration,

    /// Names of the users kept across runs (`lg<prefix>u<n>`).
    #[arg(long, default_value = "conn")]
    pub users_prefix: String,

    /// Forget the kept users and tokens and sign in new ones.
    #[arg(long)]
    pub fresh_users: bool,

    /// Internal: this process is a worker opening sessions START:END.
    #[arg(long, hide = true, value_name = "START:END")]
    pub worker_slice: Option<String>,

    #[command(flatten)]
    pub ws: WsArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs the scenario (or, with `--worker-slice`, one worker of it).
pub async fn run(args: ConnectArgs) -> anyhow::Result<bool> {
    if let Some(slice) = &args.worker_slice {
        let (start, end) = parse_slice(slice)?;
        children::serve(&args, start, end).await?;
        return Ok(true);
    }
    let started_at_ms = outcome::unix_ms();
    prepare_users(&args).await?;
    let measured = measure(&args).await?;
    let meta = meta(&args, started_at_ms, measured.opened_in);
    let sessions = held_sessions(&measured.log);
    let per_session = measured.kib_per_session;
    let mut report = outcome::report(meta, &args.run, measured.log, measured.usage, None, |_| {
        vec![
            outcome::at_least("sessions held", TARGET_SESSIONS, sessions),
            outcome::at_most(
                "gateway RSS per session (KiB)",
                TARGET_KIB_PER_SESSION,
                per_session,
            ),
        ]
    });
    report.extra = measured.extra;
    outcome::finish(&args.run, &report)
}

/// What opening and holding the sessions showed.
struct Measured {
    log: Log,
    usage: Usage,
    kib_per_session: f64,
    extra: Vec<Figure>,
    opened_in: Duration,
}

/// Opens every session, holds them, reads the gateways' memory, closes them.
async fn measure(args: &ConnectArgs) -> anyhow::Result<Measured> {
    let gateways = memory::Gateways::find(&args.run.watch);
    let before = gateways.rss_kib();
    let sampler = Sampler::new(args.run.watch.clone());
    let cpu_before = sampler.snapshot();
    let began = Instant::now();
    let held = open_all(args).await?;
    // CPU over exactly the opening, the span the report's rates are per.
    let cpu_after = sampler.snapshot();
    let opened_in = held.last_end.saturating_duration_since(began);
    println!(
        "connect: {} open, {} failed in {:.1} s; holding {:.0} s",
        held.opened(),
        held.failed(),
        opened_in.as_secs_f64(),
        args.hold.as_secs_f64()
    );
    tokio::time::sleep(args.hold).await;
    let growth = memory::Growth::new(before, gateways.rss_kib(), held.opened());
    let measured = Measured {
        log: held.log(began),
        usage: Usage {
            processes: sampler.usage(&cpu_before, &cpu_after),
            machine: sampler.machine(&cpu_before, &cpu_after),
        },
        kib_per_session: growth.kib_per_session(),
        extra: memory::figures(&growth, &held.slices, &gateways),
        opened_in,
    };
    held.close().await?;
    Ok(measured)
}

fn held_sessions(log: &Log) -> f64 {
    log.samples.iter().filter(|sample| sample.ok).count() as f64
}

fn parse_slice(text: &str) -> anyhow::Result<(usize, usize)> {
    let (start, end) = text
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("--worker-slice {text}: not START:END"))?;
    Ok((start.parse()?, end.parse()?))
}

/// The kept users (signing in whatever is missing).
async fn prepare_users(args: &ConnectArgs) -> anyhow::Result<()> {
    let path = usercache::path(&stack::run_dir(), &args.users_prefix);
    if args.fresh_users {
        let _ = std::fs::remove_file(&path);
    }
    let users = (args.sessions as usize).div_ceil(args.sessions_per_user as usize);
    let began = Instant::now();
    let account = grpc::connect(&args.ws.account_addr).await?;
    let concurrency = args.ws.setup_concurrency as usize;
    usercache::ensure(account, &path, &args.users_prefix, users, concurrency).await?;
    println!(
        "setup: {users} users ready in {:.1} s ({} sessions each)",
        began.elapsed().as_secs_f64(),
        args.sessions_per_user
    );
    Ok(())
}

/// Sessions being held, here or in child processes.
struct Held {
    slices: Vec<(Instant, Slice)>,
    local: Vec<crate::ws::session::Session>,
    workers: Vec<children::Worker>,
    last_end: Instant,
}

impl Held {
    fn opened(&self) -> usize {
        self.slices.iter().map(|(_, s)| s.opened.len()).sum()
    }

    fn failed(&self) -> usize {
        self.slices.iter().map(|(_, s)| s.failed.len()).sum()
    }

    /// Every session as an operation of a window that opened at `began`.
    fn log(&self, began: Instant) -> Log {
        let window = Window {
            start: began,
            end: self.last_end,
        };
        let mut log = Log::default();
        for (origin, slice) in &self.slices {
            let at = |us: u64| *origin + Duration::from_micros(us);
            for (start, end) in &slice.opened {
                log.record(&window, at(*start), at(*end), Ok(()));
            }
            for (index, (start, end)) in slice.failed.iter().enumerate() {
                let samples = &slice.failure_samples;
                let message = samples
                    .get(index)
                    .or(samples.first())
                    .cloned()
                    .unwrap_or_default();
                let failure = Failure {
                    code: "ConnectFailed".into(),
                    message,
                };
                log.record(&window, at(*start), at(*end), Err(failure));
            }
        }
        log
    }

    async fn close(self) -> anyhow::Result<()> {
        drop(self.local);
        for worker in self.workers {
            worker.finish().await?;
        }
        Ok(())
    }
}

/// Opens every session: in this process, or split over `--processes` children.
async fn open_all(args: &ConnectArgs) -> anyhow::Result<Held> {
    let total = args.sessions as usize;
    if args.processes <= 1 {
        let path = usercache::path(&stack::run_dir(), &args.users_prefix);
        let plan = Plan {
            start: 0,
            end: total,
            per_user: args.sessions_per_user as usize,
            public_ips: args.public_ips.clone(),
        };
        let origin = Instant::now();
        let (local, slice) = worker::open(&args.ws.dial()?, &usercache::load(&path), &plan).await;
        return Ok(Held {
            slices: vec![(origin, slice)],
            local,
            workers: Vec::new(),
            last_end: Instant::now(),
        });
    }
    let workers = spawn_all(args, total)?;
    collect(workers).await
}

fn spawn_all(args: &ConnectArgs, total: usize) -> anyhow::Result<Vec<children::Worker>> {
    let count = args.processes as usize;
    let public_ips: Vec<String> = args.public_ips.iter().map(IpAddr::to_string).collect();
    (0..count)
        .map(|index| {
            let (start, end) = (index * total / count, (index + 1) * total / count);
            // Each child takes its own share of the source addresses (all when too few).
            let mine: Vec<String> = public_ips
                .iter()
                .enumerate()
                .filter(|(i, _)| public_ips.len() < count || i % count == index)
                .map(|(_, ip)| ip.clone())
                .collect();
            children::spawn(args, start, end, &mine)
        })
        .collect()
}

async fn collect(mut workers: Vec<children::Worker>) -> anyhow::Result<Held> {
    let mut slices = Vec::with_capacity(workers.len());
    for worker in &mut workers {
        slices.push((worker.started, worker.report().await?));
    }
    Ok(Held {
        slices,
        local: Vec::new(),
        workers,
        last_end: Instant::now(),
    })
}

fn meta(args: &ConnectArgs, started_at_ms: i64, opened_in: Duration) -> Meta {
    let mut config = args.ws.config();
    config["sessions"] = args.sessions.into();
    config["sessions_per_user"] = args.sessions_per_user.into();
    config["processes"] = args.processes.into();
    config["public_ips"] = args
        .public_ips
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .into();
    config["hold_s"] = args.hold.as_secs_f64().into();
    config["users_prefix"] = args.users_prefix.clone().into();
    Meta {
        scenario: "connect",
        description: DESCRIPTION,
        operation: "session",
        load: format!(
            "{} sessions ({} per user) through OpenResty, at most {} handshakes at once, from \
             {} load-generator process(es){}, held {:.0} s",
            args.sessions,
            args.sessions_per_user,
            args.ws.connect_concurrency,
            args.processes,
            match args.public_ips.len() {
                0 => String::new(),
                n => format!(" and {n} addresses of OpenResty"),
            },
            args.hold.as_secs_f64()
        ),
        config,
        warmup: Duration::ZERO,
        duration: opened_in.max(Duration::from_millis(1)),
        started_at_ms,
    }
}
