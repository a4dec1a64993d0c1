//! `/auth/*`, `/me`, `/users`: accounts, sessions, profiles and user search.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chat_proto::account as pb;
use chat_proto::common::{PageRequest, Relation, UserProfile};
use serde::Deserialize;
use serde_json::{Value, json};

use super::RestState;
use super::avatars::refuse_address;
use super::error::ApiError;
use super::extract::{Caller, ClientAddr, JsonBody, QueryParams};
use crate::limits::Action;

/// A user as the API shows it.
pub fn user_json(user: &UserProfile) -> Value {
    json!({
        "user_id": user.user_id,
        "username": user.username,
        "nickname": user.nickname,
        "avatar_url": user.avatar_url,
        "avatar_file_id": user.avatar_file_id,
        "bio": user.bio,
        "last_seen_ms": user.last_seen_ms,
        "online": user.online,
    })
}

fn relation_name(relation: i32) -> &'static str {
    match Relation::try_from(relation).unwrap_or(Relation::Unspecified) {
        Relation::Self_ => "self",
        Relation::Friend => "friend",
        Relation::RequestSent => "request_sent",
        Relation::RequestReceived => "request_received",
        Relation::Blocked => "blocked",
        Relation::BlockedBy => "blocked_by",
        Relation::None | Relation::Unspecified => "none",
    }
}

#[derive(Deserialize)]
pub struct Register {
    username: String,
    password: String,
    #[serde(default)]
    nickname: String,
}

pub async fn register(
    State(state): State<Arc<RestState>>,
    ClientAddr(client_addr): ClientAddr,
    JsonBody(body): JsonBody<Register>,
) -> Result<impl IntoResponse, ApiError> {
    state
        .limits
        .check(Action::Register, None, &client_addr)
        .await?;
    let reply = state
        .account
        .clone()
        .register_user(pb::RegisterUserRequest {
            username: body.username,
            password: body.password,
            nickname: body.nickname,
        })
        .await?
        .into_inner();
    let user = reply.user.unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": user_json(&user) })),
    ))
}

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
    #[serde(default)]
    device: String,
}

pub async fn login(
    State(state): State<Arc<RestState>>,
    ClientAddr(client_addr): ClientAddr,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<Value>, ApiError> {
    state
        .limits
        .check(Action::Login, None, &client_addr)
        .await?;
    let reply = state
        .account
        .clone()
        .login(pb::LoginRequest {
            username: body.username,
            password: body.password,
            client_addr,
            device: body.device,
        })
        .await?
        .into_inner();
    let user = reply.user.unwrap_or_default();
    Ok(Json(
        json!({ "token": reply.token, "expires_at_ms": reply.expires_at_ms, "user": user_json(&user) }),
    ))
}

pub async fn logout(
    State(state): State<Arc<RestState>>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    state
        .account
        .clone()
        .logout(pb::LogoutRequest {
            token: caller.token,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(
    State(state): State<Arc<RestState>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let user = state
        .account
        .clone()
        .get_me(pb::GetMeRequest {
            actor_id: caller.user_id,
        })
        .await?
        .into_inner();
    Ok(Json(user_json(&user)))
}

#[derive(Deserialize)]
pub struct ProfileUpdate {
    nickname: Option<String>,
    avatar_url: Option<String>,
    bio: Option<String>,
}

pub async fn update_me(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    JsonBody(body): JsonBody<ProfileUpdate>,
) -> Result<Json<Value>, ApiError> {
    refuse_address(body.avatar_url.as_deref(), "/me/avatar")?;
    let user = state
        .account
        .clone()
        .update_profile(pb::UpdateProfileRequest {
            actor_id: caller.user_id,
            nickname: body.nickname,
            avatar_url: None,
            bio: body.bio,
        })
        .await?
        .into_inner();
    Ok(Json(user_json(&user)))
}

#[derive(Deserialize)]
pub struct PasswordChange {
    old_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    state
        .account
        .clone()
        .change_password(pb::ChangePasswordRequest {
            actor_id: caller.user_id,
            old_password: body.old_password,
            new_password: body.new_password,
            keep_session_id: caller.session_id,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct UserIds {
    ids: String,
}

pub async fn users(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(query): QueryParams<UserIds>,
) -> Result<Json<Value>, ApiError> {
    let user_ids = query
        .ids
        .split(',')
        .map(|id| id.trim().parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_ids",
                "ids is a comma-separated list of user ids",
            )
        })?;
    let reply = state
        .account
        .clone()
        .get_users(pb::GetUsersRequest {
            actor_id: caller.user_id,
            user_ids,
        })
        .await?
        .into_inner();
    Ok(Json(
        json!({ "users": reply.users.iter().map(user_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
pub struct Search {
    q: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    limit: u32,
}

pub async fn search(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(query): QueryParams<Search>,
) -> Result<Json<Value>, ApiError> {
    state
        .limits
        .check(Action::Search, Some(caller.user_id), &caller.addr)
        .await?;
    let reply = state
        .account
        .clone()
        .search_users(pb::SearchUsersRequest {
            actor_id: caller.user_id,
            query: query.q,
            page: Some(PageRequest {
                cursor: query.cursor,
                limit: query.limit,
            }),
        })
        .await?
        .into_inner();
    let hits: Vec<Value> = reply
        .hits
        .iter()
        .map(|hit| json!({ "user": user_json(&hit.user.clone().unwrap_or_default()), "relation": relation_name(hit.relation) }))
        .collect();
    Ok(Json(
        json!({ "hits": hits, "next_cursor": reply.next_cursor }),
    ))
}
