//! Request bodies and query strings, refused with an envelope (code 400) rather than axum's
//! plain-text rejections. The seed client always sends JSON with at least `{}`, but an empty
//! body is read as `{}` too, and the Content-Type is not insisted on.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::envelope::{SeedError, code};

/// A JSON body.
pub struct SeedBody<T>(pub T);

impl<T, S> FromRequest<S> for SeedBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = SeedError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    SeedError::new(code::TOO_LARGE, "the request body is too large")
                } else {
                    SeedError::bad_request(rejection.body_text())
                }
            })?;
        parse(&bytes).map(Self)
    }
}

/// Parses a body; empty means `{}`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SeedError> {
    chat_wire::seed::parse_body(bytes)
        .map_err(|error| SeedError::bad_request(format!("invalid request body: {error}")))
}

/// Query parameters.
pub struct SeedQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for SeedQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = SeedError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection| SeedError::bad_request(rejection.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsing an empty body is `chat_wire::seed::parse_body`'s (tested there); here only the
    /// mapping of its errors to the envelope is.
    #[derive(serde::Deserialize, Debug)]
    struct Probe {
        #[serde(default)]
        #[expect(dead_code, reason = "only whether it parses matters")]
        name: String,
    }

    #[test]
    fn malformed_bodies_are_code_400() {
        for bad in [&b"{"[..], b"null", br#"{"name":5}"#] {
            let error = parse::<Probe>(bad).unwrap_err();
            assert_eq!(
                (error.http, error.code),
                (StatusCode::OK, code::BAD_REQUEST)
            );
            assert!(
                error.remark.starts_with("invalid request body"),
                "{}",
                error.remark
            );
        }
    }
}
