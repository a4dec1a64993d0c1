//! Percentiles by sorting every recorded latency: exact, and at a few hundred thousand
//! values per run the sort costs milliseconds, so no histogram crate is needed.

use crate::report::Latency;

/// The nearest-rank `p`-th percentile (0 < p <= 100) of ascending `sorted`; 0 when empty.
pub fn percentile(sorted: &[u32], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    u64::from(sorted[index])
}

/// Sorts `values` (microseconds) and summarises them.
pub fn summarize(values: &mut [u32]) -> Latency {
    values.sort_unstable();
    let count = values.len() as u64;
    let total: u64 = values.iter().map(|value| u64::from(*value)).sum();
    Latency {
        count,
        mean: total.checked_div(count).unwrap_or(0),
        p50: percentile(values, 50.0),
        p90: percentile(values, 90.0),
        p99: percentile(values, 99.0),
        p999: percentile(values, 99.9),
        max: values.last().copied().map(u64::from).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), 50);
        assert_eq!(percentile(&values, 99.0), 99);
        assert_eq!(percentile(&values, 99.9), 100);
        assert_eq!(percentile(&values, 100.0), 100);
        assert_eq!(percentile(&values, 0.1), 1);
    }

    #[test]
    fn a_single_value_is_every_percentile() {
        assert_eq!(percentile(&[7], 1.0), 7);
        assert_eq!(percentile(&[7], 99.9), 7);
    }

    #[test]
    fn an_empty_set_summarises_to_zero() {
        assert_eq!(summarize(&mut []), Latency::default());
    }

    #[test]
    fn summaries_sort_before_ranking() {
        let mut values = vec![900, 100, 500, 300, 700, 200, 400, 600, 800, 1000];
        let latency = summarize(&mut values);
        assert_eq!(latency.count, 10);
        assert_eq!(latency.mean, 550);
        assert_eq!(latency.p50, 500);
        assert_eq!(latency.p90, 900);
        assert_eq!(latency.p99, 1000);
        assert_eq!(latency.max, 1000);
    }
}
