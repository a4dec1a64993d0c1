//! Request extractors that answer in the API's error format: JSON bodies (400 malformed, 413
//! too large) and the authenticated caller (401).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use chat_proto::account::AuthenticateRequest;
use serde::de::DeserializeOwned;

use super::RestState;
use super::error::ApiError;

/// A JSON body; rejections become API errors.
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is too large",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send JSON with Content-Type: application/json",
        ),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            rejection.body_text(),
        ),
    }
}

/// The signed-in user making the request (from `Authorization: Bearer <token>`).
pub struct Caller {
    pub user_id: u64,
    pub session_id: String,
    pub token: String,
}

impl FromRequestParts<Arc<RestState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<RestState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "missing_token",
                    "send Authorization: Bearer <token>",
                )
            })?
            .to_owned();
        let session = state
            .account
            .clone()
            .authenticate(AuthenticateRequest {
                token: token.clone(),
            })
            .await
            .map_err(ApiError::from)?
            .into_inner();
        Ok(Self {
            user_id: session.user_id,
            session_id: session.session_id,
            token,
        })
    }
}

/// The client's address: OpenResty's `X-Real-IP` when present (the gateway sits behind it),
/// otherwise the TCP peer.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let forwarded = parts
            .headers
            .get("x-real-ip")
            .and_then(|value| value.to_str().ok())
            .filter(|value| value.parse::<std::net::IpAddr>().is_ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_string());
        Ok(Self(
            forwarded.map(str::to_owned).or(peer).unwrap_or_default(),
        ))
    }
}

/// A positive numeric id from the path (`/friends/{id}`); anything else is a 400 in the API's
/// format rather than axum's plain-text rejection.
pub struct IdPath(pub u64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_id",
                        "the path needs an id",
                    )
                })?;
        raw.parse()
            .ok()
            .filter(|id| *id > 0)
            .map(Self)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_id",
                    format!("`{raw}` is not an id"),
                )
            })
    }
}

/// Two positive numeric ids from the path (`/groups/{id}/members/{user}`).
pub struct IdPair(pub u64, pub u64);

impl<S: Send + Sync> FromRequestParts<S> for IdPair {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let bad = || {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_id",
                "the path needs two ids",
            )
        };
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| bad())?;
        match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(a), Ok(b)) if a > 0 && b > 0 => Ok(Self(a, b)),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_id",
                format!("`{a}`/`{b}` are not ids"),
            )),
        }
    }
}
