//! One WebSocket session: a reader (client frames in, each answered) and a writer (the bounded
//! outbound queue out, plus the server's pings), sharing a [`Session`] in the hub. Either side
//! ending ends both.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chat_common::internal::InternalChannel;
use chat_proto::message as pb;
use chat_proto::message::message_client::MessageClient;
use chat_wire::frames::close;
use chat_wire::ws::{self, Messages, Step};
use chat_wire::{ClientFrame, ServerFrame};
use fastwebsockets::{
    Frame, OpCode, Payload, WebSocket, WebSocketError, WebSocketRead, WebSocketWrite,
};
use hyper_util::rt::TokioIo;
use tokio::io::{BufWriter, ReadHalf, WriteHalf};
use tokio::sync::{Semaphore, mpsc};

use super::hub::{Dialect, Hub, Outbound, Session, SessionRef, Starting};
use crate::limits::{Action, Limits};
use crate::presence::PresenceReporter;
use crate::rest::error::ApiError;
use crate::seed::realtime::SeedPushes;
use crate::sends::Sends;

type Stream = TokioIo<hyper::upgrade::Upgraded>;

/// The write side: frames gather in a buffer and go out in one write when the queue is empty
/// (a burst of pushes to one session costs one syscall, not one per frame).
type Writer = WebSocketWrite<BufWriter<WriteHalf<Stream>>>;

/// Frames written before a flush at the latest, so that a session that is never idle still
/// sees its frames promptly.
const FRAMES_PER_FLUSH: usize = 64;

/// How long a new session waits for its user to be reported online before saying `hello`.
const PRESENCE_PATIENCE: Duration = Duration::from_secs(2);

/// Session limits and timings.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub queue: usize,
    pub max_frame_bytes: usize,
    pub heartbeat: Duration,
    pub idle_timeout: Duration,
    /// Sends one session may have in flight before it stops reading.
    pub sends_in_flight: usize,
}

/// What a session needs from the gateway.
#[derive(Clone)]
pub struct SessionContext {
    pub hub: Arc<Hub>,
    pub message: MessageClient<InternalChannel>,
    /// The gateway's send stream: sends keep their order on it.
    pub sends: Sends,
    pub tag: String,
    pub limits: SessionLimits,
    pub presence: PresenceReporter,
    /// Renders pushes for seed sessions, and hands a connecting one what it missed.
    pub seed: Arc<SeedPushes>,
    /// Limits on sends and typing, shared with every gateway.
    pub rate_limits: Arc<Limits>,
}

/// Who a session is for, as authenticated before the upgrade.
pub struct Identity {
    pub user_id: u64,
    pub login_session: String,
    /// The token's expiry: the session is then ended as `kicked` (4002); the client signs in again.
    pub expires_at_ms: i64,
    pub dialect: Dialect,
    /// The client's address (for its rate limits).
    pub addr: String,
}

/// Serializes a server frame (it always serializes: every field is plain data).
pub fn encode(frame: &ServerFrame) -> Bytes {
    Bytes::from(serde_json::to_vec(frame).unwrap_or_default())
}

