//! The report every scenario writes (`docs/benchmarks/<scenario>.json`) and `render` reads.
//! One shape for all scenarios, so the Markdown table, the chart and the README are written
//! once; what differs between scenarios lives in `config` and `verification`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One run of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The scenario name, also the file stem (`message`).
    pub scenario: String,
    /// What the scenario measures, in a sentence or two (shown in the README).
    pub description: String,
    /// What one operation is (`send`), for headings like "sends/s".
    pub operation: String,
    /// When the run started, milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    pub machine: Machine,
    pub git: Git,
    /// The stack's build profile, when the caller said (`release`).
    pub stack_profile: Option<String>,
    /// The shape of the load in words ("closed loop, 512 sends in flight ..."): in a closed
    /// loop latency is tied to throughput (Little's law), at a fixed rate it is not.
    #[serde(default)]
    pub load: String,
    /// The scenario's flags as it ran.
    pub config: serde_json::Value,
    pub window: Window,
    pub summary: Summary,
    /// Whether what was acknowledged is really there afterwards, when the scenario checks.
    pub verification: Option<Verification>,
    /// One entry per second of the measured window.
    pub timeline: Vec<Second>,
    /// CPU and memory of each watched process over the measured window.
    pub processes: Vec<ProcessUsage>,
    /// CPU the whole machine spent over the measured window, so that work by processes
    /// nobody watched (a compiler on a shared box) shows instead of silently slowing the run.
    #[serde(default)]
    pub machine_cpu: Option<MachineCpu>,
    pub targets: Vec<Target>,
    /// Figures particular to the scenario (login time, reconnect times, memory per session),
    /// shown as more rows of the results table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<Figure>,
    /// How the stack came back from the fault the run injected (the failover scenario).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<Recovery>,
}

/// How the stack came back from one fault injected under load, in seconds from the fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// The fault (`broker`, `redis-flush`).
    pub fault: String,
    /// The component it hit (`gateway-1`, `broker`, `redis`).
    pub component: String,
    /// How long the killed process stayed down before it was started again; `None` when
    /// nothing was killed.
    pub down_s: Option<f64>,
    /// Until the component was healthy again; `None` when it was not before the run ended.
    pub healthy_after_s: Option<f64>,
    /// Until the last delivery later than `slow_threshold_s` arrived (0: none was).
    pub normal_after_s: f64,
    pub slow_threshold_s: f64,
    /// Deliveries after the fault later than the threshold.
    pub slow_deliveries: u64,
    /// The longest time without any delivery while the load ran, and when it began.
    pub longest_gap_s: f64,
    pub gap_from_s: f64,
    /// Clients the server signed out (token refused, session ended on purpose): each a user
    /// who would have had to log in again.
    pub signed_out: u64,
}

/// One named figure, already formatted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
}

impl Figure {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// The machine the run happened on (the whole stack and the load generator share it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu_model: Option<String>,
    pub mem_total_kib: Option<u64>,
    pub kernel: Option<String>,
}

/// The code that ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Git {
    pub commit: Option<String>,
    /// Uncommitted changes were present.
    pub dirty: bool,
}

/// How long the load ran before and during measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub warmup_s: f64,
    pub measured_s: f64,
}

/// Totals over the measured window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Operations started in the window and acknowledged before it ended.
    pub operations: u64,
    /// `operations` per second of the window.
    pub throughput_per_s: f64,
    /// Latency of every successful operation started in the window (stragglers included).
    pub latency_us: Latency,
    /// Failed operations started in the window, by gRPC code (or `ClientTimeout`).
    pub errors: BTreeMap<String, u64>,
    /// A few error messages verbatim, to tell failures apart.
    pub error_samples: Vec<String>,
    /// Operations and errors during the warm-up, not part of the figures above.
    pub warmup_operations: u64,
    pub warmup_errors: u64,
}

impl Summary {
    /// All errors of the window.
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Latency percentiles in microseconds (nearest rank over every recorded value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub count: u64,
    pub mean: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

/// The result of reading back what was acknowledged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Conversations whose whole history was pulled.
    pub conversations: u64,
    /// Acknowledged messages in those conversations (warm-up included).
    pub acked: u64,
    /// Messages the service returned for them.
    pub stored: u64,
    /// Acknowledged sequence numbers the service did not return.
    pub lost: u64,
    /// Sequence numbers missing below the highest one returned.
    pub gaps: u64,
    /// Stored messages whose send the client saw fail (e.g. timed out after the commit):
    /// not a loss, but a client would have retried them.
    pub unacked_stored: u64,
    /// Messages a session saw out of order: pushed after a higher seq of the same
    /// conversation, or stored with a lower seq than a send the same session made before.
    /// `None` in reports of runs that did not count (before it was counted, or a scenario
    /// that sees no pushes).
    #[serde(default)]
    pub out_of_order: Option<u64>,
}

impl Verification {
    /// Nothing acknowledged is missing, the sequence numbers have no holes, and every session
    /// saw its conversations in order.
    pub fn passed(&self) -> bool {
        self.lost == 0 && self.gaps == 0 && self.out_of_order.unwrap_or(0) == 0
    }
}

/// One second of the measured window, by completion time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Second {
    /// Seconds since the window began.
    pub t: u32,
    /// Operations acknowledged in this second.
    pub ops: u64,
    pub errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
}

