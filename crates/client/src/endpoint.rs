//! Where the server is: the base URL (`http://127.0.0.1:8080`) and the paths and queries built
//! from it. Only plain `http` for now; TLS is a follow-up.

use std::fmt::Write as _;

use crate::error::RestError;

/// The REST API's path prefix.
const API_PREFIX: &str = "/api/v1";

/// A parsed base URL: scheme `http`, a host and a port, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    host: String,
    port: u16,
}

impl Endpoint {
    /// Parses `http://host[:port][/]`. A path, query or other scheme is refused rather than
    /// ignored, so that a typo does not silently talk to the wrong place.
    pub fn parse(base: &str) -> Result<Self, RestError> {
        let invalid = |why: &str| RestError::InvalidUrl(format!("{base:?}: {why}"));
        let rest = match base.split_once("://") {
            Some(("http", rest)) => rest,
            Some(("https" | "wss", _)) => return Err(invalid("TLS is not supported yet")),
            Some(_) => return Err(invalid("the scheme must be http")),
            None => return Err(invalid("expected http://host:port")),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return Err(invalid("expected http://host:port with no path"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| invalid("bad host or port"))?;
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }

    /// `host:port`, as the `Host` header wants it (IPv6 hosts in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The host alone (no brackets), for opening a socket.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The absolute URL of a REST call; `path_and_query` starts below `/api/v1`.
    pub fn api_url(&self, path_and_query: &str) -> String {
        format!("http://{}{API_PREFIX}{path_and_query}", self.authority())
    }

    /// The WebSocket URL of a user's session through the balancer (for display and logs).
    pub fn ws_url(&self, user_id: u64) -> String {
        format!("ws://{}{}", self.authority(), ws_path(user_id))
    }
}

/// The balancer routes `/ws/{uid}` to the gateway owning the user.
pub fn ws_path(user_id: u64) -> String {
    format!("/ws/{user_id}")
}

/// Splits `host:port`, `[v6]:port`, `host` or `[v6]` (port 80 when absent).
fn split_host_port(authority: &str) -> Option<(&str, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => 80,
            _ => after.strip_prefix(':')?.parse().ok()?,
        };
        return (!host.is_empty()).then_some((host, port));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()?),
        None => (authority, 80),
    };
    (!host.is_empty() && !host.contains(':')).then_some((host, port))
}

/// Percent-encodes one path segment (a conversation id such as `d:1:2` stays readable).
pub fn path_segment(segment: &str) -> String {
    encode(segment, |byte| {
        byte.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=".contains(&byte)
    })
}

/// Percent-encodes one query value.
pub fn query_value(value: &str) -> String {
    encode(value, |byte| {
        byte.is_ascii_alphanumeric() || b"-._~:@!$'()*,;/?".contains(&byte)
    })
}

fn encode(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if keep(byte) {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `?key=value&...` from the pairs whose value is present; empty when none is.
pub fn query(pairs: &[(&str, Option<String>)]) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        if let Some(value) = value {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(key);
            out.push('=');
            out.push_str(&query_value(value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_base_url_gives_host_and_port() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(endpoint.host(), "127.0.0.1");
        assert_eq!(endpoint.port(), 8080);
        assert_eq!(endpoint.authority(), "127.0.0.1:8080");
        assert_eq!(Endpoint::parse("http://127.0.0.1:8080/").unwrap(), endpoint);
    }

    #[test]
    fn the_port_defaults_to_80_and_ipv6_keeps_its_brackets() {
        assert_eq!(Endpoint::parse("http://chat.local").unwrap().port(), 80);
        let v6 = Endpoint::parse("http://[::1]:8081").unwrap();
        assert_eq!(v6.host(), "::1");
        assert_eq!(v6.authority(), "[::1]:8081");
        assert_eq!(Endpoint::parse("http://[::1]").unwrap().port(), 80);
    }

    #[test]
    fn other_schemes_paths_and_bad_ports_are_refused() {
        for bad in [
            "https://127.0.0.1:8080",
            "ftp://x",
            "127.0.0.1:8080",
            "http://",
            "http://host:port",
            "http://host:99999",
            "http://host:8080/api",
            "http://user@host",
            "http://::1:80",
            "http://[]:80",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad} should be refused");
        }
        let tls = Endpoint::parse("https://x").unwrap_err().to_string();
        assert!(tls.contains("TLS"), "{tls}");
    }

    #[test]
    fn urls_are_built_below_the_api_prefix_and_the_ws_route() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            endpoint.api_url("/sync"),
            "http://127.0.0.1:8080/api/v1/sync"
        );
        assert_eq!(endpoint.ws_url(42), "ws://127.0.0.1:8080/ws/42");
        assert_eq!(ws_path(7), "/ws/7");
    }

    #[test]
    fn conversation_ids_stay_readable_in_paths_and_odd_bytes_are_encoded() {
        assert_eq!(path_segment("d:12:34"), "d:12:34");
        assert_eq!(path_segment("g:7"), "g:7");
        assert_eq!(path_segment("a b/c?d#é"), "a%20b%2Fc%3Fd%23%C3%A9");
    }

    #[test]
    fn queries_skip_absent_values_and_encode_the_rest() {
        assert_eq!(query(&[]), "");
        assert_eq!(
            query(&[
                ("after", Some("5".into())),
                ("before", None),
                ("limit", Some("200".into()))
            ]),
            "?after=5&limit=200"
        );
        assert_eq!(
            query(&[("cursor", Some("17:d:1:2 +&=".into()))]),
            "?cursor=17:d:1:2%20%2B%26%3D"
        );
    }
}
