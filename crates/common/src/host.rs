//! The frame every service binary runs in: telemetry, signals, the gRPC listener with its health
//! service, and the admin server, started in one order so that failures are reported early and
//! clearly (ports are bound before any dependency is contacted).

use std::net::SocketAddr;

use crate::grpc::Router;
use crate::internal::InternalSecret;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use crate::telemetry::{self, Telemetry};
use crate::{CommonFlags, DependencyCheck, HealthMonitor, Shutdown, StartupError, admin, grpc};

/// A started service: logs are on, signals are watched, its ports are bound.
pub struct Host {
    name: &'static str,
    flags: CommonFlags,
    shutdown: Shutdown,
    telemetry: Telemetry,
    grpc_listener: TcpListener,
    admin_listener: TcpListener,
    metrics: PrometheusHandle,
    secret: InternalSecret,
}

impl Host {
    /// Installs telemetry and signal handling, then binds the gRPC and admin ports.
    pub async fn start(
        name: &'static str,
        flags: &CommonFlags,
        grpc_addr: SocketAddr,
        metrics_addr: SocketAddr,
    ) -> Result<Self, StartupError> {
        let telemetry = telemetry::init(name, flags)?;
        let secret = InternalSecret::load(flags.internal_secret_file.as_deref())?;
        let shutdown = Shutdown::on_signals();
        let grpc_listener = grpc::bind("gRPC", grpc_addr).await?;
        let (admin_listener, metrics) = admin::bind(metrics_addr).await?;
        tracing::info!(%grpc_addr, %metrics_addr, "{name} starting");
        Ok(Self {
            name,
            flags: flags.clone(),
            shutdown,
            telemetry,
            grpc_listener,
            admin_listener,
            metrics,
            secret,
        })
    }

    /// The process-wide shutdown handle.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The cluster's internal secret: for channels to peer services (`grpc::lazy_channel`).
    pub fn internal_secret(&self) -> &InternalSecret {
        &self.secret
    }

    /// Serves gRPC until shutdown. `services` names the gRPC services whose health is reported
    /// (beside the overall ""), `checks` are the dependencies that must answer for SERVING, and
    /// `add_services` adds the service implementations to the server.
    pub async fn serve(
        self,
        services: &[&str],
        checks: Vec<DependencyCheck>,
        add_services: impl FnOnce(Router) -> Router,
    ) -> Result<(), StartupError> {
        let (reporter, health_service) = tonic_health::server::health_reporter();
        let monitor = checks.into_iter().fold(
            HealthMonitor::new(reporter, services, self.flags.health_interval),
            HealthMonitor::check,
        );
        let admin = admin::spawn(
            self.admin_listener,
            self.metrics,
            monitor.readiness(),
            self.shutdown.clone(),
        );
        let health = monitor.spawn(self.shutdown.clone());
        let router = add_services(grpc::server(&self.secret).add_service(health_service));
        let served = grpc::serve(self.grpc_listener, router, self.shutdown.clone()).await;
        // Whatever ended the server ends the rest of the process too.
        self.shutdown.trigger();
        let _ = tokio::join!(admin, health);
        tracing::info!("{} stopped", self.name);
        self.telemetry.shutdown();
        served
    }
}
