//! Who is downloading: the bearer of a token, or the user a signed address was made for
//! (checked against the exact path it was signed for). Either way the message service then
//! decides whether that user may read the file.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chat_common::clock::now_ms;

use super::signed::{Refused, SignedQuery};
use crate::rest::RestState;
use crate::rest::error::ApiError;
use crate::rest::extract::Caller;

pub enum Reader {
    Bearer(u64),
    Signed(SignedQuery),
}

impl FromRequestParts<Arc<RestState>> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<RestState>,
    ) -> Result<Self, Self::Rejection> {
        let signed = parts
            .uri
            .query()
            .is_some_and(|query| query.split('&').any(|pair| pair.starts_with("sig=")));
        if parts.headers.contains_key(AUTHORIZATION) || !signed {
            // Without a signature this is an ordinary call: a token, or 401 as anywhere.
            let caller = Caller::from_request_parts(parts, state).await?;
            return Ok(Self::Bearer(caller.user_id));
        }
        let Query(query) = Query::<SignedQuery>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    rejection.body_text(),
                )
            })?;
        Ok(Self::Signed(query))
    }
}

impl Reader {
    /// The user reading `path`, once a signed address is verified for it.
    pub fn user(self, state: &RestState, path: &str) -> Result<u64, ApiError> {
        let query = match self {
            Self::Bearer(user) => return Ok(user),
            Self::Signed(query) => query,
        };
        let signer = state.files.signer()?;
        signer
            .verify(path, &query, now_ms())
            .map_err(|refused| match refused {
                Refused::Expired => ApiError::new(
                    StatusCode::FORBIDDEN,
                    "url_expired",
                    "this signed address has expired; ask for a new one (POST /files/{id}/url)",
                ),
                Refused::BadSignature => ApiError::new(
                    StatusCode::FORBIDDEN,
                    "invalid_signature",
                    "this signed address is not valid for this file",
                ),
            })
    }
}
