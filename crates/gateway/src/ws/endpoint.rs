//! `GET /ws` and `GET /ws/{uid}`: everything that can be refused is refused before the upgrade,
//! as HTTP with the REST error body (a bad token gets 401, not a silent deaf socket as in the
//! seed); a user this gateway does not own gets 421 naming the owner.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use chat_common::internal::InternalChannel;
use chat_proto::account::AuthenticateRequest;
use chat_proto::account::account_client::AccountClient;
use chat_routing::{TableWatcher, slot_of};
use serde_json::json;

use super::auth::{self, SUBPROTOCOL};
use super::hub::Dialect;
use super::session::{self, Identity, SessionContext};
use crate::http::error;
use crate::lease::Lease;
use crate::rest::error::ApiError;

/// What the endpoint needs.
#[derive(Clone)]
pub struct WsState {
    pub lease: Lease,
    pub tables: TableWatcher,
    pub account: AccountClient<InternalChannel>,
    /// Peers whose `X-Real-IP` is believed (`--trusted-proxies`).
    pub trusted_proxies: Vec<crate::rest::cidr::Cidr>,
    pub sessions: SessionContext,
}

static SESSIONS: AtomicU64 = AtomicU64::new(0);

/// `/ws/{uid}`: as `/ws`, and the token must belong to `uid`.
pub async fn with_uid(state: State<Arc<WsState>>, uid: Path<String>, request: Request) -> Response {
    for_uid(state, uid, Dialect::Ours, request).await
}

/// `/api/v1/ws/{uid}/chat?token=`: the seed client's WebSocket, speaking its dialect.
pub async fn seed_with_uid(
    state: State<Arc<WsState>>,
    uid: Path<String>,
    request: Request,
) -> Response {
    for_uid(state, uid, Dialect::Seed, request).await
}

/// A session whose token must belong to the user the path names.
async fn for_uid(
    state: State<Arc<WsState>>,
    Path(uid): Path<String>,
    dialect: Dialect,
    request: Request,
) -> Response {
    let Ok(uid) = uid.parse::<u64>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_user_id",
            format!("`{uid}` is not a user id"),
        );
    };
    connect(state, Some(uid), dialect, request).await
}

/// `/ws`.
pub async fn without_uid(state: State<Arc<WsState>>, request: Request) -> Response {
    connect(state, None, Dialect::Ours, request).await
}

async fn connect(
    State(state): State<Arc<WsState>>,
    uid: Option<u64>,
    dialect: Dialect,
    mut request: Request,
) -> Response {
    if !fastwebsockets::upgrade::is_upgrade_request(&request) {
        return error(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            "this endpoint speaks WebSocket",
        );
    }
    if state.sessions.hub.is_closing() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this gateway is shutting down",
        );
    }
    let Some((token, via_protocol)) = auth::token(request.headers(), request.uri().query()) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send Authorization: Bearer <token>",
        );
    };
    let addr = crate::rest::extract::headers_ip(
        request.headers(),
        request.extensions(),
        &state.trusted_proxies,
    );
    let identity = match state
        .account
        .clone()
        .authenticate(AuthenticateRequest { token })
        .await
    {
        Ok(reply) => {
            let reply = reply.into_inner();
            Identity {
                user_id: reply.user_id,
                login_session: reply.session_id,
                expires_at_ms: reply.expires_at_ms,
                dialect,
                addr,
            }
        }
        Err(status) => return ApiError::from(status).into_response(),
    };
    let user_id = identity.user_id;
    if uid.is_some_and(|uid| uid != user_id) {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the token belongs to another user",
        );
    }
    if let Some(refusal) = not_mine(&state, user_id) {
        return refusal;
    }
    let (response, upgrade) = match fastwebsockets::upgrade::upgrade(&mut request) {
        Ok(pair) => pair,
        Err(problem) => return error(StatusCode::BAD_REQUEST, "bad_upgrade", problem.to_string()),
    };
    let session_id = format!(
        "{}-{}",
        state.lease.tag(),
        SESSIONS.fetch_add(1, Ordering::Relaxed)
    );
    let context = state.sessions.clone();
    let starting = context.hub.starting();
    tokio::spawn(async move {
        match upgrade.await {
            Ok(ws) => session::run(ws, context, identity, session_id, starting).await,
            Err(problem) => tracing::debug!(%problem, "WebSocket upgrade did not complete"),
        }
    });
    let mut response = response.map(axum::body::Body::new);
    if via_protocol {
        response.headers_mut().insert(
            axum::http::header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
    }
    response
}

/// 421 naming the owner when another gateway owns the user's slot; 503 when none does.
fn not_mine(state: &WsState, user_id: u64) -> Option<Response> {
    let table = state.tables.current();
    let mine = state.lease.tag();
    match table.owner_of(user_id) {
        Some(owner) if owner.tag == mine => None,
        Some(owner) => {
            let body = json!({ "moved": { "tag": owner.tag, "addr": owner.addr, "epoch": table.epoch(), "slot": slot_of(user_id) } });
            Some((StatusCode::MISDIRECTED_REQUEST, Json(body)).into_response())
        }
        None => Some(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_gateway",
            "no gateway owns this user yet",
        )),
    }
}
