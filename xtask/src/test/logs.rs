//! The stack's log lines from the window of a failed test: warnings, errors and panics of every
//! component (and of the private clusters tests start), so the one that refused or crashed is
//! visible in the test command's output without digging through the log directory.

use std::fs;
use std::path::{Path, PathBuf};

use super::clock;
use crate::paths;

/// Lines kept per log file.
const LINES_PER_LOG: usize = 12;
/// Characters kept per line.
const LINE_CHARS: usize = 400;
/// Slack around the test's window: a component may log a refusal a moment after the test gave up.
const SLACK_S: f64 = 2.0;

/// Warnings, errors and panics logged between `start` and `end` (epoch seconds), per log file.
pub fn in_window(start: f64, end: f64) -> Vec<(String, Vec<String>)> {
    let (start, end) = (start - SLACK_S, end + SLACK_S);
    log_files()
        .into_iter()
        .filter(|path| modified_after(path, start))
        .filter_map(|path| {
            let text = fs::read_to_string(&path).ok()?;
            let lines = notable_lines(&text, start, end);
            let name = path
                .strip_prefix(paths::run_dir())
                .unwrap_or(&path)
                .display()
                .to_string();
            (!lines.is_empty()).then_some((name, lines))
        })
        .collect()
}

/// The notable lines of one log inside the window. A line without a time of its own (a panic's
/// message, a backtrace) belongs to the last timed line before it.
fn notable_lines(text: &str, start: f64, end: f64) -> Vec<String> {
    let mut last_instant = None;
    let mut kept: Vec<String> = text
        .lines()
        .filter(|line| {
            if let Some(at) = clock::find_instant(line) {
                last_instant = Some(at);
            }
            last_instant.is_some_and(|at| at >= start && at <= end) && is_notable(line)
        })
        .map(|line| line.chars().take(LINE_CHARS).collect())
        .collect();
    let skip = kept.len().saturating_sub(LINES_PER_LOG);
    kept.drain(..skip);
    kept
}

fn is_notable(line: &str) -> bool {
    const MARKS: [&str; 9] = [
        "\"level\":\"WARN\"",
        "\"level\":\"ERROR\"",
        " WARN ",
        " ERROR ",
        "[error]",
        "[crit]",
        "[alert]",
        "[emerg]",
        "panicked",
    ];
    MARKS.iter().any(|mark| line.contains(mark))
}

/// The stack's logs and every private test cluster's.
fn log_files() -> Vec<PathBuf> {
    let run = paths::run_dir();
    let mut files = logs_in(&run.join("logs"));
    if let Ok(clusters) = fs::read_dir(run.join("test-logs")) {
        for cluster in clusters.flatten() {
            files.extend(logs_in(&cluster.path()));
        }
    }
    files.sort();
    files
}

fn logs_in(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
                .collect()
        })
        .unwrap_or_default()
}

fn modified_after(path: &Path, instant: f64) -> bool {
    fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .is_some_and(|since| since.as_secs_f64() >= instant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_warnings_errors_and_panics_inside_the_window_only() {
        let log = "\
{\"timestamp\":\"2026-12-06T19:39:00Z\",\"level\":\"ERROR\",\"fields\":{\"message\":\"before\"}}
{\"timestamp\":\"2026-12-06T19:40:01Z\",\"level\":\"INFO\",\"fields\":{\"message\":\"routine\"}}
{\"timestamp\":\"2026-12-06T19:40:02Z\",\"level\":\"WARN\",\"fields\":{\"message\":\"refused\"}}
thread 'tokio-runtime-worker' panicked at crates/gateway/src/ws/session.rs:10:5:
{\"timestamp\":\"2026-12-06T19:45:00Z\",\"level\":\"ERROR\",\"fields\":{\"message\":\"after\"}}
";
        let epoch = 1_796_586_000.0;
        let kept = notable_lines(log, epoch, epoch + 5.0);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept[0].contains("refused"));
        assert!(kept[1].contains("panicked"));
    }
}
