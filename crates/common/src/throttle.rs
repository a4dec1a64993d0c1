//! Warnings that would repeat once per request while a dependency is down (Redis unreachable
//! on every token check, a misconfigured peer calling without the secret) are let through at
//! most once per period, each saying how many were held back since the last: the log stays
//! readable and cheap during an outage, and the counters in metrics still count every one.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Lets one occurrence through per period; the others are only counted.
pub struct Throttle {
    every_ms: u64,
    /// Milliseconds since [`origin`] before which nothing more is let through.
    next_ms: AtomicU64,
    held_back: AtomicU64,
}

/// A monotonic origin shared by every throttle of the process.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl Throttle {
    /// At most one occurrence per `every` is let through.
    pub const fn new(every: Duration) -> Self {
        Self {
            every_ms: every.as_millis() as u64,
            next_ms: AtomicU64::new(0),
            held_back: AtomicU64::new(0),
        }
    }

    /// `Some(held back since the last one let through)` when this occurrence should be
    /// logged; `None` when it is held back.
    pub fn allow(&self) -> Option<u64> {
        let now = u64::try_from(origin().elapsed().as_millis()).unwrap_or(u64::MAX);
        self.allow_at(now)
    }

    fn allow_at(&self, now_ms: u64) -> Option<u64> {
        let next = self.next_ms.load(Ordering::Relaxed);
        let due = now_ms >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now_ms.saturating_add(self.every_ms),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok();
        if due {
            Some(self.held_back.swap(0, Ordering::Relaxed))
        } else {
            self.held_back.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_period_and_the_rest_are_counted() {
        let throttle = Throttle::new(Duration::from_secs(10));
        assert_eq!(throttle.allow_at(0), Some(0));
        assert_eq!(throttle.allow_at(1), None);
        assert_eq!(throttle.allow_at(9_999), None);
        assert_eq!(throttle.allow_at(10_000), Some(2));
        assert_eq!(throttle.allow_at(10_001), None);
        assert_eq!(throttle.allow_at(30_000), Some(1));
    }
}
