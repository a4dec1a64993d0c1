//! Users and friendships for a run, made through the account service's gRPC API as the
//! gateway would make them (calls carry `actor_id`).

use crate::grpc::Channel;
use anyhow::Context;
use chat_proto::account::account_client::AccountClient;
use chat_proto::account::{
    AnswerFriendRequestRequest, RegisterUserRequest, SendFriendRequestRequest,
};

use crate::pool;

/// Two users who are friends, so either may message the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub a: u64,
    pub b: u64,
}

/// A run's identity: it makes usernames and message ids unique across runs against one
/// database, which keeps every run's conversations fresh (their seqs start at 1).
pub fn run_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0);
    base36((u64::from(std::process::id()) << 42) ^ millis)
}

fn base36(mut value: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut text = Vec::new();
    loop {
        text.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    text.reverse();
    String::from_utf8_lossy(&text).into_owned()
}

/// A username the account service accepts (3-32 characters, starting with a letter).
pub fn username(run_id: &str, index: usize) -> String {
    format!("lg{run_id}u{index}")
}

/// The password every load-test user gets (argon2 makes its length irrelevant to the cost).
pub fn password(username: &str) -> String {
    format!("{username}-password")
}

/// Registers `2 * pairs` users and makes each pair friends, `concurrency` calls at a time.
pub async fn make_pairs(
    channel: Channel,
    run_id: &str,
    pairs: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Pair>> {
    let client = AccountClient::new(channel);
    let users = pool::run_bounded(2 * pairs, concurrency, |index| {
        register(client.clone(), username(run_id, index))
    })
    .await?;
    pool::run_bounded(pairs, concurrency, |index| {
        let pair = Pair {
            a: users[2 * index],
            b: users[2 * index + 1],
        };
        befriend(client.clone(), pair)
    })
    .await
}

pub async fn register(mut client: AccountClient<Channel>, username: String) -> anyhow::Result<u64> {
    let reply = client
        .register_user(RegisterUserRequest {
            password: password(&username),
            nickname: username.clone(),
            username: username.clone(),
        })
        .await
        .with_context(|| format!("registering {username}"))?;
    reply
        .into_inner()
        .user
        .map(|user| user.user_id)
        .with_context(|| format!("registering {username}: the reply has no user"))
}

pub async fn befriend(mut client: AccountClient<Channel>, pair: Pair) -> anyhow::Result<Pair> {
    let request = client
        .send_friend_request(SendFriendRequestRequest {
            actor_id: pair.a,
            to_user_id: pair.b,
            message: "load test".into(),
            remark: String::new(),
        })
        .await
        .with_context(|| format!("friend request {} -> {}", pair.a, pair.b))?
        .into_inner();
    client
        .accept_friend_request(AnswerFriendRequestRequest {
            actor_id: pair.b,
            request_id: request.request_id,
            remark: String::new(),
        })
        .await
        .with_context(|| format!("accepting friend request {}", request.request_id))?;
    Ok(pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fit_the_account_rules() {
        let run = run_id();
        let name = username(&run, 99_999);
        assert!((3..=32).contains(&name.len()), "{name}");
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn base36_spells_numbers() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