/// Runs a session until it ends.
pub async fn run(
    ws: WebSocket<Stream>,
    context: SessionContext,
    identity: Identity,
    session_id: String,
    starting: Starting,
) {
    let user_id = identity.user_id;
    let (queue, outbound) = mpsc::channel(context.limits.queue.max(4));
    let session = Session::speaking(
        identity.dialect,
        session_id,
        user_id,
        identity.login_session,
        queue,
    );
    // Before `hello` (after which the client syncs) and before pushes can reach the session:
    // the message service pushes only to users it finds online (see `presence`).
    context.presence.arrived(user_id, PRESENCE_PATIENCE).await;
    let added = context.hub.add(session.clone(), starting);
    for evicted in added.evicted {
        let reason = "signed in on another device (device limit reached)";
        let frame = encode(&ServerFrame::Kicked {
            reason: reason.into(),
        });
        evicted.end_with(frame, close::KICKED, reason);
    }
    metrics::counter!("chat_gateway_connections_total").increment(1);
    // The seed client has no greeting: any frame it cannot split as "<type>,<json>" breaks it.
    if identity.dialect == Dialect::Ours {
        session.offer(Outbound::Text(encode(&ServerFrame::Hello {
            user_id,
            session_id: session.id.clone(),
            gateway: context.tag.clone(),
            heartbeat_s: context.limits.heartbeat.as_secs(),
            idle_timeout_s: context.limits.idle_timeout.as_secs(),
        })));
    }
    if identity.dialect == Dialect::Seed {
        // Frames 5-7 it missed while away: the seed client has no pull for them.
        let (seed, session) = (context.seed.clone(), session.clone());
        tokio::spawn(async move { seed.catch_up(&session).await });
    }
    if added.closing {
        // Shutdown began between the 101 and now: the hub's broadcast missed this session.
        super::end_all(std::slice::from_ref(&session), super::SHUTTING_DOWN);
    }
    let (mut read, write) = ws.split(|stream| {
        let (read, write) = tokio::io::split(stream);
        (read, BufWriter::new(write))
    });
    chat_wire::ws::configure(&mut read, context.limits.max_frame_bytes);
    let writer = tokio::spawn(write_loop(
        write,
        outbound,
        session.clone(),
        context.limits.heartbeat,
        expiry_deadline(identity.expires_at_ms),
    ));
    read_loop(&mut read, &context, &session, &identity.addr).await;
    session.ended.cancel();
    context.hub.remove(&session);
    if !context.hub.holds(user_id) {
        context.presence.left(user_id);
    }
    let _ = writer.await;
}

/// When the token expires, as a deadline (a zero expiry is a year away: never, in practice).
fn expiry_deadline(expires_at_ms: i64) -> tokio::time::Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64);
    let left = if expires_at_ms <= 0 {
        Duration::from_secs(365 * 24 * 3600)
    } else {
        Duration::from_millis(expires_at_ms.saturating_sub(now_ms).max(0) as u64)
    };
    tokio::time::Instant::now() + left
}

/// Ends the session as `kicked` because its token expired.
fn expire(session: &Session) {
    let reason = "the sign-in expired; sign in again";
    let frame = encode(&ServerFrame::Kicked {
        reason: reason.into(),
    });
    session.end_with(frame, close::KICKED, reason);
}

/// The frame of a queued item, and whether it ends the session (a close).
fn frame_of(outbound: Outbound) -> (Frame<'static>, bool) {
    match outbound {
        Outbound::Text(bytes) => {
            metrics::counter!("chat_gateway_frames_out_total").increment(1);
            (Frame::text(Payload::Owned(bytes.to_vec())), false)
        }
        Outbound::Pong(payload) => (Frame::pong(Payload::Owned(payload.to_vec())), false),
        Outbound::Close(code, reason) => (Frame::close(code, reason.as_bytes()), true),
    }
}

