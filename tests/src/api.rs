//! A small REST client for the tests: raw HTTP/1.1 over TCP (one request per connection), JSON
//! in and out, so the tests see exactly the status, headers and body the API sends.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::Stack;

/// A response: status, raw header block, and the body parsed as JSON (Null when empty/not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: Value,
}

impl Reply {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

/// Sends one request to `addr` (host:port). `extra_headers` are full header lines.
pub fn call(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    extra_headers: &[&str],
) -> Reply {
    let payload = body.map(|value| value.to_string()).unwrap_or_default();
    let raw_body = body.map(|_| payload.as_bytes()).unwrap_or_default();
    send_raw(
        addr,
        method,
        path,
        token,
        raw_body,
        "application/json",
        extra_headers,
    )
}

/// Sends a request whose body is exactly `raw_body` (for malformed-input tests).
pub fn send_raw(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    raw_body: &[u8],
    content_type: &str,
    extra_headers: &[&str],
) -> Reply {
    send_bytes(
        addr,
        method,
        path,
        token,
        raw_body,
        content_type,
        extra_headers,
    )
    .into_json()
}

/// A response whose body is kept as bytes (file downloads).
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl RawReply {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// The body parsed as JSON (Null when empty or not JSON).
    pub fn into_json(self) -> Reply {
        Reply {
            status: self.status,
            body: serde_json::from_slice(&self.body).unwrap_or(Value::Null),
            headers: self.headers,
        }
    }
}

/// Sends a request whose body is exactly `raw_body`; the answer's body stays bytes.
pub fn send_bytes(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    raw_body: &[u8],
    content_type: &str,
    extra_headers: &[&str],
) -> RawReply {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: chat\r\nConnection: close\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if !raw_body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        request.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            raw_body.len()
        ));
    }
    for header in extra_headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send the head");
    // A server may answer (413) and close before reading a large body: ignore write errors.
    let _ = stream.write_all(raw_body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    parse_bytes(&response)
}

/// Sends a GET with `headers` and reads only the answer's head and (Content-Length) body, so
/// that a 101 answer does not wait for the socket to close; returns the stream for more.
pub fn open_websocket(addr: &str, path: &str, headers: &[String]) -> (Reply, TcpStream) {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: chat\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("a read timeout");
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream
            .read_exact(&mut byte)
            .expect("read the answer's head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream
        .read_exact(&mut body)
        .expect("read the answer's body");
    let reply = parse(&format!("{head}{}", String::from_utf8_lossy(&body)));
    (reply, stream)
}

fn parse(response: &str) -> Reply {
    parse_bytes(response.as_bytes()).into_json()
}

fn parse_bytes(response: &[u8]) -> RawReply {
    let split = response.windows(4).position(|window| window == b"\r\n\r\n");
    let (head, body) = match split {
        Some(at) => (&response[..at], &response[at + 4..]),
        None => (response, &[][..]),
    };
    let head = String::from_utf8_lossy(head).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"));
    let body = if header_in(&head, "transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        dechunk(body)
    } else {
        body.to_vec()
    };
    RawReply {
        status,
        headers: head,
        body,
    }
}

/// A header's value in a raw header block (case-insensitive name).
fn header_in<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|window| window == b"\r\n") {
        let Some(size) = std::str::from_utf8(&body[..end])
            .ok()
            .and_then(|size| usize::from_str_radix(size.trim(), 16).ok())
        else {
            break;
        };
        let rest = &body[end + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        out.extend_from_slice(&rest[..size]);
        body = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
    }
    out
}

/// A username no earlier run used.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() % 100_000)
        .unwrap_or(0);
    format!(
        "{prefix}{secs}{:x}{}",
        nanos % 0xfffff,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The REST API of the running stack.
pub struct Api {
    /// OpenResty (host:port).
    pub public: String,
    /// One gateway directly (host:port).
    pub gateway: String,
}

impl Api {
    pub fn new() -> Self {
        let stack = Stack::load();
        Self {
            public: stack.public_url.trim_start_matches("http://").to_owned(),
            gateway: stack.gateways[0].http.clone(),
        }
    }

    /// A call through OpenResty; `path` is below /api/v1.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        call(
            &self.public,
            method,
            &format!("/api/v1{path}"),
            token,
            body.as_ref(),
            &[],
        )
    }

    /// Straight to a gateway, naming the client address OpenResty would (to test per-address
    /// limits without sharing 127.0.0.1 with every other test).
    pub fn call_from(&self, client_ip: &str, method: &str, path: &str, body: Value) -> Reply {
        let header = format!("X-Real-IP: {client_ip}");
        call(
            &self.gateway,
            method,
            &format!("/api/v1{path}"),
            None,
            Some(&body),
            &[&header],
        )
    }

    /// Registers; returns the user.
    pub fn register(&self, username: &str, password: &str) -> Value {
        let reply = self.call(
            "POST",
            "/auth/register",
            None,
            Some(json!({"username": username, "password": password})),
        );
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.body["user"].clone()
    }

    /// Logs in; returns the token.
    pub fn login(&self, username: &str, password: &str) -> String {
        let reply = self.call(
            "POST",
            "/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["token"].as_str().expect("a token").to_owned()
    }

    /// A new user, logged in: (user id, token).
    pub fn new_user(&self, prefix: &str) -> (u64, String) {
        let name = unique_name(prefix);
        let user = self.register(&name, "a long enough password");
        let id = user["user_id"].as_u64().expect("a user id");
        (id, self.login(&name, "a long enough password"))
    }
}

impl Api {
    /// Makes `a` and `b` (id, token) friends.
    pub fn befriend(&self, a: (u64, &str), b: (u64, &str)) {
        let sent = self.call(
            "POST",
            "/friends/requests",
            Some(a.1),
            Some(json!({"to_user_id": b.0})),
        );
        assert_eq!(sent.status, 200, "{sent:?}");
        let id = sent.body["request"]["request_id"]
            .as_u64()
            .expect("request id");
        let accepted = self.call(
            "POST",
            &format!("/friends/requests/{id}/accept"),
            Some(b.1),
            None,
        );
        assert_eq!(accepted.status, 200, "{accepted:?}");
    }

    /// Creates a group as described by `body`; returns its id.
    pub fn create_group(&self, token: &str, body: Value) -> u64 {
        let reply = self.call("POST", "/groups", Some(token), Some(body));
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.body["group"]["group_id"].as_u64().expect("group id")
    }
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}
