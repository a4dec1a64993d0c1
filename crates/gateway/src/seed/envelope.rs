//! The seed's reply envelope, `{"code", "data", "remark"}`, and the one mapping from our errors
//! to its codes. Answers are HTTP 200 whatever the code (the seed client reads `code`, and fails
//! a call on any non-2xx status before looking at the body); only a backend that is down or
//! broken answers 503/500, so that proxies and monitoring see the outage, with the same body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::rest::error::ApiError;

/// The envelope codes: the seed's own (202 and 505-510) and, for refusals the seed did not
/// have, HTTP-like codes that its client shows as a failed call.
pub mod code {
    pub const SUCCESS: u16 = 202;
    /// The request is malformed or breaks a field's bounds.
    pub const BAD_REQUEST: u16 = 400;
    /// Our rules refuse it (not friends, not a member, blocked, join mode).
    pub const FORBIDDEN: u16 = 403;
    pub const NOT_FOUND: u16 = 404;
    /// It conflicts with the current state (a taken username, a request already answered).
    pub const CONFLICT: u16 = 409;
    pub const TOO_LARGE: u16 = 413;
    pub const RATE_LIMITED: u16 = 429;
    pub const INTERNAL: u16 = 500;
    pub const UNAVAILABLE: u16 = 503;
    pub const TOKEN_INVALID: u16 = 505;
    pub const TOKEN_MISSING: u16 = 506;
    /// Never sent: the seed answered it for an unknown username, which we do not reveal.
    #[allow(dead_code)]
    pub const USER_NOT_FOUND: u16 = 508;
    pub const WRONG_PASSWORD: u16 = 509;
    /// `file/upload` refused the file (not audio, too large, over the quota, no `file` field).
    pub const UPLOAD_FAILED: u16 = 510;
}

/// The body of every answer.
#[derive(Debug, Serialize)]
pub struct Envelope<T> {
    pub code: u16,
    pub data: T,
    pub remark: String,
}

/// A successful answer carrying `T` as `data`.
pub struct Done<T>(pub T);

impl<T: Serialize> IntoResponse for Done<T> {
    fn into_response(self) -> Response {
        Json(Envelope {
            code: code::SUCCESS,
            data: self.0,
            remark: "success".to_owned(),
        })
        .into_response()
    }
}

/// A failed answer: an envelope code, the reason, and the HTTP status (200 but for outages).
#[derive(Debug)]
pub struct SeedError {
    pub http: StatusCode,
    pub code: u16,
    pub remark: String,
}

impl SeedError {
    /// A refusal answered with HTTP 200 and `code`.
    pub fn new(code: u16, remark: impl Into<String>) -> Self {
        Self {
            http: StatusCode::OK,
            code,
            remark: remark.into(),
        }
    }

    pub fn bad_request(remark: impl Into<String>) -> Self {
        Self::new(code::BAD_REQUEST, remark)
    }
}

impl IntoResponse for SeedError {
    fn into_response(self) -> Response {
        let body = Envelope {
            code: self.code,
            data: Option::<()>::None,
            remark: self.remark,
        };
        (self.http, Json(body)).into_response()
    }
}

/// Our REST error, as the envelope says it: client errors keep HTTP 200 with a code the seed
/// client shows as a failure; outages keep their status.
impl From<ApiError> for SeedError {
    fn from(error: ApiError) -> Self {
        let (http, code) = envelope_code(error.status);
        Self {
            http,
            code,
            remark: error.message,
        }
    }
}

impl From<chat_common::ServiceError> for SeedError {
    fn from(error: chat_common::ServiceError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<tonic::Status> for SeedError {
    fn from(status: tonic::Status) -> Self {
        ApiError::from(status).into()
    }
}

/// The HTTP status and envelope code for a REST status.
fn envelope_code(status: StatusCode) -> (StatusCode, u16) {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (StatusCode::OK, code::BAD_REQUEST)
        }
        StatusCode::UNAUTHORIZED => (StatusCode::OK, code::TOKEN_INVALID),
        StatusCode::FORBIDDEN => (StatusCode::OK, code::FORBIDDEN),
        StatusCode::NOT_FOUND => (StatusCode::OK, code::NOT_FOUND),
        StatusCode::CONFLICT => (StatusCode::OK, code::CONFLICT),
        StatusCode::PAYLOAD_TOO_LARGE => (StatusCode::OK, code::TOO_LARGE),
        StatusCode::TOO_MANY_REQUESTS => (StatusCode::OK, code::RATE_LIMITED),
        StatusCode::SERVICE_UNAVAILABLE => (StatusCode::SERVICE_UNAVAILABLE, code::UNAVAILABLE),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL),
    }
}

/// What every seed handler returns.
pub type SeedResult<T> = Result<Done<T>, SeedError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_http_200_with_a_failure_code() {
        for (status, expected) in [
            (StatusCode::BAD_REQUEST, code::BAD_REQUEST),
            (StatusCode::UNAUTHORIZED, code::TOKEN_INVALID),
            (StatusCode::FORBIDDEN, code::FORBIDDEN),
            (StatusCode::NOT_FOUND, code::NOT_FOUND),
            (StatusCode::CONFLICT, code::CONFLICT),
            (StatusCode::TOO_MANY_REQUESTS, code::RATE_LIMITED),
        ] {
            let error = SeedError::from(ApiError::new(status, "x", "why"));
            assert_eq!((error.http, error.code), (StatusCode::OK, expected));
            assert_eq!(error.remark, "why");
        }
    }

    #[test]
    fn outages_keep_their_status() {
        let error = SeedError::from(tonic::Status::unavailable("down"));
        assert_eq!(
            (error.http, error.code),
            (StatusCode::SERVICE_UNAVAILABLE, code::UNAVAILABLE)
        );
        let error = SeedError::from(tonic::Status::internal("bug"));
        assert_eq!(
            (error.http, error.code),
            (StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL)
        );
    }

    #[test]
    fn success_is_code_202() {
        let envelope = Envelope {
            code: code::SUCCESS,
            data: 7u64,
            remark: String::new(),
        };
        let json = serde_json::to_value(&envelope).unwrap();
        assert_eq!(json["code"], 202);
        assert_eq!(json["data"], 7);
    }
}
