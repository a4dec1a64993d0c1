//! Which gateway to kill and how: the stack's gateways from `stack.json` (written by
//! `cargo xtask up`), each one's pid (from `--watch NAME=PID` when given, else the pid file
//! `up` keeps) and tag (its `/debug/whoami`), so that the gateway holding the most sessions
//! can be found by the tag their `hello`s named.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::sampler::WatchSpec;
use crate::stack;

/// One gateway of the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// Its component name (`gateway-1`).
    pub name: String,
    pub pid: u32,
    /// The tag it holds now.
    pub tag: String,
}

/// Every gateway listed in `stack.json` under `run_dir`, with its pid and tag.
pub async fn gateways(run_dir: &Path, watch: &[WatchSpec]) -> anyhow::Result<Vec<Gateway>> {
    let mut gateways = Vec::new();
    for (name, http) in stack::gateways(run_dir)? {
        let pid = stack::pid_of(run_dir, &name, watch)
            .with_context(|| format!("no pid for {name} (pass --watch {name}=PID)"))?;
        let tag = whoami(&http)
            .await
            .with_context(|| format!("asking {name} at {http}"))?;
        gateways.push(Gateway { name, pid, tag });
    }
    Ok(gateways)
}

/// The tag in a gateway's `GET /debug/whoami` (one plain HTTP/1.0 exchange).
async fn whoami(http: &str) -> anyhow::Result<String> {
    let exchange = async {
        let mut stream = TcpStream::connect(http).await?;
        let request = format!("GET /debug/whoami HTTP/1.0\r\nHost: {http}\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        anyhow::Ok(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .context("no answer within 5 s")??;
    tag_of(&String::from_utf8_lossy(&answer))
}

/// The `tag` of a whoami answer (headers and JSON body).
fn tag_of(answer: &str) -> anyhow::Result<String> {
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(answer, |(_, body)| body);
    let json: serde_json::Value = serde_json::from_str(body.trim())
        .with_context(|| format!("not a whoami answer: {answer:?}"))?;
    json["tag"]
        .as_str()
        .map(str::to_owned)
        .context("the answer has no tag")
}

/// SIGKILL: the gateway gets no chance to close its sessions or hand its slots over.
pub fn kill(gateway: &Gateway) -> anyhow::Result<()> {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &gateway.pid.to_string()])
        .status()
        .context("running kill")?;
    anyhow::ensure!(
        status.success(),
        "kill -KILL {} failed ({status})",
        gateway.pid
    );
    Ok(())
}

/// The kill that happened.
#[derive(Debug, Clone)]
pub struct Strike {
    pub victim: Gateway,
    /// The run's sessions it held.
    pub sessions: usize,
    pub at: Instant,
}

/// At `at`, kills the gateway named `named` (or the one holding the most sessions, by the
/// tags the clients last connected to).
pub async fn strike(
    at: Instant,
    gateways: Vec<Gateway>,
    named: Option<String>,
    tags: Vec<watch::Receiver<String>>,
) -> anyhow::Result<Strike> {
    tokio::time::sleep_until(at.into()).await;
    let now: Vec<String> = tags.iter().map(|tag| tag.borrow().clone()).collect();
    let (victim, sessions) = match &named {
        Some(name) => {
            let victim = gateways
                .iter()
                .find(|gateway| gateway.name == *name)
                .with_context(|| format!("--victim {name}: no such gateway in stack.json"))?;
            (victim, now.iter().filter(|tag| **tag == victim.tag).count())
        }
        None => busiest(&gateways, &now).context("no gateway holds any of the sessions")?,
    };
    kill(victim)?;
    println!(
        "failover: killed {} (pid {}, {}) holding {sessions} of {} sessions",
        victim.name,
        victim.pid,
        victim.tag,
        now.len()
    );
    Ok(Strike {
        victim: victim.clone(),
        sessions,
        at: Instant::now(),
    })
}

/// The gateway whose tag appears most among `tags` (the sessions' gateways), if any holds one.
pub fn busiest<'a>(gateways: &'a [Gateway], tags: &[String]) -> Option<(&'a Gateway, usize)> {
    gateways
        .iter()
        .map(|gateway| {
            (
                gateway,
                tags.iter().filter(|tag| **tag == gateway.tag).count(),
            )
        })
        .filter(|(_, count)| *count > 0)
        .max_by_key(|(_, count)| *count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(name: &str, tag: &str) -> Gateway {
        Gateway {
            name: name.into(),
            pid: 1,
            tag: tag.into(),
        }
    }

    #[test]
    fn the_busiest_gateway_holds_the_most_sessions() {
        let gateways = [gateway("gateway-0", "gw-0"), gateway("gateway-1", "gw-1")];
        let tags: Vec<String> = ["gw-1", "gw-0", "gw-1"].map(String::from).to_vec();
        let (victim, count) = busiest(&gateways, &tags).unwrap();
        assert_eq!((victim.name.as_str(), count), ("gateway-1", 2));
        assert!(busiest(&gateways, &[]).is_none());
    }

    #[test]
    fn a_whoami_answer_gives_its_tag() {
        let answer = "HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{\"tag\":\"gw-2\",\"epoch\":4,\"slots\":341}";
        assert_eq!(tag_of(answer).unwrap(), "gw-2");
        assert!(tag_of("HTTP/1.0 404 Not Found\r\n\r\nnope").is_err());
    }
}
