//! The public HTTP server: REST under /api/v1 and WebSocket under /ws arrive in later issues;
//! every unknown path answers with the API's JSON error format.

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Json};
use tokio::net::TcpListener;

use chat_common::Shutdown;

/// Serves the public API on `listener` until shutdown.
pub fn spawn(listener: TcpListener, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
    let app = Router::new().fallback(not_found);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.signalled())
            .await
        {
            tracing::error!(%error, "public HTTP server stopped");
            shutdown.trigger();
        }
    })
}

async fn not_found(uri: Uri) -> impl IntoResponse {
    let body = serde_json::json!({
        "error": { "code": "not_found", "message": format!("no such endpoint: {}", uri.path()) }
    });
    (StatusCode::NOT_FOUND, Json(body))
}
