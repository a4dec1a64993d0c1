//! This gateway's place in the cluster: it registers with the router for a tag, renews the
//! lease, registers again if the lease was lost, and deregisters on clean shutdown so that its
//! slots move at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chat_common::internal::InternalChannel;
use chat_common::{DependencyCheck, Shutdown, StartupError};
use chat_proto::router::router_client::RouterClient;
use chat_proto::router::{DeregisterRequest, KeepAliveRequest, RegisterRequest, RegisterResponse};
use tokio::sync::watch;
use tonic::Code;

/// Who this gateway is to the router.
#[derive(Clone)]
pub struct Registration {
    client: RouterClient<InternalChannel>,
    instance_id: String,
    ws_addr: String,
}

/// The tag this gateway holds now, and whether its lease is current.
#[derive(Clone)]
pub struct Lease {
    pub tag: watch::Receiver<String>,
    held: Arc<AtomicBool>,
    /// How many times the lease was lost and registered again. The router's leases live in
    /// the same Redis as presence, so a lost lease most likely means presence was lost too
    /// (a flush): the presence reporter announces every user again when this changes.
    pub reregistrations: watch::Receiver<u64>,
}

impl Lease {
    /// The tag held now.
    pub fn tag(&self) -> String {
        self.tag.borrow().clone()
    }

    /// Healthy while the lease is renewed.
    pub fn health_check(&self) -> DependencyCheck {
        let held = self.held.clone();
        DependencyCheck::new("router-lease", move || {
            let held = held.load(Ordering::Relaxed);
            async move {
                if held {
                    Ok(())
                } else {
                    Err("lease not renewed".to_owned())
                }
            }
        })
    }
}

impl Registration {
    pub fn new(channel: InternalChannel, instance_id: String, ws_addr: String) -> Self {
        Self {
            client: RouterClient::new(channel),
            instance_id,
            ws_addr,
        }
    }

    /// One registration; `preferred` is the tag held before a lost lease (or empty).
    async fn register_once(&self, preferred: &str) -> Result<RegisterResponse, tonic::Status> {
        let request = RegisterRequest {
            ws_addr: self.ws_addr.clone(),
            instance_id: self.instance_id.clone(),
            preferred_tag: preferred.to_owned(),
        };
        Ok(self.client.clone().register(request).await?.into_inner())
    }

    /// Registers, retrying until `timeout` (the router may still be starting).
    pub async fn register(&self, timeout: Duration) -> Result<RegisterResponse, StartupError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match self.register_once("").await {
                Ok(response) => return Ok(response),
                Err(status) if status.code() == Code::InvalidArgument => {
                    return Err(StartupError::Config(format!(
                        "the router refused us: {}",
                        status.message()
                    )));
                }
                Err(status) if tokio::time::Instant::now() >= deadline => {
                    return Err(StartupError::unreachable("router", "", status.message()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
    }

    /// Keeps the lease from `first` alive until shutdown, then deregisters.
    pub fn spawn(
        self,
        first: RegisterResponse,
        shutdown: Shutdown,
    ) -> (Lease, tokio::task::JoinHandle<()>) {
        let (tag_sender, tag) = watch::channel(first.tag.clone());
        let (reregistered, reregistrations) = watch::channel(0);
        let held = Arc::new(AtomicBool::new(true));
        let lease = Lease {
            tag,
            held: held.clone(),
            reregistrations,
        };
        let task = tokio::spawn(async move {
            let renew_every = Duration::from_millis(u64::from(first.renew_interval_ms.max(200)));
            let mut ticker = tokio::time::interval(renew_every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = shutdown.wait() => break,
                }
                let renewed = self.renew(&tag_sender, &reregistered).await;
                held.store(renewed, Ordering::Relaxed);
            }
            let tag = tag_sender.borrow().clone();
            self.deregister(&tag).await;
        });
        (lease, task)
    }

    /// One renewal; registers again when the router no longer knows the lease.
    async fn renew(&self, tag: &watch::Sender<String>, reregistered: &watch::Sender<u64>) -> bool {
        let current = tag.borrow().clone();
        let request = KeepAliveRequest {
            tag: current.clone(),
            instance_id: self.instance_id.clone(),
        };
        match self.client.clone().keep_alive(request).await {
            Ok(_) => true,
            Err(status) if status.code() == Code::NotFound => {
                tracing::warn!(tag = %current, "lease lost; registering again");
                match self.register_once(&current).await {
                    Ok(response) => {
                        if current != response.tag {
                            tracing::warn!(new_tag = %response.tag, "registered under a new tag");
                            tag.send_replace(response.tag);
                        }
                        reregistered.send_modify(|count| *count += 1);
                        true
                    }
                    Err(status) => {
                        tracing::warn!(%status, "cannot register again");
                        false
                    }
                }
            }
            Err(status) => {
                tracing::warn!(%status, "cannot renew the lease");
                false
            }
        }
    }

    async fn deregister(&self, tag: &str) {
        let request = DeregisterRequest {
            tag: tag.to_owned(),
            instance_id: self.instance_id.clone(),
        };
        match tokio::time::timeout(
            Duration::from_secs(2),
            self.client.clone().deregister(request),
        )
        .await
        {
            Ok(Ok(_)) => tracing::info!(%tag, "deregistered"),
            Ok(Err(status)) => tracing::warn!(%status, "deregistration refused"),
            Err(_) => tracing::warn!("the router did not answer the deregistration"),
        }
    }
}
