//! Just enough of the Redis protocol for the flush fault: one command on the stack's own
//! database, its one-line answer back.

use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long one command may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(5);

/// One database of a Redis server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisDb {
    /// host:port
    pub addr: String,
    pub db: u32,
}

impl RedisDb {
    /// From `redis://host:port[/db]` (database 0 when none is named).
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("redis://")
            .with_context(|| format!("`{url}` is not a redis:// URL"))?;
        let (addr, db) = match rest.split_once('/') {
            Some((addr, "")) => (addr, 0),
            Some((addr, db)) => (
                addr,
                db.parse()
                    .with_context(|| format!("`{url}`: the database is not a number"))?,
            ),
            None => (rest, 0),
        };
        anyhow::ensure!(!addr.is_empty(), "`{url}` names no server");
        Ok(Self {
            addr: addr.to_owned(),
            db,
        })
    }

    /// Runs `args` on this database; its answer as Redis sent it (`+OK`, `:1`), an error
    /// answer (`-ERR ...`) as `Err`.
    pub async fn command(&self, args: &[&str]) -> anyhow::Result<String> {
        let exchange = async {
            let mut stream = BufReader::new(TcpStream::connect(&self.addr).await?);
            let select = self.db.to_string();
            let mut request = encode(&["SELECT", &select]);
            request.extend(encode(args));
            stream.get_mut().write_all(&request).await?;
            let mut answer = String::new();
            for _ in 0..2 {
                answer.clear();
                stream.read_line(&mut answer).await?;
                anyhow::ensure!(
                    !answer.starts_with('-') && !answer.is_empty(),
                    "redis {}: {:?}",
                    args.join(" "),
                    answer.trim_end()
                );
            }
            Ok(answer.trim_end().to_owned())
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .with_context(|| format!("redis at {}: no answer within {TIMEOUT:?}", self.addr))?
    }
}

/// A command as a RESP array of bulk strings.
fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend(format!("${}\r\n{arg}\r\n", arg.len()).into_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_server_and_the_database() {
        let db = RedisDb::parse("redis://127.0.0.1:6379/7").unwrap();
        assert_eq!((db.addr.as_str(), db.db), ("127.0.0.1:6379", 7));
        assert_eq!(RedisDb::parse("redis://h:1").unwrap().db, 0);
        assert!(RedisDb::parse("http://h:1/2").is_err());
        assert!(RedisDb::parse("redis://h:1/x").is_err());
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(
            encode(&["SELECT", "7"]),
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n7\r\n"
        );
    }
}
