//! The gateway's WebSocket sends, on one `SendStream` to the message service.
//!
//! Sessions hand their sends to [`Sends::submit`] in the order the client sent them; the stream
//! carries them in that order, which the message service keeps per conversation (see
//! `SendStream` in `message.proto`). A unary call per send would let two sends of one session
//! overtake each other on the way, and costs a stream (headers, a task) per message.
//!
//! When the stream breaks, sends without a reply are answered `unavailable`: they may or may
//! not have been stored, and the client's retry with the same client_msg_id tells (a stored one
//! comes back `duplicate`). The stream is opened again at once, then with backoff while the
//! message service is away; meanwhile sends are answered `unavailable` rather than held.

use std::collections::HashMap;
use std::time::Duration;

use chat_common::Shutdown;
use chat_common::internal::InternalChannel;
use chat_proto::message as pb;
use chat_proto::message::message_client::MessageClient;
use tokio::sync::{mpsc, oneshot};
use tonic::Status;

/// Sends waiting to go on the stream (beyond, `submit` waits: the sessions stop reading).
const QUEUE: usize = 4_096;

/// The answer to one send.
pub type Answer = Result<pb::SendResponse, Status>;

struct Submitted {
    send: pb::SendRequest,
    reply: oneshot::Sender<Answer>,
}

/// Puts sends on the gateway's stream.
#[derive(Clone)]
pub struct Sends {
    queue: mpsc::Sender<Submitted>,
}

impl Sends {
    /// Starts the stream task (it opens the stream on the first send).
    pub fn start(client: MessageClient<InternalChannel>, shutdown: Shutdown) -> Self {
        let (queue, submitted) = mpsc::channel(QUEUE);
        tokio::spawn(run(client, submitted, shutdown));
        Self { queue }
    }

    /// Queues `send` behind every send submitted before it; the answer comes once it is
    /// committed (or failed).
    pub async fn submit(&self, send: pb::SendRequest) -> oneshot::Receiver<Answer> {
        let (reply, answer) = oneshot::channel();
        if let Err(refused) = self.queue.send(Submitted { send, reply }).await {
            let _ = refused.0.reply.send(Err(gone()));
        }
        answer
    }
}

fn gone() -> Status {
    Status::unavailable("the gateway is shutting down")
}

fn broken() -> Status {
    Status::unavailable("the message service is out of reach; retry the send")
}

/// Longest wait between attempts to open the stream.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

async fn run(
    mut client: MessageClient<InternalChannel>,
    mut submitted: mpsc::Receiver<Submitted>,
    shutdown: Shutdown,
) {
    let mut backoff = Duration::from_millis(50);
    loop {
        // Idle until there is something to send: a stream is opened on demand.
        let first = tokio::select! {
            first = submitted.recv() => first,
            _ = shutdown.wait() => None,
        };
        let Some(first) = first else { return };
        let (requests, outgoing) = mpsc::channel::<pb::SendStreamRequest>(QUEUE);
        let request_stream = futures::stream::unfold(outgoing, |mut outgoing| async move {
            outgoing.recv().await.map(|request| (request, outgoing))
        });
        // The call answers with headers only after the first request is on its way.
        let mut stream = Stream::new(requests);
        stream.put(first);
        match client.send_stream(request_stream).await {
            Ok(replies) => {
                backoff = Duration::from_millis(50);
                metrics::counter!("chat_gateway_send_streams_total").increment(1);
                stream
                    .serve(replies.into_inner(), &mut submitted, &shutdown)
                    .await;
            }
            Err(status) => {
                tracing::warn!(%status, "cannot open the send stream; retrying");
                stream.fail_all();
                refuse_for(backoff, &mut submitted, &shutdown).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        if shutdown.is_triggered() {
            submitted.close();
            while let Some(late) = submitted.recv().await {
                let _ = late.reply.send(Err(gone()));
            }
            return;
        }
    }
}

/// Answers every send submitted within `wait` as unavailable (the stream is down).
async fn refuse_for(
    wait: Duration,
    submitted: &mut mpsc::Receiver<Submitted>,
    shutdown: &Shutdown,
) {
    let deadline = tokio::time::sleep(wait);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            _ = shutdown.wait() => return,
            next = submitted.recv() => match next {
                Some(late) => {
                    let _ = late.reply.send(Err(broken()));
                }
                None => return,
            },
        }
    }
}

