//! The failover runs side by side: one row per fault, with when the component was healthy
//! again, when deliveries were normal again, what was lost and who had to log in again.

use std::fmt::Write as _;

use super::markdown::{provenance, table};
use super::text::{ms, utc};
use crate::report::{Recovery, Report};

/// The bound on both recoveries, in seconds.
const BOUND_S: f64 = 10.0;

/// The faults page for the failover reports among `reports`, in the order they ran.
pub fn page(reports: &[Report]) -> String {
    let mut runs: Vec<(&Report, &Recovery)> = reports
        .iter()
        .filter_map(|report| Some((report, report.recovery.as_ref()?)))
        .collect();
    runs.sort_by_key(|(report, _)| report.started_at_ms);
    let mut out = String::from(
        "# failover: every fault\n\nWritten by `cargo xtask bench failover --faults \
         F1,F2,...`: one run per fault under the same 1:1 load through the client library, the \
         stack restored (`cargo xtask up --release`) between runs. A killed component is started \
         again after the down time with its own command line, as a supervisor would. *Healthy \
         again*: from the fault until its health check passed (gRPC SERVING, the broker's and \
         name server's port, for a Redis flush the router's slot table written back). *Deliveries \
         normal again*: from the fault until the last delivery later than the threshold after \
         its send was due (0: none was). *Longest gap*: the longest time without any delivery \
         while the load ran. *Re-logins*: clients whose token was refused or whose session was \
         ended on purpose. The goal (issue 19) is both recoveries within 10 s, nothing lost, no \
         re-login.\n\n",
    );
    let Some((first, first_recovery)) = runs.first() else {
        out.push_str("No runs yet.\n");
        return out;
    };
    // Every run's load line names its own fault; the page's names the row's.
    let shared = provenance(first).replace(
        &format!("fault `{}`", first_recovery.fault),
        "the row's fault",
    );
    let _ = writeln!(out, "{shared}\n");
    let header = [
        "fault",
        "component",
        "down",
        "healthy again",
        "deliveries normal again",
        "late deliveries",
        "longest gap",
        "lost / gaps",
        "re-logins",
        "slowest resync",
        "p99",
        "run",
    ];
    let rows = runs.iter().map(|(report, recovery)| row(report, recovery));
    out.push_str(&table(&header, rows));
    out
}

fn row(report: &Report, recovery: &Recovery) -> Vec<String> {
    let lost = report.verification.as_ref().map_or("-".to_owned(), |v| {
        let text = format!("{} / {}", v.lost, v.gaps);
        if v.passed() {
            text
        } else {
            format!("**{text}**")
        }
    });
    let resync = report
        .targets
        .iter()
        .find(|target| target.label.starts_with("slowest resync"))
        .map_or("-".to_owned(), |target| seconds(target.actual));
    let commit: String = report
        .git
        .commit
        .as_deref()
        .unwrap_or("?")
        .chars()
        .take(7)
        .collect();
    vec![
        format!("`{}`", recovery.fault),
        recovery.component.clone(),
        recovery.down_s.map_or("-".to_owned(), seconds),
        recovery
            .healthy_after_s
            .map_or("**never**".to_owned(), seconds),
        seconds(recovery.normal_after_s),
        format!(
            "{} (> {:.1} s)",
            recovery.slow_deliveries, recovery.slow_threshold_s
        ),
        format!(
            "{} (from {:.1} s)",
            seconds(recovery.longest_gap_s),
            recovery.gap_from_s
        ),
        lost,
        if recovery.signed_out == 0 {
            "0".to_owned()
        } else {
            format!("**{}**", recovery.signed_out)
        },
        resync,
        ms(report.summary.latency_us.p99),
        format!("{}, `{commit}`", utc(report.started_at_ms)),
    ]
}

/// `1.23 s`, in bold beyond the bound.
fn seconds(value: f64) -> String {
    let text = format!("{value:.2} s");
    if value > BOUND_S {
        format!("**{text}**")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(fault: &str, started_at_ms: i64, normal_after_s: f64) -> Report {
        let mut report = crate::report::fixture::report();
        report.scenario = "failover".into();
        report.started_at_ms = started_at_ms;
        report.load = format!("open loop at 1000 sends/s, fault `{fault}` 5 s into the window");
        report.recovery = Some(Recovery {
            fault: fault.into(),
            component: fault.into(),
            down_s: Some(2.0),
            healthy_after_s: Some(3.5),
            normal_after_s,
            slow_threshold_s: 1.0,
            slow_deliveries: 12,
            longest_gap_s: 0.8,
            gap_from_s: 0.1,
            signed_out: 0,
        });
        report
    }

    #[test]
    fn one_row_per_fault_in_the_order_they_ran_with_misses_in_bold() {
        let page = page(&[
            run("router", 2_000, 12.5),
            run("broker", 1_000, 4.0),
            crate::report::fixture::report(),
        ]);
        let rows: Vec<&str> = page
            .lines()
            .filter(|line| line.starts_with("| `"))
            .collect();
        assert_eq!(rows.len(), 2, "{page}");
        assert!(rows[0].starts_with("| `broker` | broker | 2.00 s | 3.50 s | 4.00 s |"));
        assert!(rows[1].contains("| **12.50 s** |"), "{page}");
    }

    #[test]
    fn the_shared_load_line_names_no_one_runs_fault() {
        let page = page(&[run("broker", 1_000, 4.0), run("router", 2_000, 1.0)]);
        assert!(
            page.contains("the row's fault 5 s into the window"),
            "{page}"
        );
        assert!(!page.contains("fault `broker`"), "{page}");
    }
}
