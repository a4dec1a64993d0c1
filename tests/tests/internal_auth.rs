//! Internal gRPC calls carry the cluster's secret (issue 19): the services trust `actor_id`
//! only because nobody but another service of the cluster can call them. A call without the
//! secret, or with another one, is refused before any service sees it; health checks stay open
//! for probes.

use chat_common::internal::InternalSecret;
use chat_e2e::{Stack, grpc_health};
use chat_proto::account::ListRevocationsRequest;
use chat_proto::account::account_client::AccountClient;
use chat_proto::message::message_client::MessageClient;
use chat_proto::message::{PullDirection, PullMessagesRequest};
use chat_proto::router::GetTableRequest;
use chat_proto::router::router_client::RouterClient;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;

fn plain(addr: &str) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("a host:port")
        .connect_lazy()
}

#[tokio::test]
async fn calls_without_the_clusters_secret_are_refused() {
    let stack = Stack::load();
    assert!(
        stack.internal_secret().is_set(),
        "the local stack runs with --internal-secret-file"
    );
    let wrong = InternalSecret::new(&"x".repeat(64)).expect("a secret");

    let revocations = ListRevocationsRequest {
        after_id: 0,
        limit: 0,
    };
    for refused in [
        AccountClient::new(plain(&stack.account.grpc))
            .list_revocations(revocations)
            .await,
        AccountClient::new(wrong.channel(plain(&stack.account.grpc)))
            .list_revocations(revocations)
            .await,
    ] {
        let status = refused.expect_err("refused");
        assert_eq!(status.code(), Code::Unauthenticated, "{status}");
    }
    // Someone else's messages, asked for as if by a gateway: refused without the secret.
    let pull = PullMessagesRequest {
        actor_id: 1,
        conversation_id: "d:1:2".into(),
        seq: 0,
        direction: PullDirection::After as i32,
        limit: 10,
    };
    let status = MessageClient::new(plain(&stack.message.grpc))
        .pull_messages(pull)
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::Unauthenticated, "{status}");
    let status = RouterClient::new(plain(&stack.router.grpc))
        .get_table(GetTableRequest {})
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::Unauthenticated, "{status}");

    // With the secret, the same calls are answered; health needs none.
    AccountClient::new(stack.grpc(&stack.account.grpc))
        .list_revocations(revocations)
        .await
        .expect("answered with the secret");
    RouterClient::new(stack.grpc(&stack.router.grpc))
        .get_table(GetTableRequest {})
        .await
        .expect("answered with the secret");
    for addr in [&stack.account.grpc, &stack.message.grpc, &stack.router.grpc] {
        assert_eq!(
            grpc_health(addr).await,
            Ok(ServingStatus::Serving),
            "{addr}"
        );
    }
}
