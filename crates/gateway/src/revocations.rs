//! Follows the account service's durable log of ended logins (`ListRevocations`), so that a
//! revoked login's connections here close within a poll even when the push that announces the
//! revocation (best effort, through RocketMQ) is lost. The push stays the fast path; this is the
//! one that cannot be lost.

use std::sync::Arc;
use std::time::Duration;

use chat_common::Shutdown;
use chat_common::internal::InternalChannel;
use chat_proto::account::ListRevocationsRequest;
use chat_proto::account::account_client::AccountClient;

use crate::ws::hub::Hub;

/// Why a connection closed by the log ends (the log does not say which of the two it was).
const REASON: &str = "the sign-in was ended (signed out, or the password changed)";

/// Where the log ends now: the point to follow from. Taken before the gateway serves, so every
/// session it admits was authenticated after that point; `None` when the account service did
/// not answer in time (the follower then starts from its first answer).
pub async fn starting_point(
    account: &mut AccountClient<InternalChannel>,
    wait: Duration,
) -> Option<u64> {
    let request = ListRevocationsRequest {
        after_id: 0,
        limit: 0,
    };
    match tokio::time::timeout(wait, account.list_revocations(request)).await {
        Ok(Ok(reply)) => Some(reply.into_inner().last_id),
        Ok(Err(status)) => {
            tracing::warn!(%status, "revocation log not read at start");
            None
        }
        Err(_) => {
            tracing::warn!("revocation log not read at start: no answer in time");
            None
        }
    }
}

/// Polls the log every `every` from `after` until shutdown, kicking the revoked logins held here.
pub fn spawn(
    mut account: AccountClient<InternalChannel>,
    hub: Arc<Hub>,
    mut after: Option<u64>,
    every: Duration,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = shutdown.ticks(every);
        while ticks.next().await {
            // Several pages in a row when the log ran ahead (a password change of a user with
            // many logins, a burst of logouts).
            loop {
                let request = ListRevocationsRequest {
                    after_id: after.unwrap_or(0),
                    limit: 0,
                };
                let reply = match account.list_revocations(request).await {
                    Ok(reply) => reply.into_inner(),
                    Err(status) => {
                        tracing::debug!(%status, "revocation log not read");
                        break;
                    }
                };
                if after.is_some() {
                    for revoked in &reply.revocations {
                        crate::ws::kick_logins(&hub, revoked.user_id, REASON, |login| {
                            login == revoked.session_id
                        });
                    }
                }
                after = Some(reply.last_id);
                if !reply.has_more {
                    break;
                }
            }
        }
    })
}
