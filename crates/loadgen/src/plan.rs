//! When each operation is due: a closed loop (as soon as a slot is free) or a fixed timetable
//! at a rate, inside a warm-up plus a measured window. Shared by every scenario that drives a
//! steady load, so all of them count latency from the same instant.

use std::time::{Duration, Instant};

use crate::recorder::Window;

/// When each operation is due.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub origin: Instant,
    pub window: Window,
    /// Operations per second in total; 0 for a closed loop.
    pub rate: u32,
}

impl Plan {
    /// A plan starting now: `warmup`, then `duration` measured.
    pub fn new(warmup: Duration, duration: Duration, rate: u32) -> Self {
        let origin = Instant::now();
        let start = origin + warmup;
        Self {
            origin,
            window: Window {
                start,
                end: start + duration,
            },
            rate,
        }
    }

    /// When operation number `ticket` is due, or `None` once the load is over. In a closed
    /// loop an operation is due as soon as a worker is free; at a rate, on a fixed timetable.
    pub fn schedule(&self, ticket: u64) -> Option<Instant> {
        let due = match self.rate {
            0 => Instant::now(),
            rate => self.origin + Duration::from_secs_f64(ticket as f64 / f64::from(rate)),
        };
        (due < self.window.end).then_some(due)
    }

    /// Microseconds from the origin to `at` (0 before it): a timestamp that travels inside a
    /// message and means the same to the receiving side of this process.
    pub fn offset_us(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_micros() as u64
    }

    /// The instant `offset_us` microseconds after the origin.
    pub fn at_offset(&self, offset_us: u64) -> Instant {
        self.origin + Duration::from_micros(offset_us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_schedules_sends_on_a_fixed_timetable() {
        let plan = Plan::new(Duration::from_secs(1), Duration::from_secs(2), 100);
        assert_eq!(plan.schedule(0), Some(plan.origin));
        assert_eq!(
            plan.schedule(150),
            Some(plan.origin + Duration::from_millis(1500))
        );
        // 3 s in: the window is over.
        assert_eq!(plan.schedule(300), None);
    }

    #[test]
    fn a_closed_loop_is_due_now_until_the_window_ends() {
        let open = Plan::new(Duration::ZERO, Duration::from_secs(60), 0);
        assert!(open.schedule(1_000_000).is_some());
        let over = Plan::new(Duration::ZERO, Duration::ZERO, 0);
        assert_eq!(over.schedule(0), None);
    }

    #[test]
    fn offsets_round_trip_through_microseconds() {
        let plan = Plan::new(Duration::ZERO, Duration::from_secs(1), 0);
        let later = plan.origin + Duration::from_micros(1234);
        assert_eq!(plan.offset_us(later), 1234);
        assert_eq!(plan.at_offset(1234), later);
    }
}
