//! Signed-in users for the WebSocket scenarios: registered and logged in through the account
//! service's gRPC API (what the gateway's REST calls do), so that setup does not load the
//! gateways the scenario is about to measure. Both calls hash a password with argon2, which
//! is why setup runs a few at a time.

use std::sync::Arc;

use crate::grpc::Channel;
use anyhow::Context;
use chat_proto::account::account_client::AccountClient;
use chat_proto::account::{CreateGroupRequest, JoinGroupRequest, JoinMode, LoginRequest};

use crate::pool;
use crate::setup::{self, Pair};

/// A user with a bearer token for the WebSocket and the REST API.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub user_id: u64,
    pub token: String,
}

/// Registers and logs in `count` users named after `run_id` (numbers from `first`).
pub async fn sign_up(
    channel: Channel,
    run_id: &str,
    first: usize,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Account>> {
    let client = AccountClient::new(channel);
    let run_id: Arc<str> = Arc::from(run_id);
    pool::run_bounded(count, concurrency, |index| {
        let (client, run_id) = (client.clone(), run_id.clone());
        async move {
            let username = setup::username(&run_id, first + index);
            let user_id = setup::register(client.clone(), username.clone()).await?;
            let token = login(client, &username).await?;
            Ok(Account { user_id, token })
        }
    })
    .await
}

/// Logs in `username` (registering it first unless it exists): for users kept across runs.
pub async fn ensure(client: AccountClient<Channel>, username: &str) -> anyhow::Result<Account> {
    if let Err(error) = setup::register(client.clone(), username.to_owned()).await {
        let exists = error
            .downcast_ref::<tonic::Status>()
            .is_some_and(|status| status.code() == tonic::Code::AlreadyExists);
        if !exists {
            return Err(error);
        }
    }
    let reply = client
        .clone()
        .login(LoginRequest {
            username: username.to_owned(),
            password: setup::password(username),
            client_addr: "127.0.0.1".into(),
            device: "loadgen".into(),
        })
        .await
        .with_context(|| format!("logging in {username}"))?
        .into_inner();
    let user_id = reply
        .user
        .map(|user| user.user_id)
        .context("a login without a user")?;
    Ok(Account {
        user_id,
        token: reply.token,
    })
}

async fn login(mut client: AccountClient<Channel>, username: &str) -> anyhow::Result<String> {
    let reply = client
        .login(LoginRequest {
            username: username.to_owned(),
            password: setup::password(username),
            client_addr: "127.0.0.1".into(),
            device: "loadgen".into(),
        })
        .await
        .with_context(|| format!("logging in {username}"))?;
    Ok(reply.into_inner().token)
}

/// Makes consecutive accounts (0 and 1, 2 and 3, ...) friends.
pub async fn befriend_pairs(
    channel: Channel,
    accounts: &[Account],
    concurrency: usize,
) -> anyhow::Result<Vec<Pair>> {
    let client = AccountClient::new(channel);
    let ids: Arc<[u64]> = accounts.iter().map(|account| account.user_id).collect();
    pool::run_bounded(accounts.len() / 2, concurrency, |index| {
        let pair = Pair {
            a: ids[2 * index],
            b: ids[2 * index + 1],
        };
        setup::befriend(client.clone(), pair)
    })
    .await
}
/// An open group owned by `owner` that every one of `members` joins; returns its id.
pub async fn open_group(
    channel: Channel,
    owner: u64,
    members: &[u64],
    concurrency: usize,
) -> anyhow::Result<u64> {
    let mut client = AccountClient::new(channel);
    let group_id = client
        .create_group(CreateGroupRequest {
            actor_id: owner,
            name: format!("loadgen {owner}"),
            join_mode: JoinMode::Open as i32,
            ..Default::default()
        })
        .await
        .context("creating the group")?
        .into_inner()
        .group_id;
    let members: Arc<[u64]> = members.iter().copied().filter(|id| *id != owner).collect();
    pool::run_bounded(members.len(), concurrency, |index| {
        let (mut client, actor_id) = (client.clone(), members[index]);
        async move {
            client
                .join_group(JoinGroupRequest {
                    actor_id,
                    group_id,
                    ..Default::default()
                })
                .await
                .with_context(|| format!("user {actor_id} joining group {group_id}"))?;
            Ok(())
        }
    })
    .await?;
    Ok(group_id)
}
