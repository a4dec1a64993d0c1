//! How long to wait before the next connection attempt: exponential, capped, and jittered so
//! that the sessions of a gateway that went away do not all come back in the same instant.

use std::time::Duration;

/// Exponential backoff with "equal jitter": attempt `n` waits between half and all of
/// `min(max, initial * 2^n)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The base of the first wait.
    pub initial: Duration,
    /// No wait is longer than this.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(100),
            // Short enough that a client whose gateway died is back soon after the router
            // hands its slot over (the lease, 5 s by default); jitter spreads the fleet.
            max: Duration::from_secs(3),
        }
    }
}

impl Backoff {
    /// The wait before attempt `attempt` (0 for the first retry); `random` is uniform in
    /// [0, 1) and picks the point in the jitter window (passed in so that this stays pure).
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let ceiling = self
            .initial
            .saturating_mul(1_u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
            .min(self.max);
        let half = ceiling / 2;
        // NaN would panic in `mul_f64`; a broken random source must not end the client.
        let random = if random.is_nan() {
            0.5
        } else {
            random.clamp(0.0, 1.0)
        };
        half + (ceiling - half).mul_f64(random)
    }
}

/// A uniform number in [0, 1) from the operating system's generator; 0.5 if it fails (the
/// wait is then merely unjittered).
pub fn random_unit() -> f64 {
    match getrandom::u64() {
        // 53 random bits fill an f64's mantissa exactly.
        Ok(bits) => (bits >> 11) as f64 / (1_u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
        }
    }

    #[test]
    fn waits_double_per_attempt_within_their_jitter_window() {
        let backoff = backoff();
        assert_eq!(backoff.delay(0, 0.0), Duration::from_millis(50));
        assert_eq!(backoff.delay(0, 1.0), Duration::from_millis(100));
        assert_eq!(backoff.delay(1, 0.0), Duration::from_millis(100));
        assert_eq!(backoff.delay(3, 0.5), Duration::from_millis(600));
    }

    #[test]
    fn waits_are_capped_even_for_absurd_attempt_counts() {
        let backoff = backoff();
        assert_eq!(backoff.delay(6, 1.0), Duration::from_secs(5));
        assert_eq!(backoff.delay(40, 1.0), Duration::from_secs(5));
        assert_eq!(backoff.delay(u32::MAX, 0.0), Duration::from_millis(2500));
    }

    #[test]
    fn out_of_range_randomness_is_clamped() {
        let backoff = backoff();
        assert_eq!(backoff.delay(0, -3.0), Duration::from_millis(50));
        assert_eq!(backoff.delay(0, 7.0), Duration::from_millis(100));
        assert_eq!(backoff.delay(0, f64::NAN), Duration::from_millis(75));
    }

    #[test]
    fn the_random_source_stays_in_the_unit_interval() {
        for _ in 0..1000 {
            let random = random_unit();
            assert!((0.0..1.0).contains(&random), "{random}");
        }
    }
}
