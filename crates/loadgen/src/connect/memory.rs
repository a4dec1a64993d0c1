//! What the gateways' resident memory says about one session: the gateways are found as
//! `cargo xtask bench` names them (`--watch gateway-N=PID`) or from the stack's pid files, and
//! their VmRSS is summed before the sessions open and while all are held.

use std::collections::BTreeMap;
use std::time::Instant;

use super::worker::Slice;
use crate::procfs;
use crate::report::Figure;
use crate::sampler::WatchSpec;
use crate::stack;

/// The gateways' processes.
pub struct Gateways {
    pids: Vec<(String, u32)>,
}

impl Gateways {
    /// The gateways `--watch` names, else those of `stack.json` with their pid files.
    pub fn find(watch: &[WatchSpec]) -> Self {
        let watched: Vec<(String, u32)> = watch
            .iter()
            .filter(|spec| spec.name.starts_with("gateway"))
            .filter_map(|spec| Some((spec.name.clone(), *spec.pids.first()?)))
            .collect();
        if !watched.is_empty() {
            return Self { pids: watched };
        }
        let run_dir = stack::run_dir();
        let pids = stack::gateways(&run_dir)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, _)| {
                let pid = stack::pid_of(&run_dir, &name, watch)?;
                Some((name, pid))
            })
            .collect();
        Self { pids }
    }

    /// The gateways' resident memory now, summed (`None` when no gateway is known or one
    /// cannot be read).
    pub fn rss_kib(&self) -> Option<u64> {
        if self.pids.is_empty() {
            return None;
        }
        self.pids.iter().map(|(_, pid)| procfs::rss_kib(*pid)).sum()
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.pids.iter().map(|(name, _)| name.as_str()).collect();
        names.join(", ")
    }
}

/// The gateways' memory before and while the sessions were held.
pub struct Growth {
    before: Option<u64>,
    after: Option<u64>,
    sessions: usize,
}

impl Growth {
    pub fn new(before: Option<u64>, after: Option<u64>, sessions: usize) -> Self {
        Self {
            before,
            after,
            sessions,
        }
    }

    /// KiB the gateways gained per open session (0 when unknown).
    pub fn kib_per_session(&self) -> f64 {
        match (self.before, self.after) {
            (Some(before), Some(after)) if self.sessions > 0 => {
                after.saturating_sub(before) as f64 / self.sessions as f64
            }
            _ => 0.0,
        }
    }
}

/// The rows the results table gets.
pub fn figures(growth: &Growth, slices: &[(Instant, Slice)], gateways: &Gateways) -> Vec<Figure> {
    let mut spread: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, slice) in slices {
        for (tag, count) in &slice.gateways {
            *spread.entry(tag).or_default() += count;
        }
    }
    let spread: Vec<String> = spread.iter().map(|(tag, n)| format!("{tag} {n}")).collect();
    let samples: Vec<&str> = slices
        .iter()
        .flat_map(|(_, slice)| slice.failure_samples.iter().map(String::as_str))
        .take(3)
        .collect();
    let memory = match (growth.before, growth.after) {
        (Some(before), Some(after)) => format!(
            "{:.1} KiB per session ({} of {}: {:.1} MiB before, {:.1} MiB held)",
            growth.kib_per_session(),
            gateways.names(),
            gateways.pids.len(),
            before as f64 / 1024.0,
            after as f64 / 1024.0
        ),
        _ => "unknown (no gateway pid: run through `cargo xtask bench` or pass --watch)".into(),
    };
    vec![
        Figure::new("gateway memory", memory),
        Figure::new("sessions per gateway", spread.join(", ")),
        Figure::new(
            "failures",
            if samples.is_empty() {
                "none".to_owned()
            } else {
                samples.join("; ")
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_divided_over_the_sessions_held() {
        assert_eq!(
            Growth::new(Some(1000), Some(21_000), 2000).kib_per_session(),
            10.0
        );
        assert_eq!(Growth::new(None, Some(21_000), 2000).kib_per_session(), 0.0);
        assert_eq!(Growth::new(Some(5), Some(9), 0).kib_per_session(), 0.0);
    }
}