/// Writes `frame`, then whatever else is queued already (up to [`FRAMES_PER_FLUSH`]), then
/// flushes. `Ok(true)` once a close is written: the session is over.
async fn write_batch(
    write: &mut Writer,
    outbound: &mut mpsc::Receiver<Outbound>,
    (frame, mut closing): (Frame<'_>, bool),
) -> Result<bool, WebSocketError> {
    write.write_frame(frame).await?;
    for _ in 1..FRAMES_PER_FLUSH {
        if closing {
            break;
        }
        let Ok(next) = outbound.try_recv() else { break };
        let (frame, close) = frame_of(next);
        write.write_frame(frame).await?;
        closing = close;
    }
    write.flush().await?;
    Ok(closing)
}

async fn write_loop(
    mut write: Writer,
    mut outbound: mpsc::Receiver<Outbound>,
    session: SessionRef,
    heartbeat: Duration,
    expires: tokio::time::Instant,
) {
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    let expiry = tokio::time::sleep_until(expires);
    tokio::pin!(expiry);
    let mut expired = false;
    loop {
        let frame = tokio::select! {
            _ = session.ended.cancelled() => break,
            _ = &mut expiry, if !expired => {
                expired = true;
                expire(&session);
                continue;
            }
            _ = ping.tick() => (Frame::new(true, OpCode::Ping, None, Payload::Borrowed(&[])), false),
            next = outbound.recv() => match next {
                Some(outbound) => frame_of(outbound),
                None => break,
            },
        };
        let written = tokio::select! {
            _ = session.ended.cancelled() => break,
            written = write_batch(&mut write, &mut outbound, frame) => written,
        };
        // A close was written (`true`), or the socket failed.
        if !matches!(written, Ok(false)) {
            session.ended.cancel();
            return;
        }
    }
    // Killed (slow consumer, idle, too big): say why if the socket still takes it, and keep
    // the socket open a moment: closing it with unread input (the rest of an oversized frame)
    // sends a reset, which can discard the close frame before the client reads it.
    let (code, reason) = session.closing();
    let close = async {
        write
            .write_frame(Frame::close(code, reason.as_bytes()))
            .await?;
        write.flush().await
    };
    if let Ok(Ok(())) = tokio::time::timeout(Duration::from_secs(1), close).await {
        tokio::time::sleep(LINGER).await;
    }
}

/// How long a killed session's socket stays open after its close frame.
const LINGER: Duration = Duration::from_millis(500);

async fn read_loop(
    read: &mut WebSocketRead<ReadHalf<Stream>>,
    context: &SessionContext,
    session: &SessionRef,
    addr: &str,
) {
    let sends = Arc::new(Semaphore::new(context.limits.sends_in_flight.max(1)));
    let mut messages = Messages::new(context.limits.max_frame_bytes);
    loop {
        // Closing echoes are sent by the library through this function.
        let mut obligated = |frame: Frame<'_>| {
            let payload = Bytes::copy_from_slice(&frame.payload);
            let outbound = if frame.opcode == OpCode::Close {
                Outbound::Close(ws::close_code(&payload), String::new())
            } else {
                Outbound::Pong(payload)
            };
            session.offer(outbound);
            std::future::ready(Ok::<(), std::convert::Infallible>(()))
        };
        let next = tokio::select! {
            _ = session.ended.cancelled() => return,
            next = tokio::time::timeout(context.limits.idle_timeout, read.read_frame(&mut obligated)) => next,
        };
        let frame = match next {
            Err(_) => return session.kill(close::IDLE, "nothing received within the idle timeout"),
            // A protocol error gets its RFC 6455 close code; a connection gone, nothing more.
            Ok(Err(error)) => {
                if let Some((code, reason)) = ws::read_error(&error) {
                    session.kill(code, &reason);
                }
                return;
            }
            Ok(Ok(frame)) => frame,
        };
        metrics::counter!("chat_gateway_frames_in_total").increment(1);
        match messages.frame(frame.fin, frame.opcode, &frame.payload) {
            Step::Wait => {}
            Step::Closed => return,
            Step::End { code, reason } => return session.kill(code, reason),
            Step::Ping(payload) => {
                session.offer(Outbound::Pong(Bytes::copy_from_slice(payload)));
            }
            Step::Binary if session.dialect == Dialect::Seed => {}
            Step::Binary => reply_error(session, "bad_frame", "frames are JSON text", None),
            Step::Text(text) => handle_text(&text, context, session, addr, &sends).await,
        }
    }
}

fn reply_error(session: &Session, code: &str, message: &str, client_msg_id: Option<String>) {
    session.offer(Outbound::Text(encode(&ServerFrame::Error {
        code: code.to_owned(),
        message: message.to_owned(),
        client_msg_id,
        retry_after_s: None,
    })));
}

