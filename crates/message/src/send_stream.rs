//! `SendStream`: a gateway's sends on one long-lived stream, stored in the order they came.
//!
//! Each request is checked (content, then permission, which may wait for the access cache)
//! concurrently with the ones around it, up to [`WINDOW`] in flight, but requests enter the
//! writer strictly in stream order: a request whose check finished early waits for those before
//! it. A conversation's shard stores (and pushes) in the order sends entered it, so the sends of
//! one WebSocket session get seqs in the order the client sent them. The price is head-of-line
//! waiting behind a slow permission check (an access-cache miss, one account-service call).
//!
//! Replies go out as commits finish, each naming its request. On shutdown the stream stops
//! taking requests, answers those in flight and ends, so the gateway reconnects elsewhere.

use chat_common::{ServiceError, Shutdown};
use chat_proto::message as pb;
use futures::StreamExt;
use futures::stream::{FuturesOrdered, FuturesUnordered};
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

use crate::send::Checked;
use crate::service::Service;

/// Requests of one stream being checked or committed at once; beyond, the stream is not read
/// (HTTP/2 flow control then holds the gateway back).
const WINDOW: usize = 4_096;

/// Replies waiting for the gateway to read them.
const REPLIES: usize = 1_024;

/// The reply half of a `SendStream` call.
pub type Replies = tonic::codegen::BoxStream<pb::SendStreamReply>;

/// Starts serving one stream; returns its replies.
pub fn serve(
    service: Service,
    requests: Streaming<pb::SendStreamRequest>,
    shutdown: Shutdown,
) -> Replies {
    let (replies, outgoing) = mpsc::channel(REPLIES);
    tokio::spawn(run(service, requests, replies, shutdown));
    Box::pin(futures::stream::unfold(
        outgoing,
        |mut outgoing| async move { outgoing.recv().await.map(|reply| (Ok(reply), outgoing)) },
    ))
}

async fn run(
    service: Service,
    mut requests: Streaming<pb::SendStreamRequest>,
    replies: mpsc::Sender<pb::SendStreamReply>,
    shutdown: Shutdown,
) {
    let mut checking = FuturesOrdered::new();
    let mut committing = FuturesUnordered::new();
    let mut open = true;
    loop {
        let room = checking.len() + committing.len() < WINDOW;
        tokio::select! {
            // Commits first: they free the window and answer the oldest sends.
            biased;
            Some((id, outcome)) = committing.next() => {
                if replies.send(reply(id, outcome)).await.is_err() {
                    // The gateway is gone; what is queued still commits (and is pushed).
                    open = false;
                }
            }
            Some((id, checked)) = checking.next() => {
                // In stream order: this is where the order of the stream becomes the order of
                // the conversation.
                let queued = match checked {
                    Ok(checked) => Checked::enqueue(checked, &service.writer).await,
                    Err(error) => Err(error),
                };
                match queued {
                    Ok(sent) => committing.push(async move { (id, sent.committed().await) }),
                    Err(error) => {
                        let _ = replies.send(reply(id, Err(error))).await;
                    }
                }
            }
            next = requests.message(), if open && room => match next {
                Ok(Some(request)) => {
                    let service = service.clone();
                    checking.push_back(async move {
                        let id = request.id;
                        let Some(send) = request.send else {
                            let error = ServiceError::invalid("invalid_request", "send is required");
                            return (id, Err(error));
                        };
                        (id, service.check_send(send).await)
                    });
                }
                Ok(None) => open = false,
                Err(status) => {
                    tracing::debug!(%status, "a send stream broke");
                    open = false;
                }
            },
            _ = shutdown.wait(), if open => open = false,
            else => break,
        }
        if !open && checking.is_empty() && committing.is_empty() {
            break;
        }
    }
}

fn reply(id: u64, outcome: Result<pb::SendResponse, ServiceError>) -> pb::SendStreamReply {
    let outcome = match outcome {
        Ok(sent) => pb::send_stream_reply::Outcome::Sent(sent),
        Err(error) => pb::send_stream_reply::Outcome::Failed((&Status::from(error)).into()),
    };
    pb::SendStreamReply {
        id,
        outcome: Some(outcome),
    }
}
