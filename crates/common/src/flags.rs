//! Flags that every service binary takes, flattened into each service's own `Config`.

use std::time::Duration;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (for log shippers).
    Json,
    /// Human-readable lines.
    Text,
}

/// Flags shared by all services.
#[derive(Clone, Debug, clap::Args)]
pub struct CommonFlags {
    /// Log line format.
    #[arg(long, env = "CHAT_LOG_FORMAT", value_enum, default_value = "json")]
    pub log_format: LogFormat,

    /// Log filter in `tracing` EnvFilter syntax (e.g. `info,chat_router=debug`).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,

    /// How often dependencies (databases, broker, peer services) are probed for health.
    #[arg(long, env = "CHAT_HEALTH_INTERVAL", default_value = "2s", value_parser = parse_duration)]
    pub health_interval: Duration,

    /// How long start-up waits for a required dependency (MySQL, Redis) before giving up.
    #[arg(long, env = "CHAT_STARTUP_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub startup_timeout: Duration,
}

/// Parses durations written as `250ms`, `10s`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (like 250ms, 10s, 2m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(value)),
        "" | "s" => Ok(Duration::from_secs(value)),
        "m" => Ok(Duration::from_secs(value * 60)),
        _ => Err(format!("`{text}` has an unknown unit (use ms, s or m)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_common_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    }

    #[test]
    fn malformed_durations_are_rejected_with_the_input_named() {
        let error = parse_duration("soon").unwrap_err();
        assert!(error.contains("soon"), "{error}");
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("").is_err());
    }
}