fn reply_status(session: &Session, status: tonic::Status, client_msg_id: Option<String>) {
    let error = ApiError::from(status);
    session.offer(Outbound::Text(encode(&ServerFrame::Error {
        code: error.code,
        message: error.message,
        client_msg_id,
        retry_after_s: error.retry_after_s,
    })));
}

/// One client frame: parsed, then answered. Sends are handed to the send stream here, in frame
/// order (so they are stored in that order), and answered as they commit, up to the session's
/// limit in flight.
async fn handle_text(
    text: &[u8],
    context: &SessionContext,
    session: &SessionRef,
    addr: &str,
    sends: &Arc<Semaphore>,
) {
    // The seed client only says `{"msgType":1}` and `{"ping":true}`, which need no answer (the
    // server's WebSocket pings keep the session alive), and it cannot read our error frames.
    if session.dialect == Dialect::Seed {
        return;
    }
    let frame = match ClientFrame::parse(text) {
        Ok(frame) => frame,
        Err(error) => {
            return reply_error(
                session,
                "bad_frame",
                &format!("not a client frame: {error}"),
                None,
            );
        }
    };
    match frame {
        ClientFrame::Ping => {
            session.offer(Outbound::Text(encode(&ServerFrame::Pong)));
        }
        ClientFrame::Send {
            client_msg_id,
            kind,
            target_id,
            content,
        } => {
            let limited = context
                .rate_limits
                .check(Action::Send, Some(session.user_id), addr)
                .await;
            if let Err(refusal) = limited {
                return reply_status(session, refusal.into(), Some(client_msg_id));
            }
            let Ok(permit) = sends.clone().acquire_owned().await else {
                return;
            };
            let request = chat_wire::SendRequest {
                kind,
                target_id,
                client_msg_id: client_msg_id.clone(),
                content,
            }
            .into_proto(session.user_id, session.id.clone());
            let request = match request {
                Ok(request) => request,
                Err(error) => {
                    return reply_error(
                        session,
                        "invalid_content",
                        &error.to_string(),
                        Some(client_msg_id),
                    );
                }
            };
            let answer = context.sends.submit(request).await;
            let session = session.clone();
            tokio::spawn(async move {
                let answer = answer
                    .await
                    .unwrap_or_else(|_| Err(tonic::Status::unavailable("the gateway stopped")));
                drop(permit);
                match answer {
                    Ok(reply) => {
                        session.offer(Outbound::Text(encode(&ServerFrame::Ack {
                            client_msg_id,
                            message_id: reply.message_id,
                            conversation_id: reply.conversation_id,
                            seq: reply.seq,
                            server_time_ms: reply.server_time_ms,
                            duplicate: reply.duplicate,
                        })));
                    }
                    Err(status) => reply_status(&session, status, Some(client_msg_id)),
                }
            });
        }
        ClientFrame::Read {
            conversation_id,
            seq,
        } => {
            let request = pb::MarkReadRequest {
                actor_id: session.user_id,
                conversation_id: conversation_id.clone(),
                seq,
                report_previous: false,
            };
            match context.message.clone().mark_read(request).await {
                Ok(reply) => {
                    let reply = reply.into_inner();
                    session.offer(Outbound::Text(encode(&ServerFrame::ReadAck {
                        conversation_id,
                        read_seq: reply.read_seq,
                        unread: reply.unread,
                    })));
                }
                Err(status) => reply_status(session, status, None),
            }
        }
        ClientFrame::Typing { conversation_id } => {
            let limited = context
                .rate_limits
                .check(Action::Typing, Some(session.user_id), addr)
                .await;
            if let Err(refusal) = limited {
                return reply_status(session, refusal.into(), None);
            }
            let request = pb::TypingRequest {
                actor_id: session.user_id,
                conversation_id,
            };
            if let Err(status) = context.message.clone().typing(request).await {
                reply_status(session, status, None);
            }
        }
    }
}
