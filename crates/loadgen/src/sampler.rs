//! What the stack's processes spend during the measured window: CPU time read from `/proc`
//! exactly when the window opens and closes (so setup, warm-up and verification do not
//! count), and peak memory at the end.

use crate::procfs::{self, MachineTicks};
use crate::recorder::Window;
use crate::report::{MachineCpu, ProcessUsage};

/// The name the load generator's own row has.
const SELF_NAME: &str = "loadgen";

/// A process, or a group of processes measured together, to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSpec {
    pub name: String,
    pub pids: Vec<u32>,
}

impl WatchSpec {
    /// Parses `NAME=PID[,PID...]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, pids) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}` is not NAME=PID[,PID...]"))?;
        let pids = pids
            .split(',')
            .map(|pid| pid.trim().parse::<u32>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| format!("`{text}`: pids must be numbers separated by commas"))?;
        if name.is_empty() || pids.is_empty() {
            return Err(format!("`{text}` is not NAME=PID[,PID...]"));
        }
        Ok(Self {
            name: name.to_owned(),
            pids,
        })
    }
}

/// CPU ticks of each watched group at one instant (`None` where a pid could not be read),
/// and of the whole machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    groups: Vec<Option<u64>>,
    machine: Option<MachineTicks>,
}

/// Reads the watched processes (and always the load generator itself).
#[derive(Debug, Clone)]
pub struct Sampler {
    specs: Vec<WatchSpec>,
    ticks_per_second: u64,
}

impl Sampler {
    /// Watches `specs` plus this process.
    pub fn new(mut specs: Vec<WatchSpec>) -> Self {
        specs.push(WatchSpec {
            name: SELF_NAME.to_owned(),
            pids: vec![std::process::id()],
        });
        Self {
            specs,
            ticks_per_second: procfs::ticks_per_second(),
        }
    }

    /// CPU ticks of every group now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            groups: self
                .specs
                .iter()
                .map(|spec| spec.pids.iter().map(|pid| procfs::cpu_ticks(*pid)).sum())
                .collect(),
            machine: procfs::machine_ticks(),
        }
    }

    /// Takes a snapshot when `window` opens and another when it closes.
    pub async fn measure(self, window: Window) -> (Self, Snapshot, Snapshot) {
        tokio::time::sleep_until(window.start.into()).await;
        let start = self.snapshot();
        tokio::time::sleep_until(window.end.into()).await;
        let end = self.snapshot();
        (self, start, end)
    }

    /// CPU spent between the snapshots and peak memory so far, per group.
    pub fn usage(&self, start: &Snapshot, end: &Snapshot) -> Vec<ProcessUsage> {
        self.specs
            .iter()
            .zip(start.groups.iter().zip(&end.groups))
            .map(|(spec, (before, after))| ProcessUsage {
                name: spec.name.clone(),
                pids: spec.pids.clone(),
                cpu_s: cpu_seconds(*before, *after, self.ticks_per_second),
                peak_rss_kib: spec.pids.iter().map(|pid| procfs::peak_rss_kib(*pid)).sum(),
            })
            .collect()
    }

    /// What the whole machine spent between the snapshots.
    pub fn machine(&self, start: &Snapshot, end: &Snapshot) -> Option<MachineCpu> {
        let (before, after) = (start.machine?, end.machine?);
        Some(MachineCpu {
            busy_s: cpu_seconds(Some(before.busy), Some(after.busy), self.ticks_per_second)?,
            total_s: cpu_seconds(Some(before.total), Some(after.total), self.ticks_per_second)?,
        })
    }
}

/// Seconds of CPU between two tick counts; `None` when either is missing or time ran back
/// (a pid reused by another process).
fn cpu_seconds(before: Option<u64>, after: Option<u64>, ticks_per_second: u64) -> Option<f64> {
    let spent = after?.checked_sub(before?)?;
    Some(spent as f64 / ticks_per_second.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_specs_name_one_or_more_pids() {
        assert_eq!(
            WatchSpec::parse("openresty=10,11").unwrap(),
            WatchSpec {
                name: "openresty".into(),
                pids: vec![10, 11]
            }
        );
        assert!(WatchSpec::parse("message").is_err());
        assert!(WatchSpec::parse("=12").is_err());
        assert!(WatchSpec::parse("message=12,x").is_err());
    }

    #[test]
    fn cpu_seconds_are_tick_deltas() {
        assert_eq!(cpu_seconds(Some(100), Some(350), 100), Some(2.5));
        assert_eq!(cpu_seconds(None, Some(350), 100), None);
        assert_eq!(cpu_seconds(Some(400), Some(350), 100), None);
    }

    #[test]
    fn the_load_generator_always_measures_itself() {
        let sampler = Sampler::new(Vec::new());
        let before = sampler.snapshot();
        let after = sampler.snapshot();
        let usage = sampler.usage(&before, &after);
        assert_eq!(usage.len(), 1);
        assert_eq!(usage[0].name, SELF_NAME);
        assert!(usage[0].cpu_s.is_some());
        assert!(usage[0].peak_rss_kib.is_some());
        assert!(sampler.machine(&before, &after).is_some());
    }
}
