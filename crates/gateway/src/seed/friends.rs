//! `friendship/friendList`: the caller's friends, every page of them (the seed client has no
//! paging).

use chat_wire::seed::requests::FriendQuery;
use std::sync::Arc;

use axum::extract::State;
use chat_common::internal::InternalChannel;
use chat_proto::account as pb;
use chat_proto::account::account_client::AccountClient;
use chat_proto::common::PageRequest;
use serde::Serialize;

use super::auth::SeedCaller;
use super::body::SeedBody;
use super::envelope::{Done, SeedResult};
use super::{MAX_PAGES, PAGE, SeedState};

/// A friend as the seed lists it (and as frame 6 announces one).
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedFriend {
    /// The row key: the friend's user id (our friendships have no ids of their own, and the
    /// friend is unique among the caller's friends).
    pub id: u64,
    pub friend_id: u64,
    pub friend_name: String,
    /// The caller's remark for the friend, or the friend's name when there is none.
    pub friend_remark: String,
}

impl SeedFriend {
    /// `friend` as its owner sees it.
    pub fn from_proto(friend: &pb::Friend) -> Option<Self> {
        let user = friend.user.as_ref()?;
        Some(Self::new(user.user_id, &user.nickname, &friend.remark))
    }

    pub fn new(friend_id: u64, name: &str, remark: &str) -> Self {
        let remark = if remark.trim().is_empty() {
            name
        } else {
            remark
        };
        Self {
            id: friend_id,
            friend_id,
            friend_name: name.to_owned(),
            friend_remark: remark.to_owned(),
        }
    }
}

/// Every friend of `user_id` (up to `MAX_PAGES` pages).
pub async fn list_all(
    account: &AccountClient<InternalChannel>,
    user_id: u64,
) -> Result<Vec<pb::Friend>, tonic::Status> {
    let mut friends = Vec::new();
    let mut cursor = String::new();
    for _ in 0..MAX_PAGES {
        let reply = account
            .clone()
            .list_friends(pb::ListFriendsRequest {
                actor_id: user_id,
                page: Some(PageRequest {
                    cursor,
                    limit: PAGE,
                }),
            })
            .await?
            .into_inner();
        friends.extend(reply.friends);
        if reply.next_cursor.is_empty() {
            break;
        }
        cursor = reply.next_cursor;
    }
    Ok(friends)
}

/// `friendship/friendList`.
pub async fn friend_list(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedBody(body): SeedBody<FriendQuery>,
) -> SeedResult<Vec<SeedFriend>> {
    let needle = body.name.trim().to_lowercase();
    let friends = list_all(&state.account, caller.user_id)
        .await?
        .iter()
        .filter_map(SeedFriend::from_proto)
        .filter(|friend| {
            needle.is_empty()
                || friend.friend_name.to_lowercase().contains(&needle)
                || friend.friend_remark.to_lowercase().contains(&needle)
        })
        .collect();
    Ok(Done(friends))
}
