//! Opening one user's WebSocket through the balancer and reading its `hello`, retrying what
//! may pass: a stale route (421), no owner for the slot yet (503), a refused or reset
//! connection while a gateway restarts.

use std::time::{Duration, Instant};

use chat_client::wire::ServerFrame;
use chat_client::{Endpoint, WsConnection, WsError, WsEvent, ws_path};

use crate::users::Account;

/// Waits between attempts: short, since a benchmark measures how fast sessions come back.
const RETRY_DELAY: Duration = Duration::from_millis(100);

/// An open session and the gateway holding it.
pub struct Session {
    pub connection: WsConnection,
    /// The tag of the gateway (from `hello`).
    pub gateway: String,
}

/// Opens `account`'s session; each attempt is bounded by `timeout`, retries stop after
/// `patience`.
pub async fn open(
    endpoint: &Endpoint,
    account: &Account,
    timeout: Duration,
    patience: Duration,
) -> Result<Session, WsError> {
    let give_up = Instant::now() + patience;
    loop {
        match attempt(endpoint, account, timeout).await {
            Ok(session) => return Ok(session),
            Err(error) if error.is_auth() || Instant::now() + RETRY_DELAY >= give_up => {
                return Err(error);
            }
            Err(_) => tokio::time::sleep(RETRY_DELAY).await,
        }
    }
}

async fn attempt(
    endpoint: &Endpoint,
    account: &Account,
    timeout: Duration,
) -> Result<Session, WsError> {
    let path = ws_path(account.user_id);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut connection = WsConnection::open(endpoint, &path, &account.token, timeout).await?;
    let first = tokio::time::timeout_at(deadline, connection.recv())
        .await
        .map_err(|_| WsError::Timeout)?;
    match first {
        Some(WsEvent::Frame(ServerFrame::Hello { gateway, .. })) => Ok(Session {
            connection,
            gateway,
        }),
        other => Err(WsError::Handshake(format!(
            "the session did not start with hello: {other:?}"
        ))),
    }
}
