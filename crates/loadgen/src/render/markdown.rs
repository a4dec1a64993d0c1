//! Markdown: one page per scenario and the README that gathers the latest of each.

use std::fmt::Write;

use super::text::{cell, mib, ms, plural, thousands, utc};
use crate::report::Report;

/// `docs/benchmarks/<scenario>.md`.
pub fn page(report: &Report) -> String {
    let mut out = format!(
        "# Benchmark: {}\n\n{}\n\n",
        report.scenario, report.description
    );
    let _ = writeln!(out, "{}\n", provenance(report));
    if let Some(note) = interference(report) {
        let _ = writeln!(out, "{note}\n");
    }
    let _ = writeln!(out, "## Results\n\n{}", results_table(report));
    let _ = writeln!(out, "## Targets\n\n{}", targets_table(report));
    let _ = writeln!(
        out,
        "## Processes\n\nCPU time spent during the measured window (cores = CPU seconds per \
         second of the window); peak RSS is the high-water mark since each process started \
         (for the account service that includes hashing the passwords of the run's users). \
         *Everything else* is CPU no watched process used: other work on the machine, which \
         competes with the stack for the same cores.\n\n{}",
        process_table(report)
    );
    let _ = writeln!(
        out,
        "## Per second\n\n![p50 and p99 latency and throughput per second]({}.svg)\n",
        report.scenario
    );
    if !report.summary.error_samples.is_empty() {
        out.push_str("## Error samples\n\n");
        for sample in &report.summary.error_samples {
            let _ = writeln!(out, "- `{}`", sample.replace('`', "'"));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "## Configuration\n\n```json\n{}\n```",
        config_json(report)
    );
    out
}

/// When, on what and from which commit, with which flags summarised.
pub fn provenance(report: &Report) -> String {
    let machine = &report.machine;
    let commit = match &report.git.commit {
        Some(commit) => format!(
            "commit `{}`{}",
            commit.chars().take(12).collect::<String>(),
            if report.git.dirty {
                " (with uncommitted changes)"
            } else {
                ""
            }
        ),
        None => "commit unknown".to_owned(),
    };
    let memory = machine
        .mem_total_kib
        .map(|kib| format!(", {:.1} GiB RAM", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let cpu = machine
        .cpu_model
        .as_deref()
        .map(|model| format!(" ({model})"))
        .unwrap_or_default();
    format!(
        "Run {}, {commit}, {} stack, everything on one machine: {} cores{cpu}{memory}. \
         Load: {}; warm-up {:.0} s, then {:.0} s measured.",
        utc(report.started_at_ms),
        report.stack_profile.as_deref().unwrap_or("unknown"),
        machine.cores,
        report.load,
        report.window.warmup_s,
        report.window.measured_s,
    )
}

/// Other work on the machine above which a run's figures say more about the neighbours than
/// about the stack, in cores.
const INTERFERENCE_CORES: f64 = 0.2;

/// A warning when processes outside the stack used a noticeable share of the CPU.
pub fn interference(report: &Report) -> Option<String> {
    let machine = report.machine_cpu.as_ref()?;
    let watched: f64 = report.processes.iter().filter_map(|p| p.cpu_s).sum();
    let cores = (machine.busy_s - watched).max(0.0) / report.window.measured_s.max(1e-9);
    (cores >= INTERFERENCE_CORES).then(|| {
        format!(
            "**Note:** other work on the machine used {cores:.2} cores during the measured \
             window; the stack had that much less CPU than on a quiet machine."
        )
    })
}

/// Throughput, latency percentiles, errors and the read-back.
pub fn results_table(report: &Report) -> String {
    let summary = &report.summary;
    let latency = &summary.latency_us;
    let mut rows = vec![
        (
            "throughput".to_owned(),
            format!(
                "**{} {}/s** ({} {} in {:.0} s)",
                thousands(summary.throughput_per_s.round() as u64),
                plural(&report.operation),
                thousands(summary.operations),
                plural(&report.operation),
                report.window.measured_s
            ),
        ),
        ("latency p50".to_owned(), ms(latency.p50)),
        ("latency p90".to_owned(), ms(latency.p90)),
        ("latency p99".to_owned(), format!("**{}**", ms(latency.p99))),
        ("latency p99.9".to_owned(), ms(latency.p999)),
        ("latency max".to_owned(), ms(latency.max)),
        ("latency mean".to_owned(), ms(latency.mean)),
        ("errors".to_owned(), errors(report)),
    ];
    rows.extend(
        report
            .extra
            .iter()
            .map(|figure| (cell(&figure.label), cell(&figure.value))),
    );
    if let Some(verification) = &report.verification {
        rows.push((
            "lost / gaps".to_owned(),
            format!(
                "{} / {} ({} acknowledged in {} conversations read back, {} stored{})",
                verification.lost,
                verification.gaps,
                thousands(verification.acked),
                thousands(verification.conversations),
                thousands(verification.stored),
                match verification.unacked_stored {
                    0 => String::new(),
                    n => format!(", {n} stored although the client saw an error"),
                }
            ),
        ));
        if let Some(out_of_order) = verification.out_of_order {
            rows.push(("out of order".to_owned(), out_of_order.to_string()));
        }
    }
    table(
        &["metric", "value"],
        rows.into_iter().map(|(k, v)| vec![k, v]),
    )
}

fn errors(report: &Report) -> String {
    let summary = &report.summary;
    let total = summary.error_total();
    if total == 0 {
        return "0".to_owned();
    }
    let by_code: Vec<String> = summary
        .errors
        .iter()
        .map(|(code, count)| format!("{code} {}", thousands(*count)))
        .collect();
    format!("{} ({})", thousands(total), by_code.join(", "))
}

/// Each target, its goal, the measured value and whether it was met.
pub fn targets_table(report: &Report) -> String {
    let rows = report.targets.iter().map(|target| {
        vec![
            cell(&target.label),
            format!("{} {}", target.comparison.symbol(), target.threshold),
            format!("{:.1}", target.actual),
            if target.met() { "yes" } else { "**no**" }.to_owned(),
        ]
    });
    table(&["target", "goal", "actual", "met"], rows)
}

/// CPU and peak memory per watched process, then what the rest of the machine spent.
pub fn process_table(report: &Report) -> String {
    let measured = report.window.measured_s.max(1e-9);
    let cpu_cells = |cpu: Option<f64>| match cpu {
        Some(cpu) => (format!("{cpu:.1}"), format!("{:.2}", cpu / measured)),
        None => ("gone".to_owned(), "-".to_owned()),
    };
    let mut rows: Vec<Vec<String>> = report
        .processes
        .iter()
        .map(|process| {
            let pids: Vec<String> = process.pids.iter().map(u32::to_string).collect();
            let (cpu, cores) = cpu_cells(process.cpu_s);
            let rss = process.peak_rss_kib.map(mib).unwrap_or_else(|| "-".into());
            vec![cell(&process.name), pids.join(", "), cpu, cores, rss]
        })
        .collect();
    if let Some(machine) = &report.machine_cpu {
        let watched: f64 = report.processes.iter().filter_map(|p| p.cpu_s).sum();
        let (cpu, cores) = cpu_cells(Some((machine.busy_s - watched).max(0.0)));
        rows.push(vec![
            "*everything else*".into(),
            "-".into(),
            cpu,
            cores,
            "-".into(),
        ]);
        let (cpu, cores) = cpu_cells(Some(machine.busy_s));
        let of = format!("{cores} of {}", report.machine.cores);
        rows.push(vec![
            "*whole machine*".into(),
            "-".into(),
            cpu,
            of,
            "-".into(),
        ]);
    }
    table(
        &["process", "pids", "CPU s", "cores", "peak RSS"],
        rows.into_iter(),
    )
}

fn config_json(report: &Report) -> String {
    serde_json::to_string_pretty(&report.config).unwrap_or_default()
}

/// A Markdown table with a header row.
pub fn table(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = format!("| {} |\n|", header.join(" | "));
    out.push_str(&" --- |".repeat(header.len()));
    out.push('\n');
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

/// `docs/benchmarks/README.md`: what the benchmarks are, how to repeat them, and the latest
/// figures of every scenario.
pub fn readme(reports: &[Report]) -> String {
    let mut out = String::from(README_HEAD);
    out.push_str("## Scenarios\n\n");
    let rows = reports.iter().map(|report| {
        vec![
            format!("[{0}]({0}.md)", report.scenario),
            cell(&report.description),
        ]
    });
    out.push_str(&table(&["scenario", "what it measures"], rows));
    out.push('\n');
    for report in reports {
        let _ = writeln!(
            out,
            "## Latest: {}\n\n{}\n",
            report.scenario,
            provenance(report)
        );
        if let Some(note) = interference(report) {
            let _ = writeln!(out, "{note}\n");
        }
        let _ = writeln!(out, "{}", results_table(report));
        let _ = writeln!(out, "{}", targets_table(report));
        let _ = writeln!(
            out,
            "Per-process CPU and memory: [{0}.md]({0}.md#processes). \
             ![{0}: latency and throughput per second]({0}.svg)\n",
            report.scenario
        );
        if report.scenario == "failover" {
            // The single-fault run above is the latest `--fault`; the table of every fault,
            // each run on its own, is a page of its own.
            out.push_str(
                "Every fault (gateway, router, message, account, broker, name server, Redis \
                 flush), side by side: [failover-faults.md](failover-faults.md).\n\n",
            );
        }
    }
    out
}

const README_HEAD: &str = "\
# Benchmarks

Load tests of the whole stack on one machine: gateways, services, MariaDB, Redis, the RocketMQ
broker, OpenResty and the load generator all share its cores, so the figures are what this box
can do end to end, not what one service could do alone. Each run records the machine, the git
commit and every process's CPU time and peak memory beside its throughput and latency.

These files are written by `cargo xtask bench <scenario>` (through `chat-loadgen render`); edit
the renderer in `crates/loadgen/src/render/`, not the output.

## How to reproduce

```sh
cargo xtask bench message                    # 200 friend pairs, 512 sends in flight, 5 s warm-up, 30 s measured
cargo xtask bench message --duration 10s     # any chat-loadgen flag passes through
cargo xtask bench message --rate 8000        # open loop: 8,000 sends/s on a timetable
cargo xtask bench direct                     # 200 pairs over WebSockets through OpenResty, 512 unacked sends, 30 s
cargo xtask bench direct --rate 10000        # open loop: 10,000 sends/s on a timetable
cargo xtask bench direct --ladder 500,2000,8000  # one open-loop run per rate: direct-ladder.md
cargo xtask bench group                      # one group of 1,000 online members, 10 senders, 100 posts/s, 20 s
cargo xtask bench sync                       # 10,000 unread over 100 conversations, 5 catch-ups via the client library
cargo xtask bench sync --via rest            # the same through GET /sync and pulls alone
cargo xtask bench failover                   # direct at 1,000 sends/s via the client library, busiest gateway killed
cargo xtask bench failover --fault broker     # or router, message, account, namesrv, redis-flush (--down-for 2s)
cargo xtask bench failover --faults gateway,router,broker  # one run per fault: failover-faults.md
cargo xtask bench connect                    # 20,000 sessions (5 per user) from 2 load-generator processes, held 5 s
cargo xtask bench files                      # 1 and 50 MiB up and down, 16 in flight, beside OpenResty alone: 8 points of 25 s
cargo run --release -p chat-loadgen -- message --help   # every flag
```

`bench` makes sure the stack runs release builds (restarting it with `cargo xtask up --release`
when it does not), builds `chat-loadgen`, finds the pid of every process of the stack, runs the
scenario, and writes `<scenario>.json`, `<scenario>.md`, `<scenario>.svg` and this README.
Latency is measured per operation from the moment it was due (with `--rate`, its slot in the
timetable, so a stall counts in full); percentiles are exact (every latency is kept and sorted).
Throughput counts operations acknowledged inside the measured window.

The WebSocket scenarios (direct, group, failover) count deliveries: one operation is one
`message` frame at a recipient, its latency measured from the send's due time (the text carries
it) to that frame; each run ends with a REST read-back of every conversation (*lost*:
acknowledged but not stored; *gaps*: stored but neither pushed to a member nor acknowledged to
its sender). Setup registers fresh users through the account service's gRPC API (two argon2
hashes each, a few at a time: the 1,000 members of `group` take a while). `failover` kills a
component of the stack with SIGKILL (`--fault`, the busiest gateway by default) and starts it
again after `--down-for` with the command line, environment and log it had, as a supervisor
would, or flushes the stack's Redis database (`--fault redis-flush`); `bench` runs `cargo xtask
up` afterwards in case anything is still missing.

`connect` keeps its users across runs (`~/.cache/chat-cluster/run/loadgen/users-conn.json`): the
first run signs in one user per five sessions, two argon2 hashes each (4,000 users for the
default 20,000 sessions take minutes on 2 cores), later runs reuse their tokens. A process may
hold at most 20,000 open files here and one source address has about 28,000 ephemeral ports
towards OpenResty, and every proxied WebSocket takes two of an OpenResty worker's
`worker_connections` (19,000 each; `xtask up` runs two workers per gateway, at least four). So
100,000 sessions need 6 gateways (`cargo xtask up --gateways 6`: each holds fewer than 20,000
sockets, and OpenResty gets 12 workers), 6 load-generator processes and 4 of OpenResty's
addresses (it listens on 127.0.0.1 to 127.0.0.5; each destination address has its own ephemeral
ports, and unlike bound source addresses they leave OpenResty's connects to the gateways theirs):

```sh
cargo xtask up --release --gateways 6
cargo xtask bench connect --sessions 100000 --processes 6 \
  --public-ip 127.0.0.2 --public-ip 127.0.0.3 --public-ip 127.0.0.4 --public-ip 127.0.0.5
```

`files` uploads through the gateway into the stack's file store (`run/files`): at a few hundred
MB/s that is several GB per run, which the message service's sweeper deletes a day later (the
uploads are never sent in a message); each slot uploads as a user of its own, so that no user's
1 GiB quota runs out. Its baseline is OpenResty's `/_bench/` locations (`openresty/nginx.conf`,
loopback only): the load generator writes the static files to `run/openresty/bench/`.

Where a target is missed, [analysis.md](analysis.md) says by how much and where the time goes.

";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn the_page_has_every_section_and_figure() {
        let page = page(&fixture::report());
        for expected in [
            "# Benchmark: message",
            "**10,000 sends/s** (30,000 sends in 3 s)",
            "| latency p99 | **40.0 ms** |",
            "| errors | 1 (Unavailable 1) |",
            "| login | 55.0 ms |",
            "| lost / gaps | 0 / 0",
            "| throughput (sends/s) | >= 10000 | 10000.0 | yes |",
            "| message | 10 | 2.5 | 0.83 | 50.0 MiB |",
            "| gone | 11 | gone | - | - |",
            "| *everything else* | - | 1.5 | 0.50 | - |",
            "| *whole machine* | - | 4.0 | 1.33 of 2 | - |",
            "![p50 and p99 latency and throughput per second](message.svg)",
            "commit `0123456789ab` (with uncommitted changes), release stack",
            "2 cores (Test CPU)",
            "Load: closed loop, 512 sends in flight; warm-up 1 s",
            "`Unavailable: connection reset`",
        ] {
            assert!(page.contains(expected), "missing {expected:?} in\n{page}");
        }
    }

    #[test]
    fn busy_neighbours_are_called_out() {
        let mut report = fixture::report();
        // 1.5 CPU seconds outside the stack over 3 s: half a core.
        assert!(interference(&report).is_some_and(|note| note.contains("0.50 cores")));
        report.machine_cpu = Some(crate::report::MachineCpu {
            busy_s: 2.6,
            total_s: 6.0,
        });
        assert_eq!(interference(&report), None);
    }

    #[test]
    fn unmet_targets_stand_out() {
        let mut report = fixture::report();
        report.targets[1].actual = 75.0;
        assert!(targets_table(&report).contains("| p99 latency (ms) | <= 50 | 75.0 | **no** |"));
    }

    #[test]
    fn tables_have_a_separator_per_column() {
        let table = table(&["a", "b"], vec![vec!["1".into(), "2".into()]].into_iter());
        assert_eq!(table, "| a | b |\n| --- | --- |\n| 1 | 2 |\n");
    }

    #[test]
    fn the_readme_lists_each_scenario_with_its_latest_table() {
        let readme = readme(&[fixture::report()]);
        assert!(readme.contains("## How to reproduce"));
        assert!(readme.contains("| [message](message.md) | Sustained sends. |"));
        assert!(readme.contains("## Latest: message"));
        assert!(readme.contains("**10,000 sends/s**"));
        assert!(readme.contains("(message.svg)"));
    }
}
