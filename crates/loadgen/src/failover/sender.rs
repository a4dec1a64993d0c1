//! The sends of the failover run: on the plan's timetable, each through the sender's `Client`
//! (which keeps it across reconnects and sends it again with the same `client_msg_id` until it
//! is acknowledged), one task per send so that a send stuck in a reconnect holds up no other.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use chat_client::Client;
use chat_client::wire::{Content, ConversationKind};
use tokio::task::JoinSet;

use crate::recorder::{Failure, Log};
use crate::ws::peer::Shared;
use crate::ws::stamp;

/// What the sends came to.
#[derive(Debug, Default)]
pub struct Sent {
    /// Failed sends (successful ones are measured at the receiver).
    pub log: Log,
    /// Acknowledged seqs per sender index and conversation.
    pub acked: HashMap<usize, HashMap<String, Vec<u64>>>,
}

/// Sends on the plan's timetable until the window ends, then waits for every answer.
/// `route(ticket)` names the sender's index and the recipient.
pub async fn drive(
    shared: Arc<Shared>,
    clients: Arc<[Client]>,
    mut route: impl FnMut(u64) -> (usize, u64),
) -> Sent {
    let plan = shared.plan;
    let mut running = JoinSet::new();
    let mut sent = Sent::default();
    for ticket in 0.. {
        let Some(due) = plan.schedule(ticket) else {
            break;
        };
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        while let Some(Ok(done)) = running.try_join_next() {
            settle(&mut sent, &shared, done);
        }
        let (from, to) = route(ticket);
        let (client, shared) = (clients[from].clone(), shared.clone());
        running.spawn(async move {
            let text = stamp::text(ticket, shared.plan.offset_us(due), &shared.filler);
            let id = format!("{}{ticket}", shared.client_prefix);
            shared.counters.sent.fetch_add(1, Ordering::Relaxed);
            let content = Content::Text { text };
            let answer = client
                .send_with_id(id, ConversationKind::Direct, to, content)
                .await;
            (from, due, answer.map(|ack| (ack.conversation_id, ack.seq)))
        });
    }
    while let Some(Ok(done)) = running.join_next().await {
        settle(&mut sent, &shared, done);
    }
    sent
}

type Answer = (
    usize,
    Instant,
    Result<(String, u64), chat_client::ClientError>,
);

fn settle(sent: &mut Sent, shared: &Shared, (from, due, answer): Answer) {
    match answer {
        Ok((conversation, seq)) => {
            shared.counters.acked.fetch_add(1, Ordering::Relaxed);
            let mine = sent.acked.entry(from).or_default();
            mine.entry(conversation).or_default().push(seq);
        }
        Err(error) => {
            shared.counters.failed.fetch_add(1, Ordering::Relaxed);
            let failure = Failure {
                code: "SendFailed".into(),
                message: error.to_string(),
            };
            sent.log
                .record(&shared.plan.window, due, Instant::now(), Err(failure));
        }
    }
}
