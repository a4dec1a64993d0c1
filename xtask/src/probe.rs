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

/// The first 12 bytes of the answer to `GET path` (`HTTP/1.x NNN`), if an HTTP server answers.
fn status_line(addr: &str, path: &str) -> Option<[u8; 12]> {
    let mut stream = connect(addr)?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    head.starts_with(b"HTTP/1.").then_some(head)
}

/// An HTTP server at `addr` answers `GET path` with a 2xx status.
pub fn http_ok(addr: &str, path: &str) -> bool {
    status_line(addr, path).is_some_and(|head| head[9] == b'2')
}

/// An HTTP server at `addr` answers `GET path` with any status (a server that refuses
/// unauthenticated requests, such as S3, is still up).
pub fn http_answers(addr: &str, path: &str) -> bool {
    status_line(addr, path).is_some()
}

/// `POST path` with a JSON body over HTTP/1.0: the status and the body of the answer.
pub fn post_json(addr: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = connect(addr)?;
    let request = format!(
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.get(9..12)?.parse().ok()?;
    Some((status, body.to_owned()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot server that answers the first request with `reply`; returns its address.
    fn answering(reply: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address").to_string();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 256];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(reply);
            }
        });
        addr
    }

    #[test]
    fn a_refusal_is_an_answer_but_not_ok() {
        let forbidden = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n";
        assert!(http_answers(&answering(forbidden), "/"));
        assert!(!http_ok(&answering(forbidden), "/"));
        assert!(http_ok(&answering(b"HTTP/1.1 200 OK\r\n\r\n"), "/"));
    }

    #[test]
    fn something_that_is_not_http_is_no_answer() {
        assert!(!http_answers(&answering(b"+PONG\r\n and more bytes"), "/"));
    }
}
