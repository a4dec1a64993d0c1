//! `/friends`, `/friends/requests`, `/blocks`: friend requests, friendships and blocks.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chat_proto::account as pb;
use chat_proto::common::PageRequest;
use serde::Deserialize;
use serde_json::{Value, json};

use super::RestState;
use super::accounts::user_json;
use super::error::ApiError;
use super::extract::{Caller, IdPath, JsonBody, QueryParams};

fn request_json(request: &pb::FriendRequest) -> Value {
    let status = match pb::FriendRequestStatus::try_from(request.status)
        .unwrap_or(pb::FriendRequestStatus::Unspecified)
    {
        pb::FriendRequestStatus::Pending => "pending",
        pb::FriendRequestStatus::Accepted => "accepted",
        pb::FriendRequestStatus::Rejected => "rejected",
        pb::FriendRequestStatus::Cancelled => "cancelled",
        pb::FriendRequestStatus::Unspecified => "unknown",
    };
    json!({
        "request_id": request.request_id,
        "from": request.from.as_ref().map(user_json),
        "to": request.to.as_ref().map(user_json),
        "message": request.message,
        "status": status,
        "created_at_ms": request.created_at_ms,
        "updated_at_ms": request.updated_at_ms,
    })
}

fn friend_json(friend: &pb::Friend) -> Value {
    json!({ "user": friend.user.as_ref().map(user_json), "remark": friend.remark, "since_ms": friend.since_ms })
}

/// `cursor` and `limit` query parameters.
#[derive(Deserialize)]
pub struct Page {
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    limit: u32,
    #[serde(default)]
    direction: Option<String>,
}

impl Page {
    pub fn request(&self) -> Option<PageRequest> {
        Some(PageRequest {
            cursor: self.cursor.clone(),
            limit: self.limit,
        })
    }
}

#[derive(Deserialize)]
pub struct NewRequest {
    to_user_id: u64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    remark: String,
}

pub async fn send_request(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    JsonBody(body): JsonBody<NewRequest>,
) -> Result<Json<Value>, ApiError> {
    let request = state
        .account
        .clone()
        .send_friend_request(pb::SendFriendRequestRequest {
            actor_id: caller.user_id,
            to_user_id: body.to_user_id,
            message: body.message,
            remark: body.remark,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "request": request_json(&request) })))
}

pub async fn list_requests(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, ApiError> {
    let direction = match page.direction.as_deref() {
        None | Some("incoming") => pb::RequestDirection::Incoming,
        Some("outgoing") => pb::RequestDirection::Outgoing,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_direction",
                format!("direction is incoming or outgoing, not `{other}`"),
            ));
        }
    };
    let reply = state
        .account
        .clone()
        .list_friend_requests(pb::ListFriendRequestsRequest {
            actor_id: caller.user_id,
            direction: direction as i32,
            page: page.request(),
        })
        .await?
        .into_inner();
    let requests: Vec<Value> = reply.requests.iter().map(request_json).collect();
    Ok(Json(
        json!({ "requests": requests, "next_cursor": reply.next_cursor }),
    ))
}

#[derive(Deserialize)]
pub struct Answer {
    #[serde(default)]
    remark: String,
}

fn answer_request(caller: &Caller, id: u64, remark: String) -> pb::AnswerFriendRequestRequest {
    pb::AnswerFriendRequestRequest {
        actor_id: caller.user_id,
        request_id: id,
        remark,
    }
}

pub async fn accept(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    // The body is optional: an empty one accepts without a remark.
    let remark = if body.is_empty() {
        String::new()
    } else {
        serde_json::from_slice::<Answer>(&body)
            .map_err(|error| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", error.to_string())
            })?
            .remark
    };
    let friend = state
        .account
        .clone()
        .accept_friend_request(answer_request(&caller, id, remark))
        .await?
        .into_inner();
    Ok(Json(json!({ "friend": friend_json(&friend) })))
}

pub async fn reject(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<Value>, ApiError> {
    let request = state
        .account
        .clone()
        .reject_friend_request(answer_request(&caller, id, String::new()))
        .await?
        .into_inner();
    Ok(Json(json!({ "request": request_json(&request) })))
}

pub async fn cancel(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<Value>, ApiError> {
    let request = state
        .account
        .clone()
        .cancel_friend_request(answer_request(&caller, id, String::new()))
        .await?
        .into_inner();
    Ok(Json(json!({ "request": request_json(&request) })))
}

pub async fn list_friends(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, ApiError> {
    let reply = state
        .account
        .clone()
        .list_friends(pb::ListFriendsRequest {
            actor_id: caller.user_id,
            page: page.request(),
        })
        .await?
        .into_inner();
    let friends: Vec<Value> = reply.friends.iter().map(friend_json).collect();
    Ok(Json(
        json!({ "friends": friends, "next_cursor": reply.next_cursor }),
    ))
}

#[derive(Deserialize)]
pub struct Remark {
    remark: String,
}

pub async fn set_remark(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<Remark>,
) -> Result<Json<Value>, ApiError> {
    let friend = state
        .account
        .clone()
        .set_friend_remark(pb::SetFriendRemarkRequest {
            actor_id: caller.user_id,
            friend_id: id,
            remark: body.remark,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "friend": friend_json(&friend) })))
}

pub async fn delete_friend(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    state
        .account
        .clone()
        .delete_friend(pb::DeleteFriendRequest {
            actor_id: caller.user_id,
            friend_id: id,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn block(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    state
        .account
        .clone()
        .block_user(pb::BlockUserRequest {
            actor_id: caller.user_id,
            user_id: id,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unblock(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    state
        .account
        .clone()
        .unblock_user(pb::BlockUserRequest {
            actor_id: caller.user_id,
            user_id: id,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_blocked(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, ApiError> {
    let reply = state
        .account
        .clone()
        .list_blocked(pb::ListBlockedRequest {
            actor_id: caller.user_id,
            page: page.request(),
        })
        .await?
        .into_inner();
    let users: Vec<Value> = reply.users.iter().map(user_json).collect();
    Ok(Json(
        json!({ "users": users, "next_cursor": reply.next_cursor }),
    ))
}
