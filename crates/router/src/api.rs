//! The Router gRPC service: gateway registration and leases, and the slot table.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chat_common::Shutdown;
use chat_proto::router as pb;
use chat_proto::router::router_server::Router;
use chat_routing::SlotTable;
use futures::Stream;
use tokio::sync::{Notify, watch};
use tonic::{Request, Response, Status};

use crate::store::{MAX_GATEWAYS, RouterStore, StoreError};

/// The gRPC face of the router.
pub struct RouterApi {
    pub store: RouterStore,
    pub tables: watch::Receiver<Arc<SlotTable>>,
    pub changed: Arc<Notify>,
    pub lease_ttl: Duration,
    pub shutdown: Shutdown,
}

impl From<StoreError> for Status {
    fn from(error: StoreError) -> Self {
        tracing::warn!(%error, "router store failure");
        Status::unavailable(error.to_string())
    }
}

/// `host:port` with a numeric port: what OpenResty can proxy to.
fn check_ws_addr(addr: &str) -> Result<(), Status> {
    if let Ok(socket) = addr.parse::<SocketAddr>() {
        if socket.port() != 0 && !socket.ip().is_unspecified() {
            return Ok(());
        }
        return Err(Status::invalid_argument(format!(
            "ws_addr `{addr}` needs a port and a reachable (not wildcard) address"
        )));
    }
    let valid = addr.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && port.parse::<u16>().is_ok_and(|port| port > 0)
    });
    if valid {
        Ok(())
    } else {
        Err(Status::invalid_argument(format!(
            "ws_addr `{addr}` is not host:port"
        )))
    }
}

fn check_instance_id(id: &str) -> Result<(), Status> {
    if id.is_empty() || id.len() > 128 || id.contains('|') || id.chars().any(char::is_control) {
        return Err(Status::invalid_argument(
            "instance_id must be 1-128 printable characters without `|`",
        ));
    }
    Ok(())
}

fn check_tag(tag: &str) -> Result<(), Status> {
    if chat_mq::naming::is_gateway_tag(tag) {
        Ok(())
    } else {
        Err(Status::invalid_argument(format!(
            "`{tag}` is not a gateway tag (gw-<n>)"
        )))
    }
}

/// A tag a gateway asks to get back: one that registration could have handed out
/// (`gw-<n>`, `n` below [`MAX_GATEWAYS`], written without leading zeros).
fn check_preferred_tag(tag: &str) -> Result<(), Status> {
    let index = tag.strip_prefix("gw-").and_then(|n| n.parse::<u32>().ok());
    match index {
        Some(n) if n < MAX_GATEWAYS && tag == format!("gw-{n}") => Ok(()),
        _ => Err(Status::invalid_argument(format!(
            "preferred_tag `{tag}` is not a tag this router hands out (gw-0 to gw-{})",
            MAX_GATEWAYS - 1
        ))),
    }
}

type TableStream = Pin<Box<dyn Stream<Item = Result<pb::SlotTable, Status>> + Send>>;

#[tonic::async_trait]
impl Router for RouterApi {
    async fn register(
        &self,
        request: Request<pb::RegisterRequest>,
    ) -> Result<Response<pb::RegisterResponse>, Status> {
        let request = request.into_inner();
        check_ws_addr(&request.ws_addr)?;
        check_instance_id(&request.instance_id)?;
        if !request.preferred_tag.is_empty() {
            check_preferred_tag(&request.preferred_tag)?;
        }
        let tag = self
            .store
            .register(
                &request.instance_id,
                &request.ws_addr,
                &request.preferred_tag,
                self.lease_ttl,
            )
            .await?
            .ok_or_else(|| Status::resource_exhausted("every gateway tag is taken"))?;
        tracing::info!(%tag, ws_addr = %request.ws_addr, instance_id = %request.instance_id, "gateway registered");
        self.changed.notify_one();
        Ok(Response::new(pb::RegisterResponse {
            tag,
            lease_ttl_ms: self.lease_ttl.as_millis() as u32,
            renew_interval_ms: (self.lease_ttl.as_millis() / 3) as u32,
            epoch: self.tables.borrow().epoch(),
        }))
    }

