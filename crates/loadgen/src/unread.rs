//! A user with many unread messages, for the `sync` scenario: `conversations` friends each
//! send their share of `messages` to the reader through the message service's gRPC API (the
//! fast way to fill a history; only the reading is measured).

use std::sync::Arc;

use crate::grpc::Channel;
use anyhow::Context;
use chat_proto::account::account_client::AccountClient;
use chat_proto::common::message_content::Body;
use chat_proto::common::{ConversationKind, MessageContent, TextContent};
use chat_proto::message::SendRequest;
use chat_proto::message::message_client::MessageClient;

use crate::pool;
use crate::setup::{self, Pair};

/// Sends in flight while filling the history.
const FILL_CONCURRENCY: usize = 64;

/// Registers `count` friends of `reader` (numbers from `first`); returns their ids.
pub async fn friends(
    account: Channel,
    run_id: &str,
    reader: u64,
    first: usize,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<u64>> {
    let client = AccountClient::new(account);
    let run_id: Arc<str> = Arc::from(run_id);
    pool::run_bounded(count, concurrency, |index| {
        let (client, run_id) = (client.clone(), run_id.clone());
        async move {
            let friend =
                setup::register(client.clone(), setup::username(&run_id, first + index)).await?;
            setup::befriend(
                client,
                Pair {
                    a: friend,
                    b: reader,
                },
            )
            .await?;
            Ok(friend)
        }
    })
    .await
}

/// Sends `messages` texts to `reader`, round robin over `friends`.
pub async fn fill(
    message: Channel,
    run_id: &str,
    reader: u64,
    friends: &[u64],
    messages: u64,
) -> anyhow::Result<()> {
    let client = MessageClient::new(message);
    let friends: Arc<[u64]> = friends.into();
    let prefix: Arc<str> = Arc::from(format!("{run_id}-"));
    pool::run_bounded(messages as usize, FILL_CONCURRENCY, |index| {
        let (mut client, friends, prefix) = (client.clone(), friends.clone(), prefix.clone());
        async move {
            let from = friends[index % friends.len()];
            client
                .send(SendRequest {
                    actor_id: from,
                    kind: ConversationKind::Direct as i32,
                    target_id: reader,
                    client_msg_id: format!("{prefix}{index}"),
                    content: Some(MessageContent {
                        body: Some(Body::Text(TextContent {
                            text: format!("unread {index} for the sync benchmark"),
                        })),
                    }),
                    origin_session_id: String::new(),
                })
                .await
                .with_context(|| format!("sending unread message {index}"))?;
            Ok(())
        }
    })
    .await?;
    Ok(())
}
