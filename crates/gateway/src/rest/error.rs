//! The REST error format, `{"code": "...", "message": "..."}` with the HTTP status that fits, and
//! the one mapping from gRPC statuses to it.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chat_wire::WireError;
use serde_json::json;
use tonic::{Code, Status};

/// An error answered to a REST client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            retry_after_s: None,
        }
    }

    /// Client input that is well-formed JSON but breaks the contract (a recall marker in a
    /// send): the client can fix it, so it gets the reason.
    pub fn invalid_content(error: WireError) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_content",
            error.to_string(),
        )
    }

    /// A backend answer the public shapes cannot show. That is a bug on one side, not the
    /// client's doing: the details go to the log, the client gets a plain 500.
    pub fn unshowable(error: WireError) -> Self {
        tracing::error!(%error, "backend answer does not fit the public API");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the service could not answer; the failure is logged",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.code, "message": self.message });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_s
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<chat_common::ServiceError> for ApiError {
    fn from(error: chat_common::ServiceError) -> Self {
        Status::from(error).into()
    }
}

impl From<Status> for ApiError {
    fn from(status: Status) -> Self {
        let (http, fallback) = match status.code() {
            Code::InvalidArgument | Code::OutOfRange => {
                (StatusCode::BAD_REQUEST, "invalid_argument")
            }
            Code::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Code::PermissionDenied => (StatusCode::FORBIDDEN, "forbidden"),
            Code::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Code::AlreadyExists | Code::Aborted | Code::FailedPrecondition => {
                (StatusCode::CONFLICT, "conflict")
            }
            Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            // Our services never answer Unknown or Cancelled themselves: those are a call that
            // died with its backend (tonic's "transport error"), whose outcome is unknown. The
            // client must retry it (sends are idempotent on client_msg_id), not give it up as
            // `internal` while the peer may already have the message.
            Code::Unavailable | Code::DeadlineExceeded | Code::Unknown | Code::Cancelled => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let metadata = status.metadata();
        let code = metadata
            .get("chat-error-code")
            .and_then(|value| value.to_str().ok())
            .unwrap_or(fallback)
            .to_owned();
        let retry_after_s = metadata
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok());
        let message = if http == StatusCode::SERVICE_UNAVAILABLE
            || http == StatusCode::INTERNAL_SERVER_ERROR
        {
            tracing::warn!(%status, "backend call failed");
            "the service is temporarily unavailable".to_owned()
        } else {
            status.message().to_owned()
        };
        Self {
            status: http,
            code,
            message,
            retry_after_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_that_died_with_its_backend_is_unavailable_not_internal() {
        for status in [
            Status::unknown("transport error"),
            Status::cancelled("h2 protocol error: stream reset"),
            Status::unavailable("tcp connect error"),
        ] {
            let error = ApiError::from(status);
            assert_eq!(error.status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(error.code, "unavailable");
        }
        assert_eq!(ApiError::from(Status::internal("bug")).code, "internal");
    }

    #[test]
    fn statuses_map_to_http_with_the_services_code() {
        let mut status = Status::already_exists("this username is taken");
        status
            .metadata_mut()
            .insert("chat-error-code", "username_taken".parse().unwrap());
        let error = ApiError::from(status);
        assert_eq!(error.status, StatusCode::CONFLICT);
        assert_eq!(error.code, "username_taken");

        let mut limited = Status::resource_exhausted("slow down");
        limited
            .metadata_mut()
            .insert("retry-after", "42".parse().unwrap());
        let error = ApiError::from(limited);
        assert_eq!(
            (error.status, error.retry_after_s),
            (StatusCode::TOO_MANY_REQUESTS, Some(42))
        );

        let error = ApiError::from(Status::internal("db password is hunter2"));
        assert_eq!(error.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !error.message.contains("hunter2"),
            "internal details stay inside"
        );
    }
}
