//! What every scenario does once its load has run: CPU and memory of the watched processes,
//! the report in the shared shape, the tables printed, the JSON written.

use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinHandle;

use crate::cli::RunArgs;
use crate::recorder::{Log, Window};
use crate::report::{
    Comparison, Git, MachineCpu, ProcessUsage, Report, Summary, Target, Verification,
};
use crate::sampler::{Sampler, Snapshot};
use crate::{machine, render};

/// What the processes and the machine spent in the measured window.
pub struct Usage {
    pub processes: Vec<ProcessUsage>,
    pub machine: Option<MachineCpu>,
}

/// A sampler reading CPU time when the window opens and when it closes.
pub struct Measuring(JoinHandle<(Sampler, Snapshot, Snapshot)>);

impl Measuring {
    /// Starts measuring the processes `run` names over `window`.
    pub fn start(run: &RunArgs, window: Window) -> Self {
        Self(tokio::spawn(
            Sampler::new(run.watch.clone()).measure(window),
        ))
    }

    /// Waits for the window to close and returns what was spent in it.
    pub async fn finish(self) -> anyhow::Result<Usage> {
        let (sampler, start, end) = self.0.await.context("the CPU sampler panicked")?;
        Ok(Usage {
            processes: sampler.usage(&start, &end),
            machine: sampler.machine(&start, &end),
        })
    }
}

/// The parts of a report that say what ran.
pub struct Meta {
    pub scenario: &'static str,
    pub description: &'static str,
    pub operation: &'static str,
    pub load: String,
    pub config: serde_json::Value,
    pub warmup: Duration,
    pub duration: Duration,
    pub started_at_ms: i64,
}

/// A report from the measured operations, with targets judged on their summary.
pub fn report(
    meta: Meta,
    run: &RunArgs,
    log: Log,
    usage: Usage,
    verification: Option<Verification>,
    targets: impl FnOnce(&Summary) -> Vec<Target>,
) -> Report {
    let (summary, timeline) = log.summarize(meta.duration);
    Report {
        scenario: meta.scenario.into(),
        description: meta.description.into(),
        operation: meta.operation.into(),
        started_at_ms: meta.started_at_ms,
        machine: machine::describe(),
        git: Git {
            commit: run.commit.clone(),
            dirty: run.dirty,
        },
        stack_profile: run.stack_profile.clone(),
        load: meta.load,
        config: meta.config,
        window: crate::report::Window {
            warmup_s: meta.warmup.as_secs_f64(),
            measured_s: meta.duration.as_secs_f64(),
        },
        targets: targets(&summary),
        summary,
        verification,
        timeline,
        processes: usage.processes,
        machine_cpu: usage.machine,
        extra: Vec::new(),
        recovery: None,
    }
}

/// A goal `actual` must reach.
pub fn at_least(label: &str, threshold: f64, actual: f64) -> Target {
    Target {
        label: label.into(),
        comparison: Comparison::AtLeast,
        threshold,
        actual,
    }
}

/// A goal `actual` must not exceed.
pub fn at_most(label: &str, threshold: f64, actual: f64) -> Target {
    Target {
        label: label.into(),
        comparison: Comparison::AtMost,
        threshold,
        actual,
    }
}

/// Prints the tables, writes the report, and says whether nothing was lost.
pub fn finish(run: &RunArgs, report: &Report) -> anyhow::Result<bool> {
    println!("\n{}", render::markdown::results_table(report));
    println!("{}", render::markdown::targets_table(report));
    println!("{}", render::markdown::process_table(report));
    if let Some(path) = &run.out {
        render::write_report(path, report)?;
        println!("report written to {}", path.display());
    }
    Ok(report
        .verification
        .as_ref()
        .is_none_or(Verification::passed))
}

/// Now, in milliseconds since the Unix epoch.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}
