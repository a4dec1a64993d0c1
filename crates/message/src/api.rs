//! The Message gRPC service. RPCs arrive with the message issue; until then they answer
//! UNIMPLEMENTED (generated default stubs).

use chat_proto::message::message_server::Message;

/// The gRPC face of the message service.
pub struct MessageApi;

#[tonic::async_trait]
impl Message for MessageApi {}
