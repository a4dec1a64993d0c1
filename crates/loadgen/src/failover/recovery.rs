//! When deliveries were back to normal after the fault, from every delivery's arrival: the
//! last one that arrived later than a threshold after its send was due, and the longest
//! stretch with no delivery at all while the load ran.

use std::time::{Duration, Instant};

/// One delivery at a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub at: Instant,
    /// From the send's due time to this arrival.
    pub latency: Duration,
}

/// How deliveries came back after the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recovered {
    /// From the fault to the arrival of the last delivery later than the threshold (zero
    /// when none was).
    pub normal_after: Duration,
    /// Deliveries after the fault later than the threshold.
    pub slow: u64,
    /// The longest time between two deliveries (or the fault and the first one) before the
    /// load stopped.
    pub longest_gap: Duration,
    /// When that gap began, from the fault.
    pub gap_from: Duration,
}

/// Judges `arrivals` (any order) after a fault at `fault`, the load running until `until`.
pub fn assess(
    arrivals: &mut [Arrival],
    fault: Instant,
    until: Instant,
    threshold: Duration,
) -> Recovered {
    arrivals.sort_by_key(|arrival| arrival.at);
    let after: Vec<&Arrival> = arrivals.iter().filter(|a| a.at >= fault).collect();
    let late: Vec<&&Arrival> = after.iter().filter(|a| a.latency > threshold).collect();
    let normal_after = late
        .last()
        .map_or(Duration::ZERO, |last| last.at.duration_since(fault));
    let mut recovered = Recovered {
        normal_after,
        slow: late.len() as u64,
        ..Recovered::default()
    };
    let mut previous = fault;
    let moments = after
        .iter()
        .map(|arrival| arrival.at)
        .filter(|at| *at <= until)
        .chain(std::iter::once(until.max(fault)));
    for at in moments {
        let gap = at.duration_since(previous);
        if gap > recovered.longest_gap {
            recovered.longest_gap = gap;
            recovered.gap_from = previous.duration_since(fault);
        }
        previous = at;
    }
    recovered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(fault: Instant, at_ms: u64, latency_ms: u64) -> Arrival {
        Arrival {
            at: fault + Duration::from_millis(at_ms),
            latency: Duration::from_millis(latency_ms),
        }
    }

    #[test]
    fn the_last_late_delivery_after_the_fault_is_when_things_were_normal_again() {
        let fault = Instant::now() + Duration::from_secs(10);
        let mut arrivals = vec![
            arrival(fault, 4_000, 3_500),
            arrival(fault, 100, 20),
            arrival(fault, 2_500, 2_400),
            arrival(fault, 4_100, 15),
            arrival(fault, 6_000, 10),
        ];
        // A late delivery before the fault does not count.
        arrivals.push(Arrival {
            at: fault - Duration::from_secs(1),
            latency: Duration::from_secs(5),
        });
        let until = fault + Duration::from_millis(6_500);
        let recovered = assess(&mut arrivals, fault, until, Duration::from_secs(1));
        assert_eq!(recovered.normal_after, Duration::from_millis(4_000));
        assert_eq!(recovered.slow, 2);
        // 100 ms -> 2,500 ms is the longest silence.
        assert_eq!(recovered.longest_gap, Duration::from_millis(2_400));
        assert_eq!(recovered.gap_from, Duration::from_millis(100));
    }

    #[test]
    fn no_delivery_after_the_fault_is_one_gap_to_the_end_of_the_load() {
        let fault = Instant::now();
        let until = fault + Duration::from_secs(3);
        let recovered = assess(&mut [], fault, until, Duration::from_secs(1));
        assert_eq!(recovered.normal_after, Duration::ZERO);
        assert_eq!(recovered.longest_gap, Duration::from_secs(3));
        assert_eq!(recovered.gap_from, Duration::ZERO);
    }
}
