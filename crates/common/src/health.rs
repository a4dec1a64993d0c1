//! Dependency health: probes run on an interval, and the gRPC health service (and `/healthz`)
//! reports SERVING only while every dependency answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::internal::InternalChannel;
use futures::future::{BoxFuture, join_all};
use tonic_health::ServingStatus;
use tonic_health::pb::health_check_response::ServingStatus as WireStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_health::server::HealthReporter;

use crate::Shutdown;

type Probe = Box<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// One dependency and how to ask it whether it is there.
pub struct DependencyCheck {
    name: String,
    probe: Probe,
}

impl DependencyCheck {
    /// A check named `name` (as it appears in logs and metrics) that runs `probe`.
    pub fn new<F, Fut>(name: impl Into<String>, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self {
            name: name.into(),
            probe: Box::new(move || Box::pin(probe())),
        }
    }

    /// A peer service is healthy when its own gRPC health check answers SERVING.
    pub fn grpc_peer(name: impl Into<String>, channel: InternalChannel) -> Self {
        Self::new(name, move || {
            let mut client = HealthClient::new(channel.clone());
            async move {
                let reply = client
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await
                    .map_err(|status| status.message().to_owned())?;
                match reply.into_inner().status() {
                    WireStatus::Serving => Ok(()),
                    other => Err(format!("reports {}", other.as_str_name())),
                }
            }
        })
    }

    /// A plain TCP connect, for dependencies with no cheaper protocol-level probe.
    pub fn tcp(name: impl Into<String>, addr: String) -> Self {
        Self::new(name, move || {
            let addr = addr.clone();
            async move {
                tokio::net::TcpStream::connect(&addr)
                    .await
                    .map(drop)
                    .map_err(|error| format!("{addr}: {error}"))
            }
        })
    }
}

/// Whether the service is ready (every dependency answered on the last round).
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// True while every dependency is reachable.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }
}

/// Runs the dependency checks and publishes the result to the gRPC health service.
pub struct HealthMonitor {
    reporter: HealthReporter,
    services: Vec<String>,
    checks: Vec<DependencyCheck>,
    interval: Duration,
    readiness: Readiness,
}

impl HealthMonitor {
    /// A monitor reporting for the overall server ("") and each named gRPC service.
    pub fn new(reporter: HealthReporter, services: &[&str], interval: Duration) -> Self {
        Self {
            reporter,
            services: services.iter().map(|name| (*name).to_owned()).collect(),
            checks: Vec::new(),
            interval,
            readiness: Readiness::default(),
        }
    }

    /// Adds a dependency that must answer for the service to be SERVING.
    pub fn check(mut self, check: DependencyCheck) -> Self {
        self.checks.push(check);
        self
    }

    /// The readiness flag this monitor keeps up to date.
    pub fn readiness(&self) -> Readiness {
        self.readiness.clone()
    }

    /// Probes until shutdown, then reports NOT_SERVING so balancers stop sending work.
    pub fn spawn(self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut last: Option<bool> = None;
            let mut ticker = tokio::time::interval(self.interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = shutdown.wait() => break,
                }
                let failures = self.run_checks().await;
                let ready = failures.is_empty();
                if last != Some(ready) {
                    if ready {
                        tracing::info!("all dependencies reachable: SERVING");
                    } else {
                        tracing::warn!(?failures, "dependencies unreachable: NOT_SERVING");
                    }
                    self.publish(ready).await;
                    last = Some(ready);
                }
            }
            self.publish(false).await;
        })
    }

    async fn run_checks(&self) -> Vec<String> {
        let timeout = self.interval.max(Duration::from_secs(1));
        let results = join_all(self.checks.iter().map(|check| async move {
            let outcome = match tokio::time::timeout(timeout, (check.probe)()).await {
                Ok(outcome) => outcome,
                Err(_) => Err(format!("no answer within {timeout:?}")),
            };
            let up = if outcome.is_ok() { 1.0 } else { 0.0 };
            metrics::gauge!("chat_dependency_up", "dependency" => check.name.clone()).set(up);
            outcome.map_err(|reason| format!("{}: {reason}", check.name))
        }))
        .await;
        results.into_iter().filter_map(Result::err).collect()
    }

    async fn publish(&self, ready: bool) {
        self.readiness.set(ready);
        let status = if ready {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.reporter.set_service_status("", status).await;
        for service in &self.services {
            self.reporter.set_service_status(service, status).await;
        }
    }
}
