//! Turning reports into documents: `<scenario>.md` (tables), `<scenario>.svg` (latency and
//! throughput per second) and the directory's `README.md`. Everything here works on the
//! shared [`Report`] shape, so a new scenario gets its pages without new rendering code.

pub mod faults;
pub mod ladder;
pub mod markdown;
pub mod svg;
pub mod text;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::report::Report;

/// Writes `report` as pretty JSON (creating the directory).
pub fn write_report(path: &Path, report: &Report) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(report)?;
    fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

/// Renders every report in `dir` next to itself and rewrites `dir/README.md`.
pub fn render_dir(dir: &Path) -> anyhow::Result<()> {
    let reports = read_reports(dir)?;
    for report in &reports {
        let stem = dir.join(&report.scenario);
        write(&stem.with_extension("md"), &markdown::page(report))?;
        write(&stem.with_extension("svg"), &svg::chart(report))?;
    }
    write(&dir.join("README.md"), &markdown::readme(&reports))?;
    println!(
        "rendered {} report(s) and README.md in {}",
        reports.len(),
        dir.display()
    );
    Ok(())
}

/// Writes `out` as the rate ladder of the `scenario` reports in `dir`; for `failover`, whose
/// runs differ by fault rather than rate, the table of its faults.
pub fn render_ladder(dir: &Path, scenario: &str, out: &Path) -> anyhow::Result<()> {
    let reports = read_reports(dir)?;
    let text = match scenario {
        "failover" => faults::page(&reports),
        _ => ladder::page(scenario, &reports),
    };
    write(out, &text)?;
    println!("rendered the {scenario} runs into {}", out.display());
    Ok(())
}

/// Every `*.json` in `dir` that is a report, in file-name order.
fn read_reports(dir: &Path) -> anyhow::Result<Vec<Report>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    let mut reports = Vec::new();
    for path in paths {
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        match serde_json::from_str::<Report>(&text) {
            Ok(report) => reports.push(report),
            Err(error) => eprintln!("skipping {}: not a report ({error})", path.display()),
        }
    }
    Ok(reports)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn a_directory_of_reports_gets_pages_charts_and_a_readme() {
        let dir = std::env::temp_dir().join(format!("chat-loadgen-render-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        write_report(&dir.join("message.json"), &fixture::report()).unwrap();
        fs::write(dir.join("other.json"), "{\"not\": \"a report\"}").unwrap();
        render_dir(&dir).unwrap();
        for file in ["message.md", "message.svg", "README.md"] {
            assert!(dir.join(file).exists(), "{file} missing");
        }
        assert!(!dir.join("other.md").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
