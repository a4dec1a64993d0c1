//! Which gateway to kill: the stack's gateways from `stack.json` (written by
//! `cargo xtask up`), each with its tag (its `/debug/whoami`), so that the gateway holding
//! the most sessions can be found by the tag their `hello`s named.

use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::stack::StackFile;

/// One gateway of the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// Its component name (`gateway-1`).
    pub name: String,
    /// The tag it holds now.
    pub tag: String,
}

/// Every gateway `stack.json` lists, with its tag.
pub async fn gateways(stack: &StackFile) -> anyhow::Result<Vec<Gateway>> {
    let mut gateways = Vec::new();
    for entry in &stack.gateways {
        let tag = whoami(&entry.http)
            .await
            .with_context(|| format!("asking {} at {}", entry.name, entry.http))?;
        gateways.push(Gateway {
            name: entry.name.clone(),
            tag,
        });
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

/// The gateway named `named`, else the one holding the most of the sessions whose gateways
/// are `tags`, with the number of those sessions it holds.
pub fn choose(
    gateways: &[Gateway],
    named: Option<&str>,
    tags: &[String],
) -> anyhow::Result<(Gateway, usize)> {
    let (victim, sessions) = match named {
        Some(name) => {
            let victim = gateways
                .iter()
                .find(|gateway| gateway.name == name)
                .with_context(|| format!("--victim {name}: no such gateway in stack.json"))?;
            (
                victim,
                tags.iter().filter(|tag| **tag == victim.tag).count(),
            )
        }
        None => busiest(gateways, tags).context("no gateway holds any of the sessions")?,
    };
    Ok((victim.clone(), sessions))
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
        let (named, held) = choose(&gateways, Some("gateway-0"), &tags).unwrap();
        assert_eq!((named.name.as_str(), held), ("gateway-0", 1));
        assert!(choose(&gateways, Some("gateway-9"), &tags).is_err());
    }

    #[test]
    fn a_whoami_answer_gives_its_tag() {
        let answer = "HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{\"tag\":\"gw-2\",\"epoch\":4,\"slots\":341}";
        assert_eq!(tag_of(answer).unwrap(), "gw-2");
        assert!(tag_of("HTTP/1.0 404 Not Found\r\n\r\nnope").is_err());
    }
}
