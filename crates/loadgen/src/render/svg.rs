//! The per-second chart, written as plain SVG: p50 and p99 latency on top, throughput below,
//! over the seconds of the measured window. Hand-written so that GitHub renders it and no
//! plotting crate is needed.

use std::fmt::Write;

use super::text::{plural, thousands, xml_escape};
use crate::report::{Report, Second};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 560.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 30.0;
const P50_COLOR: &str = "#1f77b4";
const P99_COLOR: &str = "#d62728";
const OPS_COLOR: &str = "#2ca02c";
const GRID_COLOR: &str = "#dddddd";

/// One plotting area: its place on the canvas and the value at its top edge.
struct Panel {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    top: f64,
    step: f64,
    seconds: usize,
}

impl Panel {
    fn new(y: f64, h: f64, max: f64, seconds: usize) -> Self {
        let (top, step) = axis(max, 5);
        Self {
            x: LEFT,
            y,
            w: WIDTH - LEFT - RIGHT,
            h,
            top,
            step,
            seconds: seconds.max(1),
        }
    }

    /// The x of the middle of second `t`.
    fn x_at(&self, t: usize) -> f64 {
        self.x + (t as f64 + 0.5) / self.seconds as f64 * self.w
    }

    fn y_at(&self, value: f64) -> f64 {
        self.y + self.h - (value / self.top).clamp(0.0, 1.0) * self.h
    }

    /// Horizontal grid lines with their values, and the axis title.
    fn y_axis(&self, svg: &mut String, title: &str, format: impl Fn(f64) -> String) {
        let mut value = 0.0;
        while value <= self.top + self.step / 2.0 {
            let y = self.y_at(value);
            let _ = writeln!(
                svg,
                r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{GRID_COLOR}"/>"#,
                self.x,
                self.x + self.w
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                self.x - 8.0,
                y + 4.0,
                format(value)
            );
            value += self.step;
        }
        let (cx, cy) = (20.0, self.y + self.h / 2.0);
        let _ = writeln!(
            svg,
            r#"<text x="{cx}" y="{cy:.1}" text-anchor="middle" transform="rotate(-90 {cx} {cy:.1})">{}</text>"#,
            xml_escape(title)
        );
        let _ = writeln!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#888888"/>"##,
            self.x, self.y, self.w, self.h
        );
    }

    /// Second ticks along the bottom edge.
    fn x_axis(&self, svg: &mut String) {
        let (_, step) = axis(self.seconds as f64, 10);
        let step = (step as usize).max(1);
        for t in (0..=self.seconds).step_by(step) {
            let x = self.x + t as f64 / self.seconds as f64 * self.w;
            let bottom = self.y + self.h;
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}" stroke="#888888"/>"##,
                bottom + 5.0
            );
            let _ = writeln!(
                svg,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{t}</text>"#,
                bottom + 20.0
            );
        }
    }

    fn line(&self, svg: &mut String, values: &[f64], color: &str) {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(t, value)| format!("{:.1},{:.1}", self.x_at(t), self.y_at(*value)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            points.join(" ")
        );
    }

    fn bars(&self, svg: &mut String, values: &[f64], color: &str) {
        let width = self.w / self.seconds as f64 * 0.8;
        for (t, value) in values.iter().enumerate() {
            let y = self.y_at(*value);
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{y:.1}" width="{width:.1}" height="{:.1}" fill="{color}"/>"#,
                self.x_at(t) - width / 2.0,
                self.y + self.h - y
            );
        }
    }
}

/// A round axis top at or above `max` and the step between about `ticks` grid lines.
pub fn axis(max: f64, ticks: usize) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / ticks.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|factor| factor * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

