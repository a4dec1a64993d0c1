//! Health probes that need nothing but the standard library (and our health-check binary).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::paths;

const TIMEOUT: Duration = Duration::from_secs(2);

fn connect(addr: &str) -> Option<TcpStream> {
    let target: SocketAddr = addr.to_socket_addrs().ok()?.next()?;
    let stream = TcpStream::connect_timeout(&target, TIMEOUT).ok()?;
    stream.set_read_timeout(Some(TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(TIMEOUT)).ok()?;
    Some(stream)
}

/// Something accepts TCP connections at `addr`.
pub fn tcp(addr: &str) -> bool {
    connect(addr).is_some()
}

/// A Redis server at `addr` answers PING.
pub fn redis(addr: &str) -> bool {
    let Some(mut stream) = connect(addr) else {
        return false;
    };
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

/// An HTTP server at `addr` answers `GET path` with a 2xx status.
pub fn http_ok(addr: &str, path: &str) -> bool {
    let Some(mut stream) = connect(addr) else {
        return false;
    };
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && head[9] == b'2'
}

/// A service's gRPC health check at `addr` answers SERVING (via `chat-healthcheck`).
pub fn grpc_serving(addr: &str, release: bool) -> bool {
    Command::new(paths::binary("chat-healthcheck", release))
        .arg(addr)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
