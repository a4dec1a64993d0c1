//! Request extractors that answer in the API's error format: JSON bodies (400 malformed, 413
//! too large), query strings and path parameters (400), and the authenticated caller (401).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use chat_proto::account::AuthenticateRequest;
use serde::de::DeserializeOwned;

use super::RestState;
use super::cidr::Cidr;
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
    /// The client's address, as [`ClientAddr`] counts it.
    pub addr: String,
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
            addr: request_ip(parts, &state.trusted_proxies),
        })
    }
}

/// The client's address: OpenResty's `X-Real-IP` when the request comes from a trusted proxy
/// (`--trusted-proxies`; the gateway sits behind OpenResty), otherwise the TCP peer.
pub struct ClientAddr(pub String);

impl FromRequestParts<Arc<RestState>> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<RestState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(request_ip(parts, &state.trusted_proxies)))
    }
}

/// The address a request counts as (see [`client_ip`]), from its `X-Real-IP` and its peer.
pub fn request_ip(parts: &Parts, trusted: &[Cidr]) -> String {
    headers_ip(&parts.headers, &parts.extensions, trusted)
}

/// As [`request_ip`], from a request's headers and extensions (for a whole request).
pub fn headers_ip(
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    trusted: &[Cidr],
) -> String {
    let forwarded = headers
        .get("x-real-ip")
        .and_then(|value| value.to_str().ok());
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    client_ip(peer, forwarded, trusted)
}

/// Whose address a request counts as: the forwarded one only from a trusted peer, and only
/// when it is an IP address.
pub fn client_ip(peer: Option<IpAddr>, forwarded: Option<&str>, trusted: &[Cidr]) -> String {
    let believed = peer
        .filter(|peer| trusted.iter().any(|range| range.contains(*peer)))
        .and(forwarded)
        .and_then(|value| value.trim().parse::<IpAddr>().ok());
    believed
        .or(peer)
        .map(|ip| ip.to_canonical().to_string())
        .unwrap_or_default()
}

/// A path number as ids and seqs are written: decimal digits only, above 0. Rust's `u64` parser
/// also takes `+1`, which would give one resource two paths.
pub fn positive_number(raw: &str) -> Option<u64> {
    if raw.is_empty() || !raw.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok().filter(|number| *number > 0)
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
        positive_number(&raw).map(Self).ok_or_else(|| {
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
        match (positive_number(&a), positive_number(&b)) {
            (Some(a), Some(b)) => Ok(Self(a, b)),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_id",
                format!("`{a}`/`{b}` are not ids"),
            )),
        }
    }
}

/// Query parameters; a malformed query string is a 400 in the API's format rather than axum's
/// plain-text rejection.
pub struct QueryParams<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                rejection.body_text(),
            )),
        }
    }
}

/// The longest conversation id the gateway passes on (`d:{u64}:{u64}` needs at most 43).
const MAX_CONVERSATION_ID_CHARS: usize = 64;

/// A conversation id from the path (`/conversations/{conversation_id}/...`). Only its shape is
/// checked here, so that ids of new kinds need no gateway change; whether it exists and the
/// caller may see it is the message service's decision.
pub struct ConversationPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ConversationPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = path_param(parts, state, "conversation_id")
            .await
            .unwrap_or_default();
        if is_conversation_id(&raw) {
            Ok(Self(raw))
        } else {
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_conversation_id",
                "a conversation id is 1-64 characters without spaces, like d:12:34 or g:56",
            ))
        }
    }
}

/// Whether `id` has the shape of a conversation id: 1-64 characters, none of them whitespace
/// or control characters (which no id contains and which would garble logs).
pub fn is_conversation_id(id: &str) -> bool {
    let chars = id.chars().count();
    (1..=MAX_CONVERSATION_ID_CHARS).contains(&chars)
        && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A message's positive sequence number from the path (`.../messages/{seq}/...`).
pub struct SeqPath(pub u64);

impl<S: Send + Sync> FromRequestParts<S> for SeqPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = path_param(parts, state, "seq").await.unwrap_or_default();
        positive_number(&raw).map(Self).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_seq",
                format!("`{raw}` is not a message seq"),
            )
        })
    }
}

/// One named parameter of the matched route, percent-decoded. By name rather than by position,
/// so that one extractor serves routes with different numbers of parameters.
async fn path_param<S: Send + Sync>(parts: &mut Parts, state: &S, name: &str) -> Option<String> {
    let Path(mut params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .ok()?;
    params.remove(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forwarded_address_is_believed_from_trusted_proxies_only() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let trusted: [Cidr; 1] = ["127.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(Some(proxy), Some("198.51.100.7"), &trusted),
            "198.51.100.7"
        );
        assert_eq!(
            client_ip(Some(stranger), Some("198.51.100.7"), &trusted),
            "203.0.113.9"
        );
        assert_eq!(
            client_ip(Some(proxy), Some("not an ip"), &trusted),
            "127.0.0.1"
        );
        assert_eq!(client_ip(Some(proxy), None, &trusted), "127.0.0.1");
        // An IPv4 peer on a dual-stack socket arrives mapped into IPv6.
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(
            client_ip(Some(mapped), Some("198.51.100.7"), &trusted),
            "198.51.100.7"
        );
        assert_eq!(client_ip(None, Some("198.51.100.7"), &trusted), "");
    }

    #[test]
    fn path_numbers_are_plain_decimal_digits_above_zero() {
        assert_eq!(positive_number("1"), Some(1));
        assert_eq!(positive_number("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "0",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1e3",
            "0x10",
            "18446744073709551616",
        ] {
            assert_eq!(positive_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn conversation_ids_of_both_kinds_pass() {
        assert!(is_conversation_id("d:12:34"));
        assert!(is_conversation_id("g:56"));
        assert!(is_conversation_id(&format!(
            "d:{}:{}",
            u64::MAX - 1,
            u64::MAX
        )));
    }

    #[test]
    fn conversation_ids_are_checked_for_shape_only() {
        // Not the gateway's business: the message service refuses ids that name nothing.
        assert!(is_conversation_id("x:unknown"));
        assert!(is_conversation_id(&"a".repeat(64)));
    }

    #[test]
    fn malformed_conversation_ids_are_refused() {
        assert!(!is_conversation_id(""));
        assert!(!is_conversation_id(&"a".repeat(65)));
        assert!(!is_conversation_id("d:12 :34"));
        assert!(!is_conversation_id("g:56\n"));
        assert!(!is_conversation_id("g:\u{0}56"));
        assert!(!is_conversation_id("g:56\u{a0}"));
    }
}
