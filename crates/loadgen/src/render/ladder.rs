//! A rate ladder: the same scenario run open loop at several rates, one row per rate, so that
//! everyday rates and the knee read off one table (latency, losses, order, and the CPU every
//! process spent per delivered message).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::markdown::{provenance, table};
use super::text::{ms, thousands};
use crate::report::Report;

/// The offered rate of a report (`config.rate`), 0 for a closed loop.
fn rate_of(report: &Report) -> u64 {
    report.config["rate"].as_u64().unwrap_or(0)
}

/// The column a process is counted in: the gateways together, the rest by name.
fn column_of(name: &str) -> String {
    if name.starts_with("gateway") {
        "gateways".to_owned()
    } else {
        name.to_owned()
    }
}

/// CPU microseconds per delivered message, per column, over the measured window.
fn cpu_per_message(report: &Report) -> BTreeMap<String, f64> {
    let delivered = report.summary.operations.max(1) as f64;
    let mut columns = BTreeMap::new();
    for process in &report.processes {
        let cpu_s = process.cpu_s.unwrap_or(0.0);
        *columns.entry(column_of(&process.name)).or_insert(0.0) += cpu_s * 1e6 / delivered;
    }
    columns
}

/// The ladder page for the reports of one scenario, lowest rate first.
pub fn page(scenario: &str, reports: &[Report]) -> String {
    let mut reports: Vec<&Report> = reports.iter().filter(|r| r.scenario == scenario).collect();
    reports.sort_by_key(|report| rate_of(report));
    let mut out = format!(
        "# {scenario}: rate ladder\n\nWritten by `cargo xtask bench {scenario} --ladder R1,R2,...`: \
         one open-loop run per offered rate, the stack untouched between runs. Latency is from \
         each send's slot in the timetable to the recipient's `message` frame. CPU is user + \
         system time of each process of the stack during the measured window, divided by the \
         messages delivered in it (the load generator is not in the total; *machine* is every \
         process of the box, the load generator included).\n\n"
    );
    let Some(first) = reports.first() else {
        out.push_str("No runs yet.\n");
        return out;
    };
    let _ = writeln!(out, "{}\n", provenance(first));
    let mut processes: Vec<String> = reports
        .iter()
        .flat_map(|report| cpu_per_message(report).into_keys())
        .filter(|name| name != "loadgen")
        .collect();
    processes.sort();
    processes.dedup();
    let mut header: Vec<String> = [
        "offered msg/s",
        "delivered msg/s",
        "p50",
        "p99",
        "max",
        "errors",
        "lost / gaps",
        "out of order",
        "CPU us/msg (stack)",
        "machine us/msg",
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(processes.iter().cloned());
    let rows = reports.iter().map(|report| {
        let summary = &report.summary;
        let cpu = cpu_per_message(report);
        let stack: f64 = cpu
            .iter()
            .filter(|(name, _)| name.as_str() != "loadgen")
            .map(|(_, us)| us)
            .sum();
        let machine = report.machine_cpu.map_or("-".to_owned(), |machine| {
            format!(
                "{:.0}",
                machine.busy_s * 1e6 / summary.operations.max(1) as f64
            )
        });
        let (lost, order) = match &report.verification {
            Some(v) => (
                format!("{} / {}", v.lost, v.gaps),
                v.out_of_order.map_or("-".to_owned(), |n| n.to_string()),
            ),
            None => ("-".to_owned(), "-".to_owned()),
        };
        let mut row = vec![
            thousands(rate_of(report)),
            thousands(summary.throughput_per_s.round() as u64),
            ms(summary.latency_us.p50),
            ms(summary.latency_us.p99),
            ms(summary.latency_us.max),
            thousands(summary.error_total()),
            lost,
            order,
            format!("{stack:.0}"),
            machine,
        ];
        row.extend(processes.iter().map(|name| {
            cpu.get(name)
                .map_or("-".to_owned(), |us| format!("{us:.0}"))
        }));
        row
    });
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    out.push_str(&table(&header, rows));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ProcessUsage, Verification};

    fn run(rate: u64, delivered: u64) -> Report {
        let mut report = crate::report::fixture::report();
        report.scenario = "direct".into();
        report.config = serde_json::json!({ "rate": rate });
        report.summary.operations = delivered;
        report.processes = vec![
            ProcessUsage {
                name: "gateway-1".into(),
                pids: vec![1],
                cpu_s: Some(1.0),
                peak_rss_kib: None,
            },
            ProcessUsage {
                name: "gateway-2".into(),
                pids: vec![2],
                cpu_s: Some(1.0),
                peak_rss_kib: None,
            },
            ProcessUsage {
                name: "mariadb".into(),
                pids: vec![3],
                cpu_s: Some(0.5),
                peak_rss_kib: None,
            },
        ];
        report.verification = Some(Verification {
            out_of_order: Some(0),
            ..Verification::default()
        });
        report
    }

    #[test]
    fn rows_go_by_rate_and_cpu_is_per_delivered_message() {
        let page = page("direct", &[run(2_000, 20_000), run(500, 10_000)]);
        let rows: Vec<&str> = page
            .lines()
            .filter(|line| line.starts_with("| ") && !line.starts_with("| ---"))
            .collect();
        assert!(rows[0].contains("gateways"), "{page}");
        assert!(rows[1].starts_with("| 500 |"), "{page}");
        assert!(rows[2].starts_with("| 2,000 |"), "{page}");
        // 2 s of gateways over 10,000 messages: 200 us each; MariaDB 50 us; 250 in all.
        assert!(rows[1].contains("| 250 |"), "{page}");
        assert!(rows[1].ends_with("| 200 | 50 |"), "{page}");
    }
}
