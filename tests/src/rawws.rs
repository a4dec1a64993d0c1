//! A bare WebSocket over a `TcpStream`, frame by frame, for tests that must send what no real
//! client would (garbage, binary, oversized frames) or never read at all.

use std::io::{Read, Write};
use std::net::TcpStream;

/// A WebSocket after the 101 answer.
pub struct RawWs {
    pub stream: TcpStream,
}

pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;

/// The headers of a WebSocket upgrade request (the key is the RFC 6455 example).
pub const UPGRADE: [&str; 4] = [
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
];

/// Asks `addr` to upgrade `path`, with `token` as a bearer token when given and `extra` headers:
/// the HTTP answer, and the stream (a WebSocket when the answer is 101).
pub fn upgrade(
    addr: &str,
    path: &str,
    token: Option<&str>,
    extra: &[&str],
) -> (crate::api::Reply, TcpStream) {
    let mut headers: Vec<String> = UPGRADE.iter().map(|h| h.to_string()).collect();
    if let Some(token) = token {
        headers.push(format!("Authorization: Bearer {token}"));
    }
    headers.extend(extra.iter().map(|h| h.to_string()));
    crate::api::open_websocket(addr, path, &headers)
}

/// A session of `token`'s user at `addr` (OpenResty or a gateway), after its `hello`.
pub fn session(addr: &str, user: u64, token: &str) -> RawWs {
    let (reply, stream) = upgrade(addr, &format!("/ws/{user}"), Some(token), &[]);
    assert_eq!(reply.status, 101, "{reply:?}");
    let mut ws = RawWs { stream };
    let hello = ws.read_json().expect("hello");
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["user_id"], user, "{hello}");
    ws
}

impl RawWs {
    /// Sends one final frame with `opcode` and `payload`, masked as clients must.
    pub fn send(&mut self, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
        self.send_frame(0x80 | opcode, payload)
    }

    /// Sends one masked frame whose first byte (FIN, the reserved bits, the opcode) is
    /// `first_byte` as given, to send what RFC 6455 forbids.
    pub fn send_frame(&mut self, first_byte: u8, payload: &[u8]) -> std::io::Result<()> {
        let mut frame = vec![first_byte];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= u16::MAX as usize => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x12, 0x34, 0x56, 0x78];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame)
    }

    pub fn send_text(&mut self, text: &str) -> std::io::Result<()> {
        self.send(TEXT, text.as_bytes())
    }

    /// The next frame from the server: (opcode, payload).
    pub fn read(&mut self) -> std::io::Result<(u8, Vec<u8>)> {
        let mut head = [0u8; 2];
        self.stream.read_exact(&mut head)?;
        let length = match head[1] & 0x7f {
            126 => {
                let mut bytes = [0u8; 2];
                self.stream.read_exact(&mut bytes)?;
                u64::from(u16::from_be_bytes(bytes))
            }
            127 => {
                let mut bytes = [0u8; 8];
                self.stream.read_exact(&mut bytes)?;
                u64::from_be_bytes(bytes)
            }
            n => u64::from(n),
        };
        let mut payload = vec![0u8; length as usize];
        self.stream.read_exact(&mut payload)?;
        Ok((head[0] & 0x0f, payload))
    }

    /// The next text frame as JSON, skipping pings.
    pub fn read_json(&mut self) -> std::io::Result<serde_json::Value> {
        loop {
            let (opcode, payload) = self.read()?;
            match opcode {
                TEXT => return Ok(serde_json::from_slice(&payload).unwrap_or_default()),
                PING => continue,
                other => {
                    return Err(std::io::Error::other(format!(
                        "frame {other:#x} instead of text: {:?}",
                        String::from_utf8_lossy(&payload)
                    )));
                }
            }
        }
    }

    /// The JSON frames that `keep` accepts among those received within `window`, ending early
    /// after the first one `stop` accepts (a read error or close ends it too).
    pub fn frames_within(
        &mut self,
        window: std::time::Duration,
        keep: impl Fn(&serde_json::Value) -> bool,
        stop: impl Fn(&serde_json::Value) -> bool,
    ) -> Vec<serde_json::Value> {
        let deadline = std::time::Instant::now() + window;
        let mut frames = Vec::new();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            let timeout = left.max(std::time::Duration::from_millis(1));
            if self.stream.set_read_timeout(Some(timeout)).is_err() {
                break;
            }
            let Ok(frame) = self.read_json() else { break };
            if keep(&frame) {
                let done = stop(&frame);
                frames.push(frame);
                if done {
                    break;
                }
            }
        }
        frames
    }

    /// Reads until a close frame; returns its code.
    pub fn close_code(&mut self) -> std::io::Result<u16> {
        loop {
            let (opcode, payload) = self.read()?;
            if opcode == CLOSE {
                return Ok(match payload.as_slice() {
                    [high, low, ..] => u16::from_be_bytes([*high, *low]),
                    _ => 1005,
                });
            }
        }
    }
}
