//! Binding and serving gRPC, and lazily connected channels to peer services.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::{Endpoint, server::TcpIncoming};

use crate::internal::{InternalChannel, InternalSecret, RequireSecret};
use crate::{Shutdown, StartupError};

/// A gRPC server whose every call but the health checks must carry the cluster's secret.
pub type Server = tonic::transport::Server<
    tower::layer::util::Stack<RequireSecret, tower::layer::util::Identity>,
>;

/// The routes of a [`Server`].
pub type Router = tonic::transport::server::Router<
    tower::layer::util::Stack<RequireSecret, tower::layer::util::Identity>,
>;

/// A server builder that refuses calls without `secret` (see `internal`).
pub fn server(secret: &InternalSecret) -> Server {
    tonic::transport::Server::builder().layer(RequireSecret(secret.clone()))
}

/// Opens a listening socket now, so a port in use stops start-up with a clear error.
pub async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { what, addr, source })
}

/// Serves `router` on `listener` until shutdown, letting in-flight calls finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: Shutdown,
) -> Result<(), StartupError> {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    router
        .serve_with_incoming_shutdown(incoming, shutdown.signalled())
        .await
        .map_err(|error| StartupError::failed("gRPC server", error))
}

/// A channel to a peer service that connects on first use and reconnects by itself, so that
/// services can start in any order; health checks report while the peer is missing. Every call
/// on it carries `secret`.
pub fn lazy_channel(
    what: &'static str,
    uri: &str,
    secret: &InternalSecret,
) -> Result<InternalChannel, StartupError> {
    let endpoint = Endpoint::from_shared(uri.to_owned())
        .map_err(|error| StartupError::Config(format!("{what} address `{uri}`: {error}")))?
        .connect_timeout(Duration::from_secs(2))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(20))
        .keep_alive_while_idle(true);
    Ok(secret.channel(endpoint.connect_lazy()))
}
