//! The failover story in figures: who was killed, how many clients it cut off, how long they
//! took to connect again and to resync.

use std::time::Instant;

use super::victim::Strike;
use super::watcher::Watched;
use crate::render::text::ms;
use crate::report::{Figure, Latency};
use crate::stats;

/// Reconnect and resync times gathered over the clients.
pub struct Story {
    strike: Strike,
    drained: bool,
    reconnects_us: Vec<u32>,
    resyncs_us: Vec<u32>,
    /// Clients still not resynced when the run ended.
    stranded: usize,
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
            stranded: 0,
            repeats: 0,
        }
    }

    /// Adds one client's disconnects.
    pub fn add(&mut self, watched: &Watched) {
        self.reconnects_us.extend(&watched.reconnects_us);
        self.resyncs_us.extend(&watched.resyncs_us);
        self.stranded += usize::from(watched.down_since.is_some());
    }

    /// The slowest resync after the kill, in seconds; a client that never resynced counts as
    /// the whole time from the kill to `ended`.
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

    /// The rows the results table gets.
    pub fn figures(&mut self) -> Vec<Figure> {
        let victim = &self.strike.victim;
        let reconnect = stats::summarize(&mut self.reconnects_us);
        let resync = stats::summarize(&mut self.resyncs_us);
        vec![
            Figure::new(
                "killed",
                format!(
                    "{} ({}), holding {} sessions",
                    victim.name, victim.tag, self.strike.sessions
                ),
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
