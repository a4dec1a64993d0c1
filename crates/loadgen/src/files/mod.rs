//! The `files` scenario (issue 16): uploads and downloads through OpenResty and the gateway,
//! beside the same transfers with OpenResty alone (a static file it serves, a sink that reads
//! an upload and drops it), which is the limit of the path on this machine. For each file size
//! four points run one after another, each a closed loop of `--in-flight` transfers: MB/s,
//! files/s, latency, CPU per MB of every process, and the gateways' resident memory while the
//! files stream (it must stay flat: the gateway streams, it never holds a whole file).

mod point;
mod static_file;
mod transfer;

use std::time::{Duration, Instant};

use chat_common::flags::parse_duration;
use clap::Args;
use hyper::Method;

use crate::cli::RunArgs;
use crate::connect::memory::Gateways;
use crate::outcome::{self, Meta, Usage};
use crate::recorder::{Log, Window};
use crate::render::text::{mib, ms};
use crate::report::{Figure, Target};
use crate::sampler::Sampler;
use crate::users::Account;
use crate::{grpc, setup, stats, users};
use point::{Measured, Spec, Timing};
use transfer::{Http, Job};

const DESCRIPTION: &str = "Uploads (`POST /api/v1/files`, raw body) and downloads \
(`GET /api/v1/files/{id}`) through OpenResty and a gateway, one file size at a time, beside \
the same transfers with OpenResty alone (a static file it serves; a sink that reads an upload \
and drops it): the limit of this path on this machine. Each point is a closed loop of \
transfers in flight; MB/s counts bytes moved inside its window (MB = 10^6 bytes), latency is \
one whole transfer. The first rows pool every point; the rows after them are per point, with \
the CPU each process spent per MB and the gateways' resident memory while the files streamed.";

/// Bytes in a MiB.
const MIB: u64 = 1024 * 1024;

/// Flags of the `files` scenario.
#[derive(Debug, Args)]
pub struct FilesArgs {
    /// File sizes in MiB, each run up and down through the gateway and OpenResty alone (at
    /// most 100: the `file` kind's limit).
    #[arg(long = "sizes-mib", value_delimiter = ',', default_value = "1,50",
          value_parser = clap::value_parser!(u64).range(1..=100))]
    pub sizes_mib: Vec<u64>,

    /// Transfers in flight at once (one keep-alive connection each).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub in_flight: u32,

    /// Measured window of each point.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Load before each point's window, not measured (the slots' starts are spread over it).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// After a window, how long the transfers still in flight may take (their latency counts,
    /// their bytes do not); then they are dropped.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub drain: Duration,

    /// A transfer that takes longer fails (`ClientTimeout`).
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// The public entry (OpenResty) for the API.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub server: String,

    /// The OpenResty serving `/_bench/` (the baseline); by default `--server`.
    #[arg(long)]
    pub static_server: Option<String>,

    /// Where that OpenResty serves `/_bench/` from (the static files are written there);
    /// by default `openresty/bench` under the run directory, as `cargo xtask up` renders it.
    #[arg(long)]
    pub static_dir: Option<std::path::PathBuf>,

    /// Leave out the OpenResty-alone points.
    #[arg(long)]
    pub no_baseline: bool,

    /// The account service's gRPC address (the run's users are made there).
    #[arg(long, default_value = "127.0.0.1:50052")]
    pub account_addr: String,

    /// Registrations and logins in flight at once during setup (argon2 each).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub setup_concurrency: u32,

    #[command(flatten)]
    pub run: RunArgs,
}

impl FilesArgs {
    fn static_server(&self) -> &str {
        self.static_server.as_deref().unwrap_or(&self.server)
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.server.trim_end_matches('/'))
    }

    fn timing(&self) -> Timing {
        Timing {
            warmup: self.warmup,
            duration: self.duration,
            drain: self.drain,
        }
    }
}

/// Which way and through what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Gateway,
    Alone,
}

/// A point's place in the plan.
#[derive(Debug, Clone, Copy)]
struct Place {
    upload: bool,
    route: Route,
    bytes: u64,
}

impl Place {
    fn label(&self) -> String {
        format!(
            "{} {} MiB {}",
            if self.upload { "upload" } else { "download" },
            self.bytes / MIB,
            match self.route {
                Route::Gateway => "through the gateway",
                Route::Alone => "with OpenResty alone",
            }
        )
    }
}

