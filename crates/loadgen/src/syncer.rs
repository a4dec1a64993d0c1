//! The two ways a client catches up at sign-in, each returning the seqs it got per
//! conversation: the REST calls alone (`GET /sync`, then a pull for every conversation with
//! more), or the client library's `Client`, which opens the WebSocket and resyncs the same way
//! (what an app does).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chat_client::wire::ChatMessage;
use chat_client::{Client, Config, Event, Rest, StartFrom};

use crate::pool;

/// Seqs received per conversation.
pub type Seqs = HashMap<String, Vec<u64>>;

fn add(seqs: &mut Seqs, messages: &[ChatMessage]) {
    for message in messages {
        seqs.entry(message.conversation_id.clone())
            .or_default()
            .push(message.seq);
    }
}

/// `GET /sync`, then every conversation with more pulled, `concurrency` at a time.
pub async fn via_rest(rest: &Rest, concurrency: usize) -> anyhow::Result<Seqs> {
    let unread = rest.sync().await.context("GET /sync")?;
    let mut seqs = Seqs::new();
    let mut more = Vec::new();
    for conversation in &unread {
        add(&mut seqs, &conversation.messages);
        if conversation.has_more {
            let last = conversation.messages.last().map_or(0, |m| m.seq);
            more.push((conversation.conversation.conversation_id.clone(), last));
        }
    }
    let more: Arc<[(String, u64)]> = more.into();
    let pages = pool::run_bounded(more.len(), concurrency, |index| {
        let (rest, more) = (rest.clone(), more.clone());
        async move {
            let (id, after) = &more[index];
            rest.pull_after(id, *after)
                .await
                .with_context(|| format!("pulling {id} after {after}"))
        }
    })
    .await?;
    for page in &pages {
        add(&mut seqs, page);
    }
    Ok(seqs)
}

/// A `Client` from sign-in to its first `Resynced`, within `timeout`.
pub async fn via_client(
    server: &str,
    token: &str,
    user_id: u64,
    timeout: Duration,
) -> anyhow::Result<Seqs> {
    let mut config = Config::new(server, token, user_id);
    config.start = StartFrom::Unread;
    let (client, mut events) = Client::connect(config).await.context("Client::connect")?;
    let mut seqs = Seqs::new();
    let collect = async {
        while let Some(event) = events.recv().await {
            match event {
                Event::Message(message) => add(&mut seqs, std::slice::from_ref(&message)),
                Event::Resynced { .. } => return Ok(()),
                Event::Kicked { reason } => anyhow::bail!("kicked: {reason}"),
                Event::Unauthorized { message, .. } => anyhow::bail!("unauthorized: {message}"),
                _ => {}
            }
        }
        anyhow::bail!("the client stopped before it resynced")
    };
    let outcome = tokio::time::timeout(timeout, collect).await;
    client.close().await;
    outcome.map_err(|_| anyhow::anyhow!("not resynced within {timeout:?}"))??;
    Ok(seqs)
}

/// How many distinct seqs arrived, and how many are missing below each conversation's
/// highest (a sync that skipped something).
pub fn tally(seqs: &mut Seqs) -> (u64, u64) {
    let (mut received, mut gaps) = (0, 0);
    for list in seqs.values_mut() {
        list.sort_unstable();
        list.dedup();
        received += list.len() as u64;
        let first = list.first().copied().unwrap_or(1);
        let last = list.last().copied().unwrap_or(0);
        gaps += (last + 1)
            .saturating_sub(first)
            .saturating_sub(list.len() as u64);
    }
    (received, gaps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_distinct_seqs_and_holes() {
        let mut seqs = Seqs::from([
            ("d:1:2".to_owned(), vec![3, 1, 2, 2]),
            ("d:1:3".to_owned(), vec![1, 4]),
        ]);
        assert_eq!(tally(&mut seqs), (5, 2));
    }
}
