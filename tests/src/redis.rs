//! Commands to the stack's own Redis database, spoken in RESP over a `TcpStream`, for tests that
//! take something away from the cache (a key, the whole database) to show what survives it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::Stack;

/// Runs `args`, a command answered in one line (a status or an integer: `DEL`, `EXISTS`,
/// `FLUSHDB`), in the stack's database (`redis://host:port/db`); returns that line (the
/// `SELECT`'s answer is checked and dropped).
pub fn command(stack: &Stack, args: &[&str]) -> String {
    let rest = stack.redis_url.trim_start_matches("redis://");
    let (addr, db) = rest.split_once('/').unwrap_or((rest, "0"));
    let mut redis = TcpStream::connect(addr).expect("connect to Redis");
    redis
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a read timeout");
    redis
        .write_all(&encode(&["SELECT", db]))
        .expect("send SELECT");
    redis.write_all(&encode(args)).expect("send the command");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // Both replies are single lines: read until the second ends.
    while answer.iter().filter(|byte| **byte == b'\n').count() < 2 {
        let read = redis.read(&mut buffer).expect("Redis answers");
        assert!(read > 0, "Redis closed the connection");
        answer.extend_from_slice(&buffer[..read]);
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (selected, reply) = answer.split_once("\r\n").expect("two replies");
    assert_eq!(selected, "+OK", "SELECT {db}");
    reply.trim_end().to_owned()
}

/// Deletes the keys of the stack's database that match `pattern` (`KEYS` glob), as a flush
/// would, without touching anyone else's; returns how many there were.
pub fn delete_matching(stack: &Stack, pattern: &str) -> u64 {
    const DELETE: &str = "local n = 0 \
        for _, key in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', key) n = n + 1 end \
        return n";
    let reply = command(stack, &["EVAL", DELETE, "0", pattern]);
    reply
        .strip_prefix(':')
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("EVAL answered {reply}"))
}

fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len());
    for arg in args {
        out.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    out.into_bytes()
}

/// The cache key of `token`'s login in the stack's Redis.
pub fn token_key(stack: &Stack, token: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{}:account:token:{hash}", stack.cluster)
}