/// Runs the scenario; always `Ok(true)` once it ran (there is no read-back to fail).
pub async fn run(args: FilesArgs) -> anyhow::Result<bool> {
    let started_at_ms = outcome::unix_ms();
    let run_id = setup::run_id();
    let http = Http::new(args.timeout);
    let plan = plan(&args);
    let uploaders = uploaders(&args, &plan);
    println!(
        "setup: run {run_id}: {} points, {uploaders} uploading users and one owner of the \
         downloaded files",
        plan.len()
    );
    let channel = grpc::connect(&args.account_addr).await?;
    let accounts = users::sign_up(
        channel,
        &run_id,
        0,
        uploaders + 1,
        args.setup_concurrency as usize,
    )
    .await?;
    let gateways = Gateways::find(&args.run.watch);
    let idle_rss = gateways.rss_kib();
    let sampler = Sampler::new(args.run.watch.clone());
    let mut measured = Vec::new();
    let mut next_uploader = 1;
    let mut total_start = None;
    for size in &args.sizes_mib {
        let bytes = size * MIB;
        let data = static_file::content(bytes);
        let file_id = sources(&args, &http, &accounts, &data).await?;
        for place in plan.iter().filter(|place| place.bytes == bytes) {
            let jobs = (0..args.in_flight as usize)
                .map(|slot| {
                    let user = slot_user(&accounts, place, next_uploader, slot);
                    job(&args, place, &data, file_id, user)
                })
                .collect();
            if place.upload && place.route == Route::Gateway {
                next_uploader += args.in_flight as usize;
            }
            let spec = Spec {
                label: place.label(),
                jobs,
            };
            println!("point: {} ({} in flight)", spec.label, args.in_flight);
            let before = sampler.snapshot();
            let result = point::run(&http, spec, args.timing(), &sampler, &gateways).await;
            total_start.get_or_insert((result.window.start - args.warmup, before));
            print_point(&result, *place);
            measured.push((*place, result));
        }
    }
    let Some((first_start, cpu_before)) = total_start else {
        anyhow::bail!("no point to run (--sizes-mib is empty)");
    };
    let cpu_after = sampler.snapshot();
    let whole = Window {
        start: first_start,
        end: Instant::now(),
    };
    let usage = Usage {
        processes: sampler.usage(&cpu_before, &cpu_after),
        machine: sampler.machine(&cpu_before, &cpu_after),
    };
    let log = pooled_log(&measured, &whole);
    let span = whole.end.saturating_duration_since(whole.start);
    let growth = rss_growth(&args, &measured, idle_rss);
    let mut report = outcome::report(
        meta(&args, &run_id, started_at_ms, span),
        &args.run,
        log,
        usage,
        None,
        |_| targets(&growth),
    );
    report.extra = figures(&args, &measured, idle_rss, &growth);
    outcome::finish(&args.run, &report)
}

/// Per size: up and down through the gateway, then the same with OpenResty alone.
fn plan(args: &FilesArgs) -> Vec<Place> {
    let mut plan = Vec::new();
    for size in &args.sizes_mib {
        for upload in [true, false] {
            for route in [Route::Gateway, Route::Alone] {
                if route == Route::Alone && args.no_baseline {
                    continue;
                }
                plan.push(Place {
                    upload,
                    route,
                    bytes: size * MIB,
                });
            }
        }
    }
    plan
}

/// Users uploading through the gateway: a fresh one per slot and size, so that no user's
/// quota (1 GiB by default) runs out within a point.
fn uploaders(args: &FilesArgs, plan: &[Place]) -> usize {
    let points = plan
        .iter()
        .filter(|place| place.upload && place.route == Route::Gateway)
        .count();
    points * args.in_flight as usize
}

/// The file the downloads of one size fetch: uploaded once through the gateway by the first
/// user, and written where OpenResty serves the static copy.
async fn sources(
    args: &FilesArgs,
    http: &Http,
    accounts: &[Account],
    data: &bytes::Bytes,
) -> anyhow::Result<u64> {
    if !args.no_baseline {
        let dir = args
            .static_dir
            .clone()
            .unwrap_or_else(static_file::default_dir);
        static_file::write(&dir, data)?;
    }
    let owner = accounts.first().map(|account| account.token.clone());
    let upload = Job {
        method: Method::POST,
        url: args.api(&format!("files?kind=file&name=bench-{}.bin", data.len())),
        token: owner,
        body: data.clone(),
        expect: 0,
    };
    http.upload(&upload).await
}

