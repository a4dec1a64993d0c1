//! The test command's record of itself: each step's wall time and outcome, and the tests its
//! nextest runs reported, printed as one table at the end whether the command passed or not.

use std::time::{Duration, Instant};

use super::junit::{Outcome, TestCase};
use crate::TaskResult;

/// How many of the slowest tests the summary names.
const SLOWEST: usize = 10;

#[derive(Default)]
pub struct Steps {
    rows: Vec<(String, Duration, bool)>,
    cases: Vec<TestCase>,
}

impl Steps {
    /// Runs one step, timing it.
    pub fn step<T>(&mut self, name: &str, body: impl FnOnce() -> TaskResult<T>) -> TaskResult<T> {
        println!("\n==> {name}");
        let started = Instant::now();
        let outcome = body();
        self.rows
            .push((name.to_owned(), started.elapsed(), outcome.is_ok()));
        outcome
    }

    /// Keeps the tests a nextest run reported, for the slowest and flaky lists.
    pub fn record(&mut self, cases: &[TestCase]) {
        self.cases.extend_from_slice(cases);
    }

    pub fn summary(&self) -> String {
        let mut out = String::from("\n==> summary: wall time per step\n");
        let total: Duration = self.rows.iter().map(|(_, took, _)| *took).sum();
        for (name, took, ok) in &self.rows {
            let result = if *ok { "ok" } else { "FAILED" };
            out.push_str(&format!("  {name:<22} {:>8}  {result}\n", clock(*took)));
        }
        out.push_str(&format!("  {:<22} {:>8}\n", "total", clock(total)));
        let mut slowest: Vec<&TestCase> = self.cases.iter().collect();
        slowest.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        if !slowest.is_empty() {
            out.push_str(&format!("\nslowest {SLOWEST} tests\n"));
        }
        for case in slowest.iter().take(SLOWEST) {
            out.push_str(&format!("  {:>7.1} s  {}\n", case.seconds, case.name));
        }
        let flaky: Vec<&str> = self
            .cases
            .iter()
            .filter(|case| case.outcome == Outcome::Flaky)
            .map(|case| case.name.as_str())
            .collect();
        if !flaky.is_empty() {
            out.push_str("\nFLAKY (failed, then passed on the one retry; fix or file them)\n");
            for name in flaky {
                out.push_str(&format!("  {name}\n"));
            }
        }
        out
    }
}

/// `m:ss.s`: steps run from seconds to tens of minutes.
fn clock(took: Duration) -> String {
    let seconds = took.as_secs_f64();
    format!("{}:{:04.1}", (seconds / 60.0).floor(), seconds % 60.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, seconds: f64, outcome: Outcome) -> TestCase {
        TestCase {
            name: name.into(),
            seconds,
            window: None,
            outcome,
        }
    }

    #[test]
    fn the_summary_times_steps_and_names_the_slowest_and_flaky_tests() {
        let mut steps = Steps::default();
        steps.step("format", || Ok(())).ok();
        let _ = steps.step("clippy", || crate::fail::<()>("lint"));
        let mut cases: Vec<TestCase> = (0..12)
            .map(|i| case(&format!("t{i}"), f64::from(i), Outcome::Passed))
            .collect();
        cases.push(case("wobbly", 0.5, Outcome::Flaky));
        steps.record(&cases);
        let summary = steps.summary();
        assert!(summary.contains("format"), "{summary}");
        assert!(summary.contains("FAILED"), "{summary}");
        assert!(summary.contains("11.0 s  t11"), "{summary}");
        assert!(summary.contains("2.0 s  t2\n"), "{summary}");
        assert!(!summary.contains("  t1\n"), "only ten: {summary}");
        assert!(
            summary.contains("FLAKY") && summary.contains("  wobbly\n"),
            "{summary}"
        );
    }

    #[test]
    fn durations_read_as_minutes_and_seconds() {
        assert_eq!(clock(Duration::from_millis(83_440)), "1:23.4");
        assert_eq!(clock(Duration::from_millis(2_000)), "0:02.0");
    }
}
