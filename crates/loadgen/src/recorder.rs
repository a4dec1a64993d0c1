//! Recording outcomes: each worker task keeps its own [`Log`] (no lock on the hot path) and
//! the logs are merged and summarised once the load stops.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::report::{Second, Summary};
use crate::stats;

/// Distinct error messages kept verbatim per run.
const ERROR_SAMPLES: usize = 5;

/// The measured window: operations scheduled before `start` are warm-up.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

impl Window {
    /// Microseconds from the window's start (0 for earlier instants).
    fn offset_us(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_micros() as u64
    }
}

/// One finished operation of the measured window, as offsets from its start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// When it was scheduled (issued, in a closed loop).
    pub start_us: u64,
    pub end_us: u64,
    pub ok: bool,
}

impl Sample {
    fn latency_us(&self) -> u32 {
        u32::try_from(self.end_us.saturating_sub(self.start_us)).unwrap_or(u32::MAX)
    }
}

/// Why an operation failed: a gRPC code name (or `ClientTimeout`) and the message.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// What one worker saw.
#[derive(Debug, Default)]
pub struct Log {
    pub samples: Vec<Sample>,
    pub errors: BTreeMap<String, u64>,
    pub error_samples: Vec<String>,
    pub warmup_operations: u64,
    pub warmup_errors: u64,
}

impl Log {
    /// Records an operation scheduled at `started` that finished at `ended`.
    pub fn record(
        &mut self,
        window: &Window,
        started: Instant,
        ended: Instant,
        outcome: Result<(), Failure>,
    ) {
        if started < window.start {
            match outcome {
                Ok(()) => self.warmup_operations += 1,
                Err(_) => self.warmup_errors += 1,
            }
            return;
        }
        let ok = outcome.is_ok();
        if let Err(failure) = outcome {
            self.fail(failure);
        }
        self.samples.push(Sample {
            start_us: window.offset_us(started),
            end_us: window.offset_us(ended),
            ok,
        });
    }

    fn fail(&mut self, failure: Failure) {
        *self.errors.entry(failure.code.clone()).or_default() += 1;
        let text = format!("{}: {}", failure.code, failure.message);
        if self.error_samples.len() < ERROR_SAMPLES && !self.error_samples.contains(&text) {
            self.error_samples.push(text);
        }
    }

    /// Folds another worker's log into this one.
    pub fn merge(&mut self, other: Log) {
        self.samples.extend(other.samples);
        for (code, count) in other.errors {
            *self.errors.entry(code).or_default() += count;
        }
        for text in other.error_samples {
            if self.error_samples.len() < ERROR_SAMPLES && !self.error_samples.contains(&text) {
                self.error_samples.push(text);
            }
        }
        self.warmup_operations += other.warmup_operations;
        self.warmup_errors += other.warmup_errors;
    }

    /// The window's totals and its per-second timeline.
    pub fn summarize(self, measured: Duration) -> (Summary, Vec<Second>) {
        let window_us = measured.as_micros() as u64;
        let timeline = timeline(&self.samples, measured);
        let operations = self
            .samples
            .iter()
            .filter(|sample| sample.ok && sample.end_us <= window_us)
            .count() as u64;
        let mut latencies: Vec<u32> = ok_latencies(self.samples.iter());
        let summary = Summary {
            operations,
            throughput_per_s: operations as f64 / measured.as_secs_f64().max(1e-9),
            latency_us: stats::summarize(&mut latencies),
            errors: self.errors,
            error_samples: self.error_samples,
            warmup_operations: self.warmup_operations,
            warmup_errors: self.warmup_errors,
        };
        (summary, timeline)
    }
}

fn ok_latencies<'a>(samples: impl Iterator<Item = &'a Sample>) -> Vec<u32> {
    samples
        .filter(|sample| sample.ok)
        .map(Sample::latency_us)
        .collect()
}

/// Per second of the window, by completion time: acknowledged operations, errors and the
/// latency percentiles of what completed in that second.
fn timeline(samples: &[Sample], measured: Duration) -> Vec<Second> {
    let seconds = measured.as_secs().max(1) as usize;
    let mut buckets: Vec<Vec<&Sample>> = vec![Vec::new(); seconds];
    for sample in samples {
        if let Some(bucket) = buckets.get_mut((sample.end_us / 1_000_000) as usize) {
            bucket.push(sample);
        }
    }
    buckets
        .into_iter()
        .enumerate()
        .map(|(t, bucket)| {
            let mut latencies = ok_latencies(bucket.iter().copied());
            latencies.sort_unstable();
            Second {
                t: t as u32,
                ops: latencies.len() as u64,
                errors: bucket.iter().filter(|sample| !sample.ok).count() as u64,
                p50_us: stats::percentile(&latencies, 50.0),
                p99_us: stats::percentile(&latencies, 99.0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        let start = Instant::now() + Duration::from_secs(1);
        Window {
            start,
            end: start + Duration::from_secs(2),
        }
    }

    fn at(window: &Window, ms: u64) -> Instant {
        window.start + Duration::from_millis(ms)
    }

    fn failure(code: &str) -> Failure {
        Failure {
            code: code.into(),
            message: "boom".into(),
        }
    }

    #[test]
    fn warmup_operations_are_counted_but_not_measured() {
        let window = window();
        let mut log = Log::default();
        let early = window.start - Duration::from_millis(500);
        log.record(&window, early, at(&window, 10), Ok(()));
        log.record(&window, early, at(&window, 10), Err(failure("Internal")));
        assert!(log.samples.is_empty());
        assert_eq!((log.warmup_operations, log.warmup_errors), (1, 1));
        assert!(log.errors.is_empty());
    }

    #[test]
    fn summaries_count_window_completions_and_bucket_by_second() {
        let window = window();
        let mut log = Log::default();
        log.record(&window, at(&window, 0), at(&window, 5), Ok(()));
        log.record(&window, at(&window, 100), at(&window, 120), Ok(()));
        log.record(
            &window,
            at(&window, 1500),
            at(&window, 1510),
            Err(failure("Unavailable")),
        );
        // Started in the window, finished after it: a latency, not throughput.
        log.record(&window, at(&window, 1990), at(&window, 2300), Ok(()));
        let (summary, timeline) = log.summarize(Duration::from_secs(2));
        assert_eq!(summary.operations, 2);
        assert_eq!(summary.throughput_per_s, 1.0);
        assert_eq!(summary.latency_us.count, 3);
        assert_eq!(summary.latency_us.max, 310_000);
        assert_eq!(summary.errors["Unavailable"], 1);
        assert_eq!(timeline.len(), 2);
        assert_eq!((timeline[0].ops, timeline[0].p50_us), (2, 5_000));
        assert_eq!((timeline[1].ops, timeline[1].errors), (0, 1));
    }

    #[test]
    fn merging_adds_counts_and_keeps_distinct_error_texts() {
        let window = window();
        let (mut a, mut b) = (Log::default(), Log::default());
        a.record(
            &window,
            at(&window, 1),
            at(&window, 2),
            Err(failure("Internal")),
        );
        b.record(
            &window,
            at(&window, 1),
            at(&window, 2),
            Err(failure("Internal")),
        );
        b.record(&window, at(&window, 1), at(&window, 2), Ok(()));
        a.merge(b);
        assert_eq!(a.samples.len(), 3);
        assert_eq!(a.errors["Internal"], 2);
        assert_eq!(a.error_samples, vec!["Internal: boom".to_owned()]);
    }
}