/// Who a slot acts as: an upload point's slots each as a user of their own (from
/// `first_uploader` on), downloads as the files' owner, the first user (the only one who may
/// fetch a file no message carries).
fn slot_user<'a>(
    accounts: &'a [Account],
    place: &Place,
    first_uploader: usize,
    slot: usize,
) -> Option<&'a Account> {
    if place.upload {
        accounts.get(first_uploader + slot)
    } else {
        accounts.first()
    }
}

fn job(
    args: &FilesArgs,
    place: &Place,
    data: &bytes::Bytes,
    file_id: u64,
    user: Option<&Account>,
) -> Job {
    let (method, url, body) = match (place.upload, place.route) {
        (true, Route::Gateway) => (
            Method::POST,
            args.api(&format!("files?kind=file&name=bench-{}.bin", place.bytes)),
            data.clone(),
        ),
        (true, Route::Alone) => (
            Method::POST,
            static_file::sink_url(args.static_server()),
            data.clone(),
        ),
        (false, Route::Gateway) => (
            Method::GET,
            args.api(&format!("files/{file_id}")),
            bytes::Bytes::new(),
        ),
        (false, Route::Alone) => (
            Method::GET,
            static_file::url(args.static_server(), place.bytes),
            bytes::Bytes::new(),
        ),
    };
    let token = match place.route {
        Route::Gateway => user.map(|account| account.token.clone()),
        Route::Alone => None,
    };
    Job {
        method,
        url,
        token,
        body,
        expect: place.bytes,
    }
}

/// A point's figures: successful transfers and their latencies, errors, MB/s.
struct Figures {
    transfers: u64,
    errors: u64,
    mb_per_s: f64,
    latency: crate::report::Latency,
}

fn figures_of(result: &Measured) -> Figures {
    let window = &result.window;
    let in_window = |ended: Instant| ended > window.start && ended <= window.end;
    let mut latencies: Vec<u32> = result
        .done
        .iter()
        .filter(|done| done.outcome.is_ok() && in_window(done.ended))
        .map(|done| {
            (done.ended - done.started)
                .as_micros()
                .min(u128::from(u32::MAX)) as u32
        })
        .collect();
    let errors = result
        .done
        .iter()
        .filter(|done| done.outcome.is_err() && in_window(done.ended))
        .count() as u64;
    let seconds = (window.end - window.start).as_secs_f64().max(1e-9);
    Figures {
        transfers: latencies.len() as u64,
        errors,
        mb_per_s: result.bytes as f64 / 1e6 / seconds,
        latency: stats::summarize(&mut latencies),
    }
}

fn print_point(result: &Measured, place: Place) {
    let figures = figures_of(result);
    println!(
        "  {}: {:.1} MB/s, {} {} MiB transfers, p50 {}, p99 {}, {} errors",
        result.label,
        figures.mb_per_s,
        figures.transfers,
        place.bytes / MIB,
        ms(figures.latency.p50),
        ms(figures.latency.p99),
        figures.errors
    );
    let samples: Vec<String> = result
        .done
        .iter()
        .filter_map(|done| done.outcome.as_ref().err())
        .map(|failure| format!("{}: {}", failure.code, failure.message))
        .take(3)
        .collect();
    for sample in samples {
        println!("  error: {sample}");
    }
}

/// Every point's transfers that finished inside its window, as one log over the whole run
/// (the chart shows the points one after another).
fn pooled_log(measured: &[(Place, Measured)], whole: &Window) -> Log {
    let mut log = Log::default();
    for (_, result) in measured {
        let window = &result.window;
        for done in &result.done {
            if done.ended > window.start && done.ended <= window.end {
                log.record(whole, done.started, done.ended, done.outcome.clone());
            }
        }
    }
    log
}

/// The gateways' RSS growth over idle while the largest files streamed through them.
struct Growth {
    size_mib: u64,
    per_transfer_mib: Option<f64>,
}