    async fn keep_alive(
        &self,
        request: Request<pb::KeepAliveRequest>,
    ) -> Result<Response<pb::KeepAliveResponse>, Status> {
        let request = request.into_inner();
        check_tag(&request.tag)?;
        check_instance_id(&request.instance_id)?;
        if !self
            .store
            .keep_alive(&request.tag, &request.instance_id, self.lease_ttl)
            .await?
        {
            return Err(Status::not_found(format!(
                "{} holds no lease on {}: register again",
                request.instance_id, request.tag
            )));
        }
        Ok(Response::new(pb::KeepAliveResponse {
            lease_ttl_ms: self.lease_ttl.as_millis() as u32,
            epoch: self.tables.borrow().epoch(),
        }))
    }

    async fn deregister(
        &self,
        request: Request<pb::DeregisterRequest>,
    ) -> Result<Response<pb::DeregisterResponse>, Status> {
        let request = request.into_inner();
        check_tag(&request.tag)?;
        check_instance_id(&request.instance_id)?;
        if !self
            .store
            .deregister(&request.tag, &request.instance_id)
            .await?
        {
            return Err(Status::not_found(format!(
                "{} holds no lease on {}",
                request.instance_id, request.tag
            )));
        }
        tracing::info!(tag = %request.tag, "gateway deregistered");
        self.changed.notify_one();
        Ok(Response::new(pb::DeregisterResponse {
            epoch: self.tables.borrow().epoch(),
        }))
    }

    async fn get_table(
        &self,
        _request: Request<pb::GetTableRequest>,
    ) -> Result<Response<pb::SlotTable>, Status> {
        Ok(Response::new(self.tables.borrow().to_proto()))
    }

    async fn watch_table(
        &self,
        request: Request<pb::WatchTableRequest>,
    ) -> Result<Response<TableStream>, Status> {
        let after = request.into_inner().after_epoch;
        let last_sent = (after != 0).then_some(after);
        let state = (self.tables.clone(), last_sent, self.shutdown.clone());
        let stream =
            futures::stream::unfold(state, |(mut tables, last_sent, shutdown)| async move {
                loop {
                    let table = tables.borrow_and_update().clone();
                    if Some(table.epoch()) != last_sent {
                        let epoch = table.epoch();
                        return Some((Ok(table.to_proto()), (tables, Some(epoch), shutdown)));
                    }
                    // The stream ends with the server, so graceful shutdown is not held up by it.
                    tokio::select! {
                        changed = tables.changed() => changed.ok()?,
                        _ = shutdown.wait() => return None,
                    }
                }
            });
        Ok(Response::new(Box::pin(stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_addresses_must_be_host_and_port() {
        assert!(check_ws_addr("127.0.0.1:8100").is_ok());
        assert!(check_ws_addr("[::1]:8100").is_ok());
        assert!(check_ws_addr("gateway-0.chat.svc:8100").is_ok());
        for bad in [
            "",
            "8100",
            "host:",
            "host:0",
            "host:99999",
            "a b:80",
            ":80",
            "127.0.0.1:0",
            "0.0.0.0:8100",
        ] {
            assert!(check_ws_addr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instance_ids_and_tags_are_checked() {
        assert!(check_instance_id("gw-host-123").is_ok());
        assert!(check_instance_id("").is_err());
        assert!(check_instance_id("a|b").is_err());
        assert!(check_instance_id(&"x".repeat(129)).is_err());
        assert!(check_tag("gw-3").is_ok());
        assert!(check_tag("gw-x").is_err());
        assert!(check_tag("").is_err());
    }

    #[test]
    fn only_tags_registration_hands_out_can_be_asked_back() {
        assert!(check_preferred_tag("gw-0").is_ok());
        assert!(check_preferred_tag("gw-255").is_ok());
        for bad in [
            "gw-256",
            "gw-007",
            "gw-",
            "gw--1",
            "gw-1x",
            "x-1",
            "gw-99999999999",
        ] {
            assert!(check_preferred_tag(bad).is_err(), "{bad}");
        }
    }
}