/// `docs/benchmarks/<scenario>.svg`.
pub fn chart(report: &Report) -> String {
    let timeline = &report.timeline;
    let ms = |pick: fn(&Second) -> u64| -> Vec<f64> {
        timeline.iter().map(|s| pick(s) as f64 / 1000.0).collect()
    };
    let (p50, p99) = (ms(|s| s.p50_us), ms(|s| s.p99_us));
    let ops: Vec<f64> = timeline.iter().map(|s| s.ops as f64).collect();
    let seconds = timeline.len();
    let latency = Panel::new(60.0, 250.0, max(&p99).max(max(&p50)), seconds);
    let throughput = Panel::new(350.0, 150.0, max(&ops), seconds);

    let mut svg = header(report);
    latency.y_axis(&mut svg, "latency (ms)", trim);
    latency.line(&mut svg, &p50, P50_COLOR);
    latency.line(&mut svg, &p99, P99_COLOR);
    throughput.y_axis(&mut svg, &format!("{}/s", plural(&report.operation)), |v| {
        thousands(v.round() as u64)
    });
    throughput.bars(&mut svg, &ops, OPS_COLOR);
    throughput.x_axis(&mut svg);
    legend(&mut svg, &report.operation);
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">seconds into the measured window</text>"#,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 15.0
    );
    svg.push_str("</svg>\n");
    svg
}

fn header(report: &Report) -> String {
    let commit: String = report
        .git
        .commit
        .as_deref()
        .unwrap_or("unknown")
        .chars()
        .take(10)
        .collect();
    let title = format!(
        "{}: latency and throughput per second (commit {commit}, {} cores)",
        report.scenario, report.machine.cores
    );
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" "#,
            r#"font-family="sans-serif" font-size="12">"#,
            "\n",
            r#"<rect width="{w}" height="{h}" fill="white"/>"#,
            "\n",
            r#"<text x="{x}" y="30" font-size="16" font-weight="bold">{title}</text>"#,
            "\n"
        ),
        w = WIDTH,
        h = HEIGHT,
        x = LEFT,
        title = xml_escape(&title)
    )
}

fn legend(svg: &mut String, operation: &str) {
    let entries = [
        ("p50 latency", P50_COLOR),
        ("p99 latency", P99_COLOR),
        (
            &format!("{} per second", plural(operation)) as &str,
            OPS_COLOR,
        ),
    ];
    let mut x = WIDTH - RIGHT - 470.0;
    for (label, color) in entries {
        let _ = writeln!(
            svg,
            r#"<rect x="{x:.1}" y="41" width="14" height="4" fill="{color}"/><text x="{:.1}" y="47">{}</text>"#,
            x + 18.0,
            xml_escape(label)
        );
        // Roughly the width of 12px sans-serif text, plus a gap.
        x += 18.0 + label.len() as f64 * 6.5 + 28.0;
    }
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(0.0, f64::max)
}

/// A grid value without needless decimals.
fn trim(value: f64) -> String {
    if value.fract().abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(axis(43.0, 5), (50.0, 10.0));
        assert_eq!(axis(10_234.0, 5), (15_000.0, 5_000.0));
        assert_eq!(axis(7.0, 5), (8.0, 2.0));
        let (top, step) = axis(0.0, 5);
        assert!(top >= 1.0 && step > 0.0);
        assert_eq!(axis(30.0, 10), (30.0, 5.0));
    }

    #[test]
    fn the_chart_is_one_svg_with_both_latency_lines_and_a_bar_per_second() {
        let svg = chart(&fixture::report());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches(&format!("fill=\"{OPS_COLOR}\"")).count(), 3 + 1);
        assert!(svg.contains(P50_COLOR) && svg.contains(P99_COLOR));
        assert!(svg.contains("latency (ms)"));
        assert!(svg.contains("sends/s"));
        assert!(svg.contains("seconds into the measured window"));
        assert!(svg.contains("commit 0123456789"));
    }

    #[test]
    fn an_empty_timeline_still_draws_axes() {
        let mut report = fixture::report();
        report.timeline.clear();
        let svg = chart(&report);
        assert!(svg.contains("latency (ms)"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
