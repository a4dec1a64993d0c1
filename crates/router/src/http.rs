//! `GET /v1/table`: the slot table as JSON, for OpenResty (which has no gRPC client).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Json;
use axum::routing::get;
use chat_common::Shutdown;
use chat_routing::SlotTable;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Serves the table on `listener` until shutdown.
pub fn spawn(
    listener: TcpListener,
    tables: watch::Receiver<Arc<SlotTable>>,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    let app = Router::new()
        .route("/v1/table", get(table))
        .with_state(tables);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.signalled())
            .await
        {
            tracing::error!(%error, "table HTTP server stopped");
            shutdown.trigger();
        }
    })
}

async fn table(State(tables): State<watch::Receiver<Arc<SlotTable>>>) -> Json<Value> {
    let table = tables.borrow().clone();
    Json(table_json(&table))
}

/// `{"epoch", "slot_count", "gateways": [{"tag", "addr"}], "slots": [index or -1, ...]}`.
pub fn table_json(table: &SlotTable) -> Value {
    let wire = table.to_proto();
    json!({
        "epoch": wire.epoch,
        "slot_count": wire.slot_count,
        "gateways": wire.gateways.iter().map(|g| json!({"tag": g.tag, "addr": g.ws_addr})).collect::<Vec<_>>(),
        "slots": wire.slot_owner,
    })
}
