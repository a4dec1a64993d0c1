//! The JUnit report nextest writes after a run (`.config/nextest.toml`): each test's name,
//! wall time and window, and whether it failed, timed out or passed only on a retry. A small
//! reader for that one producer's output, not a general XML parser.

use super::clock;

/// One test of a run, as the report describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// `binary::test`, e.g. `chat-e2e::friends::requests_can_be_accepted`.
    pub name: String,
    /// Seconds the last attempt took.
    pub seconds: f64,
    /// The first attempt's start and the last one's end, seconds since the epoch, when known.
    pub window: Option<(f64, f64)>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Passed,
    /// Failed, then passed on a retry.
    Flaky,
    Failed {
        timed_out: bool,
        message: String,
    },
}

/// Every test case in a nextest JUnit report.
pub fn parse(xml: &str) -> Vec<TestCase> {
    let mut cases = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<testcase ") {
        let element = &rest[start..];
        let end = element[1..]
            .find("<testcase ")
            .map_or(element.len(), |next| next + 1);
        cases.extend(test_case(&element[..end]));
        rest = &element[end..];
    }
    cases
}

fn test_case(element: &str) -> Option<TestCase> {
    let opening = tag(element, "testcase")?;
    let name = format!(
        "{}::{}",
        attribute(opening, "classname").unwrap_or_default(),
        attribute(opening, "name")?
    );
    let seconds = attribute(opening, "time")
        .and_then(|time| time.parse().ok())
        .unwrap_or(0.0);
    let mut window: Option<(f64, f64)> = None;
    for attempt in ["testcase", "flakyFailure", "rerunFailure"]
        .iter()
        .flat_map(|name| tags(element, name))
    {
        let (Some(start), Some(took)) = (
            attribute(attempt, "timestamp").and_then(|t| clock::parse_at(&t)),
            attribute(attempt, "time").and_then(|t| t.parse::<f64>().ok()),
        ) else {
            continue;
        };
        let (low, high) = window.unwrap_or((start, start + took));
        window = Some((low.min(start), high.max(start + took)));
    }
    let outcome = if let Some(failure) = tag(element, "failure").or_else(|| tag(element, "error")) {
        let message = attribute(failure, "message").unwrap_or_default();
        let kind = attribute(failure, "type").unwrap_or_default();
        let timed_out = [&message, &kind]
            .iter()
            .any(|text| text.contains("timeout") || text.contains("timed out"));
        Outcome::Failed { timed_out, message }
    } else if tag(element, "flakyFailure").is_some() {
        Outcome::Flaky
    } else {
        Outcome::Passed
    };
    Some(TestCase {
        name,
        seconds,
        window,
        outcome,
    })
}

/// The first opening tag `<name ...>` in `text`, up to its `>`.
fn tag<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    tags(text, name).into_iter().next()
}

fn tags<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    text.match_indices(open.as_str())
        .map(|(at, _)| &text[at..])
        .filter(|tail| {
            tail[open.len()..]
                .chars()
                .next()
                .is_some_and(|c| c == ' ' || c == '>' || c == '/')
        })
        .map(|tail| &tail[..tail.find('>').unwrap_or(tail.len())])
        .collect()
}

/// An attribute's unescaped value in an opening tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#10;", "\n")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="3" failures="1" errors="0">
    <testsuite name="chat-e2e::friends" tests="3" disabled="0" errors="0" failures="1">
        <testcase name="accept" classname="chat-e2e::friends" timestamp="2026-12-06T19:40:00.000+00:00" time="1.5">
        </testcase>
        <testcase name="hangs" classname="chat-e2e::friends" timestamp="2026-12-06T19:40:10.000+00:00" time="2.0">
            <failure type="test failure" message="test timed out">output &amp; more</failure>
            <system-out>waiting &lt;forever&gt;</system-out>
        </testcase>
        <testcase name="wobbly" classname="chat-e2e::friends" timestamp="2026-12-06T19:40:05.000+00:00" time="1.0">
            <flakyFailure timestamp="2026-12-06T19:40:03.000+00:00" time="1.0" type="test failure" message="code=101"/>
        </testcase>
    </testsuite>
</testsuites>"#;

    #[test]
    fn reads_outcomes_times_and_windows() {
        let cases = parse(REPORT);
        let epoch = 1_796_586_000.0;
        assert_eq!(
            cases,
            vec![
                TestCase {
                    name: "chat-e2e::friends::accept".into(),
                    seconds: 1.5,
                    window: Some((epoch, epoch + 1.5)),
                    outcome: Outcome::Passed,
                },
                TestCase {
                    name: "chat-e2e::friends::hangs".into(),
                    seconds: 2.0,
                    window: Some((epoch + 10.0, epoch + 12.0)),
                    outcome: Outcome::Failed {
                        timed_out: true,
                        message: "test timed out".into()
                    },
                },
                TestCase {
                    name: "chat-e2e::friends::wobbly".into(),
                    seconds: 1.0,
                    window: Some((epoch + 3.0, epoch + 6.0)),
                    outcome: Outcome::Flaky,
                },
            ]
        );
    }

    #[test]
    fn an_empty_or_foreign_report_has_no_cases() {
        assert!(parse("").is_empty());
        assert!(parse("<testcases><testcaseX name=\"a\"/></testcases>").is_empty());
    }
}
