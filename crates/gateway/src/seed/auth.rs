//! Who calls: the seed client sends its token in a `token` header (not `Authorization`), and
//! expects 506 when it is missing and 505 when it is not valid. We issue no renewable tokens,
//! so 507 is never answered: an expired token is invalid and the client logs in again.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chat_proto::account::AuthenticateRequest;
use tonic::Code;

use super::SeedState;
use super::envelope::{SeedError, code};
use crate::rest::extract::request_ip;

/// The signed-in user making the request.
pub struct SeedCaller {
    pub user_id: u64,
    /// The client's address, as our REST API counts it.
    pub addr: String,
}

impl FromRequestParts<Arc<SeedState>> for SeedCaller {
    type Rejection = SeedError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<SeedState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get("token")
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| SeedError::new(code::TOKEN_MISSING, "send the token header"))?;
        let session = state
            .account
            .clone()
            .authenticate(AuthenticateRequest {
                token: token.to_owned(),
            })
            .await
            .map_err(|status| {
                if status.code() == Code::Unauthenticated {
                    SeedError::new(code::TOKEN_INVALID, "the token is invalid or expired")
                } else {
                    SeedError::from(status)
                }
            })?
            .into_inner();
        Ok(Self {
            user_id: session.user_id,
            addr: request_ip(parts, &state.trusted_proxies),
        })
    }
}

/// The client's address, for per-address login limits: as our REST API counts it.
pub struct SeedClientAddr(pub String);

impl FromRequestParts<Arc<SeedState>> for SeedClientAddr {
    type Rejection = SeedError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<SeedState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(request_ip(parts, &state.trusted_proxies)))
    }
}