fn rss_growth(args: &FilesArgs, measured: &[(Place, Measured)], idle: Option<u64>) -> Growth {
    let size_mib = args.sizes_mib.iter().copied().max().unwrap_or(0);
    let peak = measured
        .iter()
        .filter(|(place, _)| place.route == Route::Gateway && place.bytes == size_mib * MIB)
        .filter_map(|(_, result)| result.rss.max)
        .max();
    let per_transfer_mib = match (idle, peak) {
        (Some(idle), Some(peak)) => {
            Some(peak.saturating_sub(idle) as f64 / 1024.0 / f64::from(args.in_flight.max(1)))
        }
        _ => None,
    };
    Growth {
        size_mib,
        per_transfer_mib,
    }
}

/// The gateway streams: what it gains per transfer in flight stays well under one file (half
/// of it; a gateway that buffered files would gain the whole file per transfer).
fn targets(growth: &Growth) -> Vec<Target> {
    let Some(actual) = growth.per_transfer_mib else {
        return Vec::new();
    };
    vec![outcome::at_most(
        &format!(
            "gateway RSS gained per {} MiB transfer in flight (MiB)",
            growth.size_mib
        ),
        growth.size_mib as f64 / 2.0,
        actual,
    )]
}

/// One row per point, one row of CPU per MB per point, and the gateways' memory.
fn figures(
    args: &FilesArgs,
    measured: &[(Place, Measured)],
    idle: Option<u64>,
    growth: &Growth,
) -> Vec<Figure> {
    let mut rows = Vec::new();
    for (place, result) in measured {
        let figures = figures_of(result);
        let alone = measured
            .iter()
            .find(|(other, _)| {
                other.route == Route::Alone
                    && other.upload == place.upload
                    && other.bytes == place.bytes
            })
            .map(|(_, other)| figures_of(other).mb_per_s);
        let share = match (place.route, alone) {
            (Route::Gateway, Some(alone)) if alone > 0.0 => {
                format!(
                    " ({:.0}% of OpenResty alone)",
                    100.0 * figures.mb_per_s / alone
                )
            }
            _ => String::new(),
        };
        rows.push(Figure::new(
            place.label(),
            format!(
                "**{:.0} MB/s**{share}, {:.1} files/s, p50 {}, p99 **{}**, {} errors",
                figures.mb_per_s,
                figures.transfers as f64 / args.duration.as_secs_f64().max(1e-9),
                ms(figures.latency.p50),
                ms(figures.latency.p99),
                figures.errors
            ),
        ));
    }
    for (place, result) in measured {
        rows.push(Figure::new(
            format!("CPU ms per MB, {}", place.label()),
            cpu_per_mb(result),
        ));
    }
    for (place, result) in measured
        .iter()
        .filter(|(place, _)| place.route == Route::Gateway)
    {
        let rss = &result.rss;
        let show = |kib: Option<u64>| kib.map(mib).unwrap_or_else(|| "?".into());
        rows.push(Figure::new(
            format!("gateway RSS, {}", place.label()),
            format!(
                "window start {}, max {}, end {}",
                show(rss.start),
                show(rss.max),
                show(rss.end)
            ),
        ));
    }
    let idle = idle.map(mib).unwrap_or_else(|| {
        "unknown (no gateway pid: run through `cargo xtask bench` or pass --watch)".into()
    });
    let growth = growth
        .per_transfer_mib
        .map(|per| format!("; {per:.1} MiB gained per transfer in flight at the peak"))
        .unwrap_or_default();
    rows.push(Figure::new(
        "gateway RSS idle (all gateways)",
        format!("{idle}{growth}"),
    ));
    rows
}

/// CPU milliseconds each watched process (the gateways together) spent per MB moved.
fn cpu_per_mb(result: &Measured) -> String {
    // Under one MB moved the quotient says nothing (a point whose every transfer failed).
    if result.bytes < 1_000_000 {
        return "no data moved".to_owned();
    }
    let mb = result.bytes as f64 / 1e6;
    let mut columns: Vec<(String, f64)> = Vec::new();
    for usage in &result.usage {
        let name = if usage.name.starts_with("gateway") {
            "gateways".to_owned()
        } else {
            usage.name.clone()
        };
        let cpu = usage.cpu_s.unwrap_or(0.0);
        match columns.iter_mut().find(|(column, _)| *column == name) {
            Some((_, total)) => *total += cpu,
            None => columns.push((name, cpu)),
        }
    }
    let mut parts: Vec<String> = columns
        .iter()
        .filter(|(_, cpu)| cpu * 1000.0 / mb >= 0.005)
        .map(|(name, cpu)| format!("{name} {:.2}", cpu * 1000.0 / mb))
        .collect();
    if let Some(machine) = &result.machine {
        parts.push(format!("whole machine {:.2}", machine.busy_s * 1000.0 / mb));
    }
    parts.join(", ")
}

