//! The public HTTP server: the WebSocket endpoint (`/ws`, `/ws/{uid}`), REST under /api/v1,
//! `/debug/whoami`, and with `--web-dir` the browser client at `/` (`web.rs`); every response
//! names the gateway (`x-chat-gateway`), and unknown paths get JSON errors.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use chat_common::Shutdown;
use chat_routing::TableWatcher;
use serde_json::json;
use tokio::net::TcpListener;

use crate::lease::Lease;

/// What the handlers need to know about this gateway.
#[derive(Clone)]
pub struct GatewayState {
    pub lease: Lease,
    pub tables: TableWatcher,
}

/// Serves the public API (`ws` and `rest` hold the WebSocket and `/api/v1` routes) on
/// `listener` until shutdown; `web` (the browser client) answers what no route matched.
pub fn spawn(
    listener: TcpListener,
    state: GatewayState,
    ws: Router,
    rest: Router,
    web: Option<Router>,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    let app = Router::new()
        .route("/debug/whoami", get(whoami))
        .with_state(Arc::new(state.clone()))
        .merge(ws)
        .merge(rest);
    let app = match web {
        Some(web) => app.merge(web),
        None => app.fallback(not_found),
    };
    let app = app
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state, name_the_gateway));
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.signalled())
            .await
        {
            tracing::error!(%error, "public HTTP server stopped");
            shutdown.trigger();
        }
    })
}

/// Adds `x-chat-gateway: <tag>` to every response, so routing can be observed from outside.
async fn name_the_gateway(
    State(state): State<GatewayState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if let Ok(tag) = HeaderValue::from_str(&state.lease.tag()) {
        response.headers_mut().insert("x-chat-gateway", tag);
    }
    response
}

/// A JSON error body in the API's format.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({ "code": code, "message": message.into() });
    (status, Json(body)).into_response()
}

/// This gateway's tag, the table epoch it routes by, and how many slots it owns.
async fn whoami(State(state): State<Arc<GatewayState>>) -> Json<serde_json::Value> {
    let table = state.tables.current();
    let tag = state.lease.tag();
    Json(json!({ "tag": tag, "epoch": table.epoch(), "slots": table.slots_of(&tag).len() }))
}

async fn not_found(uri: axum::http::Uri) -> Response {
    not_found_at(uri.path())
}

/// A known path with another method: the API's JSON body rather than axum's empty 405.
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not served at {}", uri.path()),
    )
}

/// The API's 404 for `path`.
pub fn not_found_at(path: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such endpoint: {path}"),
    )
}
