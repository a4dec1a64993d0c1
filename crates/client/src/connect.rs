//! Opening a session: the WebSocket handshake through the balancer, then the server's `hello`.

use std::time::Duration;

use chat_wire::ServerFrame;
use tokio::time::Instant;

use crate::endpoint::{Endpoint, ws_path};
use crate::error::WsError;
use crate::ws::{WsConnection, WsEvent};

/// Used when a `hello` names no heartbeat (the server's default).
const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(25);
/// Used when a `hello` names no idle timeout (the server's default).
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The first frame of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub user_id: u64,
    pub session_id: String,
    /// The tag of the gateway holding the session.
    pub gateway: String,
    /// Send something at least this often.
    pub heartbeat: Duration,
    /// The server ends a session silent this long; the client treats the same silence from
    /// the server as a dead connection.
    pub idle_timeout: Duration,
}

impl Hello {
    fn new(
        user_id: u64,
        session_id: String,
        gateway: String,
        heartbeat_s: u64,
        idle_timeout_s: u64,
    ) -> Self {
        let or = |seconds: u64, default: Duration| match seconds {
            0 => default,
            seconds => Duration::from_secs(seconds),
        };
        Self {
            user_id,
            session_id,
            gateway,
            heartbeat: or(heartbeat_s, DEFAULT_HEARTBEAT),
            idle_timeout: or(idle_timeout_s, DEFAULT_IDLE_TIMEOUT),
        }
    }
}

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    #[error(transparent)]
    Ws(#[from] WsError),
    /// The server ended the session at once, on purpose (`kicked`).
    #[error("kicked: {0}")]
    Kicked(String),
}

/// Opens `user_id`'s session through `endpoint` and waits for `hello`, all within `timeout`.
pub(crate) async fn open_session(
    endpoint: &Endpoint,
    user_id: u64,
    token: &str,
    timeout: Duration,
) -> Result<(WsConnection, Hello), OpenError> {
    let deadline = Instant::now() + timeout;
    let mut connection = WsConnection::open(endpoint, &ws_path(user_id), token, timeout).await?;
    let first = tokio::time::timeout_at(deadline, connection.recv())
        .await
        .map_err(|_| WsError::Timeout)?;
    let hello = match first {
        Some(WsEvent::Frame(ServerFrame::Hello {
            user_id,
            session_id,
            gateway,
            heartbeat_s,
            idle_timeout_s,
        })) => Hello::new(user_id, session_id, gateway, heartbeat_s, idle_timeout_s),
        Some(WsEvent::Frame(ServerFrame::Kicked { reason })) => {
            return Err(OpenError::Kicked(reason));
        }
        other => return Err(not_hello(other).into()),
    };
    Ok((connection, hello))
}

/// What to say when a session starts with something else than `hello`.
fn not_hello(first: Option<WsEvent>) -> WsError {
    match first {
        Some(WsEvent::Closed { code, reason }) => WsError::Handshake(format!(
            "closed ({}) before hello: {reason}",
            code.map_or_else(|| "no code".to_owned(), |code| code.to_string())
        )),
        Some(WsEvent::Failed(error)) => WsError::Transport(error),
        Some(other) => WsError::Handshake(format!("the first frame was not hello: {other:?}")),
        None => WsError::Transport("the connection ended before hello".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hello_without_timings_gets_the_server_defaults() {
        let hello = Hello::new(1, "s".into(), "gw-1".into(), 0, 0);
        assert_eq!(hello.heartbeat, DEFAULT_HEARTBEAT);
        assert_eq!(hello.idle_timeout, DEFAULT_IDLE_TIMEOUT);
        let hello = Hello::new(1, "s".into(), "gw-1".into(), 5, 12);
        assert_eq!(
            (hello.heartbeat, hello.idle_timeout),
            (Duration::from_secs(5), Duration::from_secs(12))
        );
    }

    #[test]
    fn a_session_that_does_not_start_with_hello_says_what_came_instead() {
        let closed = not_hello(Some(WsEvent::Closed {
            code: Some(1008),
            reason: "slow".into(),
        }));
        assert_eq!(
            closed.to_string(),
            "handshake: closed (1008) before hello: slow"
        );
        assert!(matches!(not_hello(None), WsError::Transport(_)));
        assert!(matches!(
            not_hello(Some(WsEvent::Frame(ServerFrame::Pong))),
            WsError::Handshake(_)
        ));
    }
}
