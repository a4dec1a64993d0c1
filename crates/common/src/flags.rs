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
    /// The cluster this process belongs to. Clusters sharing one Redis and one broker keep
    /// apart by it: Redis keys, the push topic and consumer groups are named after it.
    #[arg(long, env = "CHAT_CLUSTER", default_value = "chat", value_parser = parse_cluster)]
    pub cluster: String,

    /// Log line format.
    #[arg(long, env = "CHAT_LOG_FORMAT", value_enum, default_value = "json")]
    pub log_format: LogFormat,

    /// Log filter in `tracing` EnvFilter syntax (e.g. `info,chat_router=debug`).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,

    /// How often dependencies (databases, broker, peer services) are probed for health.
    #[arg(long, env = "CHAT_HEALTH_INTERVAL", default_value = "2s", value_parser = parse_duration)]
    pub health_interval: Duration,

    /// A file holding the secret every internal gRPC call of the cluster carries (32 or more
    /// printable characters, the same file on every service). Calls without it are refused;
    /// unset, calls are neither signed nor checked (a warning says so at start).
    #[arg(long, env = "CHAT_INTERNAL_SECRET_FILE")]
    pub internal_secret_file: Option<std::path::PathBuf>,

    /// How long start-up waits for a required dependency (MySQL, Redis) before giving up.
    #[arg(long, env = "CHAT_STARTUP_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub startup_timeout: Duration,
}

/// Cluster names are short lowercase words, valid in Redis keys and RocketMQ names alike.
pub fn parse_cluster(name: &str) -> Result<String, String> {
    let valid = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "`{name}` is not a cluster name (1-32 of a-z, 0-9, -)"
        ))
    }
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
        .map_err(|_| format!("`{text}` is not a duration (like 250ms, 10s, 2m, 1h)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(value)),
        "" | "s" => Ok(Duration::from_secs(value)),
        "m" => Ok(Duration::from_secs(value * 60)),
        "h" => Ok(Duration::from_secs(value * 3600)),
        _ => Err(format!("`{text}` has an unknown unit (use ms, s, m or h)")),
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
    fn durations_refuse_unknown_units_and_garbage() {
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn cluster_names_are_checked() {
        assert!(parse_cluster("chat").is_ok());
        assert!(parse_cluster("t-42").is_ok());
        for bad in ["", "Chat", "a:b", "a_b", "a b", &"x".repeat(33)] {
            assert!(parse_cluster(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_durations_are_rejected_with_the_input_named() {
        let error = parse_duration("soon").unwrap_err();
        assert!(error.contains("soon"), "{error}");
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("").is_err());
    }
}
