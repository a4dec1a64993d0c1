//! The failover story in figures: what was hit, how long it took to be healthy again and
//! deliveries to be normal again, how many clients it cut off and how long they took to
//! connect again and to resync.

use std::time::{Duration, Instant};

use super::recovery::{self, Arrival};
use super::strike::Strike;
use super::watcher::Watched;
use crate::render::text::ms;
use crate::report::{Figure, Latency, Recovery};
use crate::stats;

/// What the clients went through, gathered over all of them.
pub struct Story {
    strike: Strike,
    drained: bool,
    reconnects_us: Vec<u32>,
    resyncs_us: Vec<u32>,
    arrivals: Vec<Arrival>,
    /// Clients still not resynced when the run ended.
    stranded: usize,
    /// Clients the server signed out.
    signed_out: u64,
    /// Repeated deliveries the ledgers dropped (the client library should deliver once).
    pub repeats: u64,
}

impl Story {
    pub fn new(strike: &Strike, drained: bool) -> Self {
        Self {
            strike: strike.clone(),
            drained,
            reconnects_us: Vec::new(),
            resyncs_us: Vec::new(),
            arrivals: Vec::new(),
            stranded: 0,
            signed_out: 0,
            repeats: 0,
        }
    }

    /// Adds one client's disconnects and deliveries.
    pub fn add(&mut self, watched: &mut Watched) {
        self.reconnects_us.extend(&watched.reconnects_us);
        self.resyncs_us.extend(&watched.resyncs_us);
        self.arrivals.append(&mut watched.arrivals);
        self.stranded += usize::from(watched.down_since.is_some());
        self.signed_out += u64::from(watched.signed_out);
    }

    /// The slowest resync after the fault, in seconds; a client that never resynced counts
    /// as the whole time from the fault to `ended`.
    pub fn slowest_resync_s(&self, ended: Instant) -> f64 {
        if self.stranded > 0 {
            return ended
                .saturating_duration_since(self.strike.at)
                .as_secs_f64();
        }
        self.resyncs_us
            .iter()
            .max()
            .map_or(0.0, |us| f64::from(*us) / 1e6)
    }

    /// How deliveries came back: the load ran until `until`, a delivery later than
    /// `threshold` counts as not normal.
    pub fn recovery(&mut self, until: Instant, threshold: Duration) -> Recovery {
        let strike = &self.strike;
        let back = recovery::assess(&mut self.arrivals, strike.at, until, threshold);
        Recovery {
            fault: strike.fault.name(),
            component: strike.component.clone(),
            down_s: strike.down.map(|down| down.as_secs_f64()),
            healthy_after_s: strike.healthy_after.map(|after| after.as_secs_f64()),
            normal_after_s: back.normal_after.as_secs_f64(),
            slow_threshold_s: threshold.as_secs_f64(),
            slow_deliveries: back.slow,
            longest_gap_s: back.longest_gap.as_secs_f64(),
            gap_from_s: back.gap_from.as_secs_f64(),
            signed_out: self.signed_out,
        }
    }

    /// The rows the results table gets.
    pub fn figures(&mut self, recovery: &Recovery) -> Vec<Figure> {
        let reconnect = stats::summarize(&mut self.reconnects_us);
        let resync = stats::summarize(&mut self.resyncs_us);
        let strike = &self.strike;
        let fault = match recovery.down_s {
            Some(down) => format!(
                "{}: {} ({}) killed with SIGKILL, started again {down:.1} s later",
                recovery.fault, strike.component, strike.detail
            ),
            None => format!("{}: FLUSHDB of {}", recovery.fault, strike.detail),
        };
        let healthy = recovery.healthy_after_s.map_or_else(
            || "**not healthy again before the run ended**".to_owned(),
            |after| format!("{after:.2} s after the fault"),
        );
        vec![
            Figure::new("fault", fault),
            Figure::new(format!("{} healthy again", strike.component), healthy),
            Figure::new(
                "deliveries normal again",
                format!(
                    "{:.2} s after the fault (the last delivery later than {:.1} s; {} such)",
                    recovery.normal_after_s, recovery.slow_threshold_s, recovery.slow_deliveries
                ),
            ),
            Figure::new(
                "longest gap in deliveries",
                format!(
                    "{:.2} s, from {:.2} s after the fault",
                    recovery.longest_gap_s, recovery.gap_from_s
                ),
            ),
            Figure::new(
                "clients that had to log in again",
                recovery.signed_out.to_string(),
            ),
            Figure::new("reconnect time", distribution(&reconnect)),
            Figure::new("resync time", distribution(&resync)),
            Figure::new("clients not resynced at the end", self.stranded.to_string()),
            Figure::new("repeated deliveries", self.repeats.to_string()),
            Figure::new("drained", if self.drained { "yes" } else { "**no**" }),
        ]
    }
}

/// `n = 120: p50 ..., p90 ..., p99 ..., max ...`.
fn distribution(latency: &Latency) -> String {
    if latency.count == 0 {
        return "none".into();
    }
    format!(
        "n = {}: p50 {}, p90 {}, p99 {}, max {}",
        latency.count,
        ms(latency.p50),
        ms(latency.p90),
        ms(latency.p99),
        ms(latency.max)
    )
}
