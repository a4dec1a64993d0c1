//! The client's errors: what the server answered (`ApiError`, with the HTTP status and the REST
//! body `{code, message}`), and what went wrong on the way there.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An error answer of the server: the HTTP status and the `{code, message}` body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// From `Retry-After` (rate limits).
    pub retry_after: Option<Duration>,
}

/// The REST body of an error.
#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: String,
}

impl ApiError {
    /// Reads an error answer. A body that is not the REST error shape (OpenResty's own HTML
    /// page, an empty 502) still yields an error: `http_<status>` with the start of the body.
    pub fn from_reply(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(parsed) => Self {
                status,
                code: parsed.code,
                message: parsed.message,
                retry_after,
            },
            Err(_) => Self {
                status,
                code: format!("http_{status}"),
                message: snippet(body),
                retry_after,
            },
        }
    }

    /// The token is missing, wrong, expired or revoked (401), or names another user (403):
    /// retrying with the same token cannot help.
    pub fn is_auth(&self) -> bool {
        matches!(self.status, 401 | 403)
    }

    /// Worth trying again later: the server or a backend was briefly unavailable.
    pub fn is_transient(&self) -> bool {
        matches!(self.status, 408 | 429 | 500..=599)
    }
}

/// At most 200 characters of a body, for messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A REST call failed.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// The server answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// No answer: connection refused or reset, timeout, malformed HTTP.
    #[error("transport: {0}")]
    Transport(String),
    /// A success answer whose body is not what the API documents.
    #[error("unexpected answer to {call}: {error}")]
    Decode { call: String, error: String },
    /// The base URL (or a URL built from it) is unusable.
    #[error("invalid URL {0}")]
    InvalidUrl(String),
}

impl RestError {
    /// The server's error, when it answered one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(error) => Some(error),
            _ => None,
        }
    }

    /// The error code the server answered (`"forbidden"`, ...), when it answered one.
    pub fn code(&self) -> Option<&str> {
        self.api().map(|error| error.code.as_str())
    }

    /// Worth retrying: no answer at all, or a transient server error.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api(error) => error.is_transient(),
            Self::Transport(_) => true,
            Self::Decode { .. } | Self::InvalidUrl(_) => false,
        }
    }
}

/// Where a gateway that does not own the user says the user lives now (the 421 body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub addr: String,
    #[serde(default)]
    pub epoch: u64,
    #[serde(default)]
    pub slot: u32,
}

/// Opening a WebSocket failed.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// 421: the gateway reached does not own the user (stale routing); connect again through
    /// the balancer.
    #[error("moved to {} ({}, epoch {})", .0.tag, .0.addr, .0.epoch)]
    Moved(Moved),
    /// Refused before the upgrade with the REST error body (401, 403, 426, 503, ...).
    #[error("refused: {0}")]
    Refused(ApiError),
    /// No answer: connection refused or reset, malformed HTTP.
    #[error("transport: {0}")]
    Transport(String),
    /// The server answered 101 but not as RFC 6455 says, or the session did not start with
    /// `hello`.
    #[error("handshake: {0}")]
    Handshake(String),
    /// The server did not complete the handshake (or send `hello`) in time.
    #[error("timed out")]
    Timeout,
}

impl WsError {
    /// Reads a refusal: 421 carries `{"moved": {...}}`, anything else the REST error body.
    pub fn from_refusal(status: u16, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct MovedBody {
            moved: Moved,
        }
        if status == 421
            && let Ok(body) = serde_json::from_slice::<MovedBody>(body)
        {
            return Self::Moved(body.moved);
        }
        Self::Refused(ApiError::from_reply(status, body, None))
    }

    /// The token was refused (401) or names another user (403): reconnecting cannot help.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Refused(error) if error.is_auth())
    }
}