fn meta(args: &FilesArgs, run_id: &str, started_at_ms: i64, span: Duration) -> Meta {
    let sizes: Vec<String> = args.sizes_mib.iter().map(u64::to_string).collect();
    let config = serde_json::json!({
        "run_id": run_id,
        "sizes_mib": args.sizes_mib,
        "in_flight": args.in_flight,
        "duration_s": args.duration.as_secs_f64(),
        "warmup_s": args.warmup.as_secs_f64(),
        "drain_s": args.drain.as_secs_f64(),
        "timeout_s": args.timeout.as_secs_f64(),
        "server": args.server,
        "static_server": args.static_server(),
        "baseline": !args.no_baseline,
        "threads": args.run.threads,
    });
    Meta {
        scenario: "files",
        description: DESCRIPTION,
        operation: "transfer",
        load: format!(
            "closed loop, {} transfers in flight, files of {} MiB, each uploaded and downloaded \
             through the gateway{}; per point {:.0} s of warm-up, then {:.0} s measured, the \
             points one after another (the window below spans them all)",
            args.in_flight,
            sizes.join(" and "),
            if args.no_baseline {
                ""
            } else {
                " and with OpenResty alone"
            },
            args.warmup.as_secs_f64(),
            args.duration.as_secs_f64()
        ),
        config,
        warmup: args.warmup,
        duration: span,
        started_at_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> FilesArgs {
        let cli =
            crate::cli::Cli::try_parse_from([&["chat-loadgen", "files"], extra].concat()).unwrap();
        match cli.command {
            crate::cli::Command::Files(args) => *args,
            _ => panic!("not the files scenario"),
        }
    }

    #[test]
    fn defaults_match_the_issue() {
        let args = args(&[]);
        assert_eq!(args.sizes_mib, vec![1, 50]);
        assert_eq!(args.in_flight, 16);
        assert_eq!(args.duration, Duration::from_secs(20));
    }

    #[test]
    fn each_size_runs_four_points_and_uploaders_are_fresh_per_slot() {
        let args = args(&[]);
        let plan = plan(&args);
        assert_eq!(plan.len(), 8);
        assert_eq!(uploaders(&args, &plan), 32);
        assert_eq!(plan[0].label(), "upload 1 MiB through the gateway");
        assert_eq!(plan[3].label(), "download 1 MiB with OpenResty alone");
        let without = self::args(&["--no-baseline", "--sizes-mib", "50"]);
        assert_eq!(
            plan_labels(&without),
            [
                "upload 50 MiB through the gateway",
                "download 50 MiB through the gateway"
            ]
        );
    }

    #[test]
    fn uploads_use_the_slots_own_users_and_downloads_the_owner() {
        let accounts: Vec<Account> = (0..5)
            .map(|user_id| Account {
                user_id,
                token: format!("t{user_id}"),
            })
            .collect();
        let place = |upload| Place {
            upload,
            route: Route::Gateway,
            bytes: MIB,
        };
        let id = |account: Option<&Account>| account.map(|account| account.user_id);
        assert_eq!(id(slot_user(&accounts, &place(true), 3, 1)), Some(4));
        assert_eq!(id(slot_user(&accounts, &place(false), 3, 1)), Some(0));
        assert_eq!(id(slot_user(&accounts, &place(true), 3, 2)), None);
    }

    fn plan_labels(args: &FilesArgs) -> Vec<String> {
        plan(args).iter().map(Place::label).collect()
    }

    #[test]
    fn the_gateway_must_gain_less_than_half_a_file_per_transfer() {
        let met = targets(&Growth {
            size_mib: 50,
            per_transfer_mib: Some(15.0),
        });
        assert!(met[0].met());
        let buffered = targets(&Growth {
            size_mib: 50,
            per_transfer_mib: Some(50.0),
        });
        assert!(!buffered[0].met());
        assert!(
            targets(&Growth {
                size_mib: 50,
                per_transfer_mib: None
            })
            .is_empty()
        );
    }
}
