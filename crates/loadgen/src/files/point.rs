//! One point of the `files` scenario: a closed loop of transfers (one slot per transfer in
//! flight) for a warm-up and a measured window. CPU is read when the window opens and closes,
//! the gateways' resident memory every quarter second in between, and the bytes moved come
//! from the counter the transfers add to as they go.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::transfer::{Http, Job};
use crate::connect::memory::Gateways;
use crate::recorder::{Failure, Window};
use crate::report::{MachineCpu, ProcessUsage};
use crate::sampler::Sampler;

/// How often the gateways' RSS is read during a window.
const RSS_PERIOD: Duration = Duration::from_millis(250);

/// What a point runs: one job per slot.
pub struct Spec {
    pub label: String,
    pub jobs: Vec<Job>,
}

/// How long a point loads before and while it is measured, and how long the transfers still
/// in flight at the end may take to finish (their latency counts, their bytes do not).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub warmup: Duration,
    pub duration: Duration,
    pub drain: Duration,
}

/// One finished transfer.
pub struct Done {
    pub started: Instant,
    pub ended: Instant,
    pub outcome: Result<(), Failure>,
}

/// The gateways' summed RSS over a window, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rss {
    pub start: Option<u64>,
    pub max: Option<u64>,
    pub end: Option<u64>,
}

impl Rss {
    fn observe(&mut self, kib: Option<u64>) {
        if let Some(kib) = kib {
            self.max = Some(self.max.map_or(kib, |max| max.max(kib)));
        }
    }
}

/// What a point measured.
pub struct Measured {
    pub label: String,
    pub window: Window,
    /// Bytes moved inside the window (request bodies sent, response bodies received).
    pub bytes: u64,
    /// Every transfer that finished, warm-up and drain included.
    pub done: Vec<Done>,
    pub usage: Vec<ProcessUsage>,
    pub machine: Option<MachineCpu>,
    pub rss: Rss,
}

/// Runs `spec` for `timing`, watching `sampler`'s processes and the gateways.
pub async fn run(
    http: &Http,
    spec: Spec,
    timing: Timing,
    sampler: &Sampler,
    gateways: &Gateways,
) -> Measured {
    let moved = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let start = began + timing.warmup;
    let window = Window {
        start,
        end: start + timing.duration,
    };
    let (sender, mut finished) = mpsc::unbounded_channel();
    let mut slots = JoinSet::new();
    let count = spec.jobs.len().max(1);
    for (index, job) in spec.jobs.into_iter().enumerate() {
        let (http, moved, sender) = (http.clone(), Arc::clone(&moved), sender.clone());
        // Slots start spread over the first half of the warm-up: started together, files of
        // one size would also finish together and the load would come in waves.
        let first = began + timing.warmup.mul_f64(index as f64 / count as f64 / 2.0);
        slots.spawn(async move {
            tokio::time::sleep_until(first.into()).await;
            while Instant::now() < window.end {
                let started = Instant::now();
                let outcome = http.run(&job, &moved).await;
                let done = Done {
                    started,
                    ended: Instant::now(),
                    outcome,
                };
                if sender.send(done).is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);
    tokio::time::sleep_until(window.start.into()).await;
    let cpu_start = sampler.snapshot();
    let bytes_start = moved.load(Ordering::Relaxed);
    let mut rss = Rss {
        start: gateways.rss_kib(),
        ..Rss::default()
    };
    rss.observe(rss.start);
    let mut tick = tokio::time::interval(RSS_PERIOD);
    loop {
        tick.tick().await;
        if Instant::now() >= window.end {
            break;
        }
        rss.observe(gateways.rss_kib());
    }
    let cpu_end = sampler.snapshot();
    let bytes = moved.load(Ordering::Relaxed).saturating_sub(bytes_start);
    rss.end = gateways.rss_kib();
    rss.observe(rss.end);
    let deadline = window.end + timing.drain;
    loop {
        match tokio::time::timeout_at(deadline.into(), slots.join_next()).await {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                // Transfers still running past the drain are dropped (their connections
                // close) so that the next point starts on an idle stack.
                slots.abort_all();
                while slots.join_next().await.is_some() {}
                break;
            }
        }
    }
    let mut done = Vec::new();
    while let Ok(transfer) = finished.try_recv() {
        done.push(transfer);
    }
    Measured {
        label: spec.label,
        window,
        bytes,
        done,
        usage: sampler.usage(&cpu_start, &cpu_end),
        machine: sampler.machine(&cpu_start, &cpu_end),
        rss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_keeps_the_highest_reading() {
        let mut rss = Rss::default();
        rss.observe(Some(10));
        rss.observe(None);
        rss.observe(Some(30));
        rss.observe(Some(20));
        assert_eq!(rss.max, Some(30));
    }
}
