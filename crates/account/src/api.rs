//! The Account gRPC service. RPCs arrive with the account issue; until then they answer
//! UNIMPLEMENTED (generated default stubs).

use chat_proto::account::account_server::Account;

/// The gRPC face of the account service.
pub struct AccountApi;

#[tonic::async_trait]
impl Account for AccountApi {}