/// One open stream: the sends on it that wait for a reply.
struct Stream {
    requests: mpsc::Sender<pb::SendStreamRequest>,
    waiting: HashMap<u64, oneshot::Sender<Answer>>,
    next_id: u64,
}

impl Stream {
    fn new(requests: mpsc::Sender<pb::SendStreamRequest>) -> Self {
        Self {
            requests,
            waiting: HashMap::new(),
            next_id: 0,
        }
    }

    /// Puts a send on the stream; false when the stream is gone. Called only when the stream
    /// has room (see `serve`), so it never waits.
    fn put(&mut self, submitted: Submitted) -> bool {
        self.next_id += 1;
        let request = pb::SendStreamRequest {
            id: self.next_id,
            send: Some(submitted.send),
        };
        if self.requests.try_send(request).is_err() {
            let _ = submitted.reply.send(Err(broken()));
            return false;
        }
        self.waiting.insert(self.next_id, submitted.reply);
        true
    }

    /// Moves sends onto the stream and replies back to their sessions until the stream ends.
    ///
    /// Sends are taken only while the stream has room, and replies are read always: waiting
    /// for room with replies unread could wait forever (the service stops reading requests
    /// while its replies are not read).
    async fn serve(
        mut self,
        mut replies: tonic::Streaming<pb::SendStreamReply>,
        submitted: &mut mpsc::Receiver<Submitted>,
        shutdown: &Shutdown,
    ) {
        enum Event {
            Send(Option<Submitted>),
            Room(bool),
            Reply(Result<Option<pb::SendStreamReply>, Status>),
            Closing,
        }
        let mut closing = false;
        loop {
            let room = self.requests.capacity() > 0;
            let event = tokio::select! {
                next = submitted.recv(), if !closing && room => Event::Send(next),
                // Wakes the loop once room frees up (the permit is given back at once).
                reserved = self.requests.reserve(), if !closing && !room => Event::Room(reserved.is_ok()),
                reply = replies.message() => Event::Reply(reply),
                _ = shutdown.wait(), if !closing => Event::Closing,
            };
            match event {
                Event::Send(Some(send)) => {
                    if !self.put(send) {
                        break;
                    }
                }
                Event::Send(None) | Event::Closing => closing = true,
                Event::Room(open) => {
                    if !open {
                        break;
                    }
                }
                Event::Reply(Ok(Some(reply))) => self.answer(reply),
                Event::Reply(Ok(None)) => break,
                Event::Reply(Err(status)) => {
                    tracing::warn!(%status, "the send stream broke");
                    break;
                }
            }
            if closing && self.waiting.is_empty() {
                break;
            }
        }
        self.fail_all();
    }

    fn answer(&mut self, reply: pb::SendStreamReply) {
        let Some(waiting) = self.waiting.remove(&reply.id) else {
            tracing::warn!(id = reply.id, "a send reply for no request");
            return;
        };
        let answer = match reply.outcome {
            Some(pb::send_stream_reply::Outcome::Sent(sent)) => Ok(sent),
            Some(pb::send_stream_reply::Outcome::Failed(failure)) => Err(Status::from(failure)),
            None => Err(Status::internal("a send reply without an outcome")),
        };
        let _ = waiting.send(answer);
    }

    /// Answers every send still waiting: the stream is gone.
    fn fail_all(&mut self) {
        for (_, waiting) in self.waiting.drain() {
            let _ = waiting.send(Err(broken()));
        }
    }
}
