//! Flags. Every scenario flattens [`RunArgs`] (report path, processes to watch, provenance),
//! so `cargo xtask bench <scenario>` drives them all the same way.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::connect::ConnectArgs;
use crate::direct::DirectArgs;
use crate::failover::FailoverArgs;
use crate::files::FilesArgs;
use crate::group::GroupArgs;
use crate::sampler::WatchSpec;
use crate::sync::SyncArgs;
use chat_common::flags::parse_duration;

/// Load generator of the chat cluster: measures throughput, latency percentiles, errors and
/// lost messages, plus the CPU and memory each watched process spent.
#[derive(Debug, Parser)]
#[command(name = "chat-loadgen", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sustained 1:1 text sends through the message service's gRPC API (Send), then a check
    /// that every acknowledged message is stored with gap-free sequence numbers.
    Message(Box<MessageArgs>),
    /// 1:1 messages between pairs of friends over WebSockets through OpenResty: deliveries
    /// per second, send-to-frame latency, and a REST read-back (lost and gaps).
    Direct(Box<DirectArgs>),
    /// One group of many members, all online over WebSockets, a few posting: deliveries per
    /// second and post-to-frame latency, and a REST read-back of every member's view.
    Group(Box<GroupArgs>),
    /// A user with many unread messages logs in and catches up: time until fully synced.
    Sync(Box<SyncArgs>),
    /// The direct load through the client library while the busiest gateway is killed:
    /// reconnect and resync times, and a REST read-back (lost and gaps).
    Failover(Box<FailoverArgs>),
    /// Many authenticated WebSockets held open: connect rate, failures and the gateways'
    /// memory per session.
    Connect(Box<ConnectArgs>),
    /// Uploads and downloads of 1 and 50 MiB files through OpenResty and the gateway, beside
    /// OpenResty alone: MB/s, latency, CPU per MB and the gateways' memory while files stream.
    Files(Box<FilesArgs>),
    /// Renders every <scenario>.json report of a directory to <scenario>.md and
    /// <scenario>.svg, and rewrites the directory's README.md with the latest table of each.
    Render(RenderArgs),
    /// Writes the rate ladder of one scenario (one row per `--rate` run, CPU per message of
    /// every process) from the reports of a directory; for `failover`, one row per fault.
    Ladder(LadderArgs),
}

/// Flags of the `message` scenario.
#[derive(Debug, Args)]
pub struct MessageArgs {
    /// The message service's gRPC address.
    #[arg(long, default_value = "127.0.0.1:50053")]
    pub message_addr: String,

    /// The account service's gRPC address (users and friendships are made there first).
    #[arg(long, default_value = "127.0.0.1:50052")]
    pub account_addr: String,

    /// Pairs of friends to create; every send goes from one member of a random pair to the
    /// other, so this is the number of conversations written to.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    pub pairs: u32,

    /// Sends in flight at once (one worker task per slot, many sends per task).
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub concurrency: u32,

    /// Length of the measured window (e.g. 30s, 2m).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Load before the measured window, not recorded (connections, caches and pools warm up).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// Total target sends per second; 0 sends as fast as the concurrency allows (closed
    /// loop). With a rate the load is open loop: latency counts from each send's scheduled
    /// time, so a stalled server is not hidden by sends that were never issued.
    #[arg(long, default_value_t = 0)]
    pub rate: u32,

    /// HTTP/2 connections to the message service to spread the sends over.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub channels: u32,

    /// Bytes of text in each message.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(16..=8192))]
    pub message_bytes: u32,

    /// Conversations whose history is pulled and checked at the end; 0 checks them all.
    #[arg(long, default_value_t = 0)]
    pub verify_pairs: u32,

    /// Registrations, friendships and pulls in flight at once during setup and verification
    /// (password hashing makes each registration cost the account service some milliseconds).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub setup_concurrency: u32,

    /// A send that takes longer counts as an error (`ClientTimeout`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    #[command(flatten)]
    pub run: RunArgs,
}

/// Flags every scenario shares: where the report goes and what it records besides the load.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Write the JSON report here (render it with `chat-loadgen render`).
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// A process to measure over the measured window, as NAME=PID[,PID...] (several pids are
    /// summed, e.g. nginx's master and workers). Repeatable. The load generator itself is
    /// always measured.
    #[arg(long = "watch", value_name = "NAME=PIDS", value_parser = WatchSpec::parse)]
    pub watch: Vec<WatchSpec>,

    /// The git commit the stack was built from, recorded in the report.
    #[arg(long)]
    pub commit: Option<String>,

    /// The checkout had uncommitted changes when the stack was built.
    #[arg(long)]
    pub dirty: bool,

    /// The stack's build profile (release, debug), recorded in the report.
    #[arg(long)]
    pub stack_profile: Option<String>,

    /// Runtime worker threads (default: one per CPU). The load generator shares the machine
    /// with the stack, so fewer threads leave more for the services.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

/// Flags of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The directory holding the <scenario>.json reports.
    #[arg(long, default_value = "docs/benchmarks")]
    pub dir: PathBuf,
}

/// Flags of `ladder`.
#[derive(Debug, Args)]
pub struct LadderArgs {
    /// The directory holding one report per rate (per fault for `failover`).
    #[arg(long)]
    pub dir: PathBuf,

    /// The scenario whose reports make the ladder.
    #[arg(long, default_value = "direct")]
    pub scenario: String,

    /// The Markdown page to write.
    #[arg(long)]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn flags_are_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn message_defaults_match_the_benchmark_plan() {
        let cli = Cli::try_parse_from(["chat-loadgen", "message"]).unwrap();
        let Command::Message(args) = cli.command else {
            panic!("not the message scenario");
        };
        assert_eq!(args.pairs, 200);
        assert_eq!(args.concurrency, 512);
        assert_eq!(args.duration, Duration::from_secs(30));
        assert_eq!(args.warmup, Duration::from_secs(5));
        assert_eq!(args.rate, 0);
        assert_eq!(args.channels, 4);
        assert_eq!(args.message_addr, "127.0.0.1:50053");
    }
}
