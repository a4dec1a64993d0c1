//! The admin HTTP server every service runs: Prometheus `/metrics` and `/healthz`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::health::Readiness;
use crate::{Shutdown, StartupError};

#[derive(Clone)]
struct AdminState {
    metrics: PrometheusHandle,
    readiness: Readiness,
}

/// Installs the Prometheus recorder for this process and binds the admin endpoints on `addr`,
/// so a port in use fails start-up before any dependency is contacted.
pub async fn bind(addr: SocketAddr) -> Result<(TcpListener, PrometheusHandle), StartupError> {
    let metrics = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|error| StartupError::failed("metrics recorder", error))?;
    let listener = crate::grpc::bind("metrics", addr).await?;
    Ok((listener, metrics))
}

/// Serves `/metrics` and `/healthz` on `listener` until shutdown.
pub fn spawn(
    listener: TcpListener,
    metrics: PrometheusHandle,
    readiness: Readiness,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    spawn_upkeep(metrics.clone(), shutdown.clone());
    let app = Router::new()
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(health))
        .with_state(AdminState { metrics, readiness });
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.signalled())
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "admin server stopped");
        }
    })
}

async fn render_metrics(State(state): State<AdminState>) -> String {
    state.metrics.render()
}

async fn health(State(state): State<AdminState>) -> (StatusCode, &'static str) {
    if state.readiness.is_ready() {
        (StatusCode::OK, "SERVING\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "NOT_SERVING\n")
    }
}

/// Histograms are summarised lazily; upkeep keeps their memory bounded between scrapes.
fn spawn_upkeep(metrics: PrometheusHandle, shutdown: Shutdown) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                _ = ticker.tick() => metrics.run_upkeep(),
                _ = shutdown.wait() => break,
            }
        }
    });
}