/// An error of the high-level client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A REST call failed (the baseline listing at start, a pull, ...).
    #[error(transparent)]
    Rest(#[from] RestError),
    /// The WebSocket could not be opened.
    #[error("websocket: {0}")]
    Ws(#[from] WsError),
    /// The server answered a frame with an `error` frame.
    #[error("rejected: {code}: {message}")]
    Rejected { code: String, message: String },
    /// No answer within the configured time.
    #[error("timed out waiting for the server")]
    Timeout,
    /// The server ended the session on purpose (close 4002: device limit, logout, ...).
    #[error("kicked: {0}")]
    Kicked(String),
    /// The client has ended (closed, kicked or unauthorized).
    #[error("the client has ended")]
    Ended,
}

impl ClientError {
    /// The server's error code, when it answered one (a REST code or an `error` frame's).
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Rest(error) => error.code(),
            Self::Ws(WsError::Refused(error)) => Some(&error.code),
            Self::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rest_error_body_gives_status_code_and_message() {
        let error = ApiError::from_reply(
            403,
            br#"{"code":"forbidden","message":"not your friend"}"#,
            None,
        );
        assert_eq!(error.status, 403);
        assert_eq!(error.code, "forbidden");
        assert_eq!(error.message, "not your friend");
        assert!(error.is_auth());
        assert!(!error.is_transient());
        assert_eq!(error.to_string(), "403 forbidden: not your friend");
    }

    #[test]
    fn a_body_that_is_not_the_error_shape_still_gives_an_error() {
        let error = ApiError::from_reply(502, b"<html>Bad Gateway</html>\n", None);
        assert_eq!(error.code, "http_502");
        assert_eq!(error.message, "<html>Bad Gateway</html>");
        assert!(error.is_transient());
        let long = ApiError::from_reply(500, "x".repeat(500).as_bytes(), None);
        assert_eq!(long.message.len(), 203);
        let empty = ApiError::from_reply(503, b"", Some(Duration::from_secs(2)));
        assert_eq!(empty.message, "");
        assert_eq!(empty.retry_after, Some(Duration::from_secs(2)));
    }

    #[test]
    fn a_421_carries_where_the_user_moved() {
        let body = br#"{"moved":{"tag":"gw-2","addr":"127.0.0.1:8102","epoch":9,"slot":42}}"#;
        let WsError::Moved(moved) = WsError::from_refusal(421, body) else {
            panic!("expected Moved");
        };
        assert_eq!(
            moved,
            Moved {
                tag: "gw-2".into(),
                addr: "127.0.0.1:8102".into(),
                epoch: 9,
                slot: 42,
            }
        );
    }

    #[test]
    fn other_refusals_carry_the_rest_error_and_401_403_are_final() {
        let unauthenticated =
            WsError::from_refusal(401, br#"{"code":"unauthenticated","message":"bad token"}"#);
        assert!(unauthenticated.is_auth());
        assert!(WsError::from_refusal(403, br#"{"code":"forbidden","message":""}"#).is_auth());
        let busy = WsError::from_refusal(503, br#"{"code":"no_gateway","message":"x"}"#);
        assert!(!busy.is_auth());
        assert!(matches!(&busy, WsError::Refused(e) if e.code == "no_gateway"));
        // A 421 without the moved body is still a refusal, not a panic.
        assert!(matches!(
            WsError::from_refusal(421, b"nope"),
            WsError::Refused(ApiError { status: 421, .. })
        ));
    }

    #[test]
    fn client_errors_expose_the_server_code() {
        let rejected = ClientError::Rejected {
            code: "content_too_large".into(),
            message: "x".into(),
        };
        assert_eq!(rejected.code(), Some("content_too_large"));
        let rest = ClientError::Rest(RestError::Api(ApiError::from_reply(
            404,
            br#"{"code":"not_found","message":""}"#,
            None,
        )));
        assert_eq!(rest.code(), Some("not_found"));
        assert_eq!(ClientError::Timeout.code(), None);
    }
}