/// What one watched process (or group of processes) spent during the measured window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessUsage {
    pub name: String,
    pub pids: Vec<u32>,
    /// User plus system CPU time within the window; `None` when a process vanished.
    pub cpu_s: Option<f64>,
    /// Peak resident memory since the process started (VmHWM), summed over its pids.
    pub peak_rss_kib: Option<u64>,
}

/// The whole machine's CPU over the measured window, in CPU seconds summed over cores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MachineCpu {
    pub busy_s: f64,
    /// Busy plus idle: the cores times the window.
    pub total_s: f64,
}

/// A goal the run is held to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// What is measured, as shown in tables ("throughput (sends/s)").
    pub label: String,
    pub comparison: Comparison,
    pub threshold: f64,
    pub actual: f64,
}

impl Target {
    /// Whether `actual` satisfies the goal.
    pub fn met(&self) -> bool {
        match self.comparison {
            Comparison::AtLeast => self.actual >= self.threshold,
            Comparison::AtMost => self.actual <= self.threshold,
        }
    }
}

/// How a target compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    AtLeast,
    AtMost,
}

impl Comparison {
    /// `>=` or `<=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::AtLeast => ">=",
            Self::AtMost => "<=",
        }
    }
}

#[cfg(test)]
pub mod fixture {
    //! A small report for the rendering tests.

    use super::*;

    /// A three-second run with two processes, one error and a passing verification.
    pub fn report() -> Report {
        Report {
            scenario: "message".into(),
            description: "Sustained sends.".into(),
            operation: "send".into(),
            started_at_ms: 1_700_000_000_000,
            machine: Machine {
                cores: 2,
                cpu_model: Some("Test CPU".into()),
                mem_total_kib: Some(24_000_000),
                kernel: Some("6.1.0".into()),
            },
            git: Git {
                commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                dirty: true,
            },
            stack_profile: Some("release".into()),
            load: "closed loop, 512 sends in flight".into(),
            config: serde_json::json!({ "pairs": 200, "concurrency": 512 }),
            window: Window {
                warmup_s: 1.0,
                measured_s: 3.0,
            },
            summary: Summary {
                operations: 30_000,
                throughput_per_s: 10_000.0,
                latency_us: Latency {
                    count: 30_000,
                    mean: 9_000,
                    p50: 8_000,
                    p90: 15_000,
                    p99: 40_000,
                    p999: 60_000,
                    max: 80_000,
                },
                errors: BTreeMap::from([("Unavailable".to_owned(), 1)]),
                error_samples: vec!["Unavailable: connection reset".into()],
                warmup_operations: 9_000,
                warmup_errors: 0,
            },
            verification: Some(Verification {
                conversations: 200,
                acked: 39_000,
                stored: 39_000,
                lost: 0,
                gaps: 0,
                unacked_stored: 0,
                out_of_order: Some(0),
            }),
            timeline: (0..3)
                .map(|t| Second {
                    t,
                    ops: 10_000,
                    errors: 0,
                    p50_us: 8_000 + u64::from(t) * 100,
                    p99_us: 40_000,
                })
                .collect(),
            processes: vec![
                ProcessUsage {
                    name: "message".into(),
                    pids: vec![10],
                    cpu_s: Some(2.5),
                    peak_rss_kib: Some(51_200),
                },
                ProcessUsage {
                    name: "gone".into(),
                    pids: vec![11],
                    cpu_s: None,
                    peak_rss_kib: None,
                },
            ],
            machine_cpu: Some(MachineCpu {
                busy_s: 4.0,
                total_s: 6.0,
            }),
            targets: vec![
                Target {
                    label: "throughput (sends/s)".into(),
                    comparison: Comparison::AtLeast,
                    threshold: 10_000.0,
                    actual: 10_000.0,
                },
                Target {
                    label: "p99 latency (ms)".into(),
                    comparison: Comparison::AtMost,
                    threshold: 50.0,
                    actual: 40.0,
                },
            ],
            extra: vec![Figure::new("login", "55.0 ms")],
            recovery: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_survive_a_json_round_trip() {
        let report = fixture::report();
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&text).unwrap(), report);
    }

    #[test]
    fn targets_compare_in_their_own_direction() {
        let report = fixture::report();
        assert!(report.targets.iter().all(Target::met));
        let slow = Target {
            actual: 51.0,
            ..report.targets[1].clone()
        };
        assert!(!slow.met());
    }
}
