//! One WebSocket connection: `ClientFrame`s out, `ServerFrame`s in, as JSON text frames.
//!
//! `fastwebsockets`' `read_frame` is not cancel-safe (a frame half read when its future is
//! dropped is lost), so it never sits in a `select!`: a reader task reads frames and a writer
//! task writes them, and the owner talks to both over channels, which are cancel-safe. Pings
//! are answered and close frames echoed by the reader through the writer.

use std::time::Duration;

use chat_wire::{ClientFrame, ServerFrame};
use fastwebsockets::{
    FragmentCollectorRead, Frame, OpCode, Payload, Role, WebSocket, WebSocketWrite,
};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::endpoint::Endpoint;
use crate::error::WsError;
use crate::handshake::upgrade_within;

/// Frames queued for the writer before `send` waits.
const WRITE_QUEUE: usize = 256;

/// Server frames larger than this end the connection (the server's own limit is far lower).
const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;

type Stream = TokioIo<Upgraded>;

/// What the reader saw.
#[derive(Debug, Clone, PartialEq)]
pub enum WsEvent {
    /// A server frame.
    Frame(ServerFrame),
    /// A text frame that is no known server frame (a newer server); skipped by the client.
    Unknown(String),
    /// The server closed the connection with a close frame.
    Closed { code: Option<u16>, reason: String },
    /// The connection broke (reset, end of stream, protocol error).
    Failed(String),
}

/// An open WebSocket. Dropping it drops the connection.
#[derive(Debug)]
pub struct WsConnection {
    writes: mpsc::Sender<Frame<'static>>,
    events: mpsc::UnboundedReceiver<WsEvent>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl WsConnection {
    /// Connects to `path` on `endpoint` with a bearer token; the handshake must finish within
    /// `timeout`.
    pub async fn open(
        endpoint: &Endpoint,
        path: &str,
        token: &str,
        timeout: Duration,
    ) -> Result<Self, WsError> {
        let stream = upgrade_within(endpoint, path, token, timeout).await?;
        Ok(Self::over(stream))
    }

    /// Runs the protocol over an upgraded stream.
    fn over(stream: Stream) -> Self {
        let mut socket = WebSocket::after_handshake(stream, Role::Client);
        socket.set_auto_pong(true);
        socket.set_auto_close(true);
        socket.set_max_message_size(MAX_FRAME_BYTES);
        let (read, write) = socket.split(tokio::io::split);
        let (writes, queued) = mpsc::channel(WRITE_QUEUE);
        let (events_tx, events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_loop(
            FragmentCollectorRead::new(read),
            writes.clone(),
            events_tx.clone(),
        ));
        let writer = tokio::spawn(write_loop(write, queued, events_tx));
        Self {
            writes,
            events,
            reader,
            writer,
        }
    }

    /// Queues a frame; an error means the connection is gone (its reason comes from `recv`).
    pub async fn send(&self, frame: &ClientFrame) -> Result<(), WsError> {
        let text = serde_json::to_vec(frame)
            .map_err(|error| WsError::Handshake(format!("unserializable frame: {error}")))?;
        self.writes
            .send(Frame::text(Payload::Owned(text)))
            .await
            .map_err(|_| WsError::Transport("the connection is closed".into()))
    }

    /// The next thing the reader saw; `None` once the connection is over. Cancel-safe.
    pub async fn recv(&mut self) -> Option<WsEvent> {
        self.events.recv().await
    }

    /// Sends a close frame and waits up to `wait` for the server's echo (a polite close, so
    /// that the server does not log a reset).
    pub async fn close(&mut self, code: u16, reason: &str, wait: Duration) {
        if self
            .writes
            .send(Frame::close(code, reason.as_bytes()))
            .await
            .is_err()
        {
            return;
        }
        let echo = async {
            while let Some(event) = self.events.recv().await {
                if matches!(event, WsEvent::Closed { .. } | WsEvent::Failed(_)) {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(wait, echo).await;
    }
}

impl Drop for WsConnection {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// Reads frames until the connection ends, sending obligated replies (pong, close echo)
/// through the writer.
async fn read_loop(
    mut reader: FragmentCollectorRead<ReadHalf<Stream>>,
    writes: mpsc::Sender<Frame<'static>>,
    events: mpsc::UnboundedSender<WsEvent>,
) {
    let mut obligated = |frame: Frame<'static>| {
        let writes = writes.clone();
        async move {
            writes
                .send(frame)
                .await
                .map_err(|_| "the writer has stopped")
        }
    };
    loop {
        let frame = match reader.read_frame(&mut obligated).await {
            Ok(frame) => frame,
            Err(error) => {
                let _ = events.send(WsEvent::Failed(error.to_string()));
                return;
            }
        };
        let event = match frame.opcode {
            OpCode::Text => decode(&frame.payload),
            OpCode::Binary => WsEvent::Unknown("a binary frame".into()),
            OpCode::Close => {
                let (code, reason) = close_payload(&frame.payload);
                let _ = events.send(WsEvent::Closed { code, reason });
                return;
            }
            OpCode::Continuation | OpCode::Ping | OpCode::Pong => continue,
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

/// Writes queued frames until the queue closes, a close frame is written, or writing fails.
async fn write_loop(
    mut writer: WebSocketWrite<WriteHalf<Stream>>,
    mut queued: mpsc::Receiver<Frame<'static>>,
    events: mpsc::UnboundedSender<WsEvent>,
) {
    while let Some(frame) = queued.recv().await {
        let closing = frame.opcode == OpCode::Close;
        let written = match writer.write_frame(frame).await {
            Ok(()) => writer.flush().await,
            Err(error) => Err(error),
        };
        if let Err(error) = written {
            let _ = events.send(WsEvent::Failed(format!("write: {error}")));
            return;
        }
        if closing {
            return;
        }
    }
}

/// A text frame as a server frame.
fn decode(payload: &[u8]) -> WsEvent {
    match serde_json::from_slice::<ServerFrame>(payload) {
        Ok(frame) => WsEvent::Frame(frame),
        Err(error) => WsEvent::Unknown(error.to_string()),
    }
}

/// A close frame's code (absent when the payload is empty) and reason.
fn close_payload(payload: &[u8]) -> (Option<u16>, String) {
    match payload {
        [high, low, reason @ ..] => (
            Some(u16::from_be_bytes([*high, *low])),
            String::from_utf8_lossy(reason).into_owned(),
        ),
        _ => (None, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_payload_gives_code_and_reason() {
        let mut payload = 4001_u16.to_be_bytes().to_vec();
        payload.extend_from_slice(b"moved");
        assert_eq!(close_payload(&payload), (Some(4001), "moved".into()));
        assert_eq!(
            close_payload(&1000_u16.to_be_bytes()),
            (Some(1000), String::new())
        );
        assert_eq!(close_payload(&[]), (None, String::new()));
    }

    #[test]
    fn text_frames_decode_to_server_frames_or_are_set_aside() {
        assert_eq!(
            decode(br#"{"type":"pong"}"#),
            WsEvent::Frame(ServerFrame::Pong)
        );
        assert!(matches!(
            decode(br#"{"type":"dance"}"#),
            WsEvent::Unknown(_)
        ));
        assert!(matches!(decode(b"not json"), WsEvent::Unknown(_)));
    }
}
