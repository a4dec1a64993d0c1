//! The Router gRPC service. RPCs arrive with the slot-table issue; until then they answer
//! UNIMPLEMENTED (generated default stubs).

use chat_proto::router::router_server::Router;

/// The gRPC face of the router.
pub struct RouterApi;

#[tonic::async_trait]
impl Router for RouterApi {}
