//! `/groups`: creation, settings, membership, invitations, join requests, roles and mutes.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chat_proto::account as pb;
use serde::Deserialize;
use serde_json::{Value, json};

use super::RestState;
use super::accounts::user_json;
use super::avatars::refuse_address;
use super::error::ApiError;
use super::extract::{Caller, IdPair, IdPath, JsonBody, QueryParams};
use super::friends::Page;
use crate::limits::Action;

fn mode_name(mode: i32) -> &'static str {
    match pb::JoinMode::try_from(mode).unwrap_or(pb::JoinMode::Unspecified) {
        pb::JoinMode::Open => "open",
        pb::JoinMode::Approval => "approval",
        pb::JoinMode::InviteOnly => "invite_only",
        pb::JoinMode::Password => "password",
        pb::JoinMode::Unspecified => "unknown",
    }
}

fn parse_mode(name: &str) -> Result<pb::JoinMode, ApiError> {
    match name {
        "open" => Ok(pb::JoinMode::Open),
        "approval" => Ok(pb::JoinMode::Approval),
        "invite_only" => Ok(pb::JoinMode::InviteOnly),
        "password" => Ok(pb::JoinMode::Password),
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_join_mode",
            format!("join_mode is open, approval, invite_only or password, not `{other}`"),
        )),
    }
}

fn role_name(role: i32) -> &'static str {
    match pb::GroupRole::try_from(role).unwrap_or(pb::GroupRole::Unspecified) {
        pb::GroupRole::Owner => "owner",
        pb::GroupRole::Admin => "admin",
        pb::GroupRole::Member => "member",
        pb::GroupRole::Unspecified => "none",
    }
}

pub fn group_json(group: &pb::Group) -> Value {
    json!({
        "group_id": group.group_id,
        "name": group.name,
        "description": group.description,
        "avatar_url": group.avatar_url,
        "avatar_file_id": group.avatar_file_id,
        "join_mode": mode_name(group.join_mode),
        "owner_id": group.owner_id,
        "member_count": group.member_count,
        "member_limit": group.member_limit,
        "created_at_ms": group.created_at_ms,
        "my_role": role_name(group.my_role),
    })
}

fn member_json(member: &pb::GroupMember) -> Value {
    json!({
        "user": member.user.as_ref().map(user_json),
        "role": role_name(member.role),
        "joined_at_ms": member.joined_at_ms,
        "muted_until_ms": member.muted_until_ms,
    })
}

fn join_request_json(request: &pb::JoinRequest) -> Value {
    let status = match pb::JoinRequestStatus::try_from(request.status)
        .unwrap_or(pb::JoinRequestStatus::Unspecified)
    {
        pb::JoinRequestStatus::Pending => "pending",
        pb::JoinRequestStatus::Approved => "approved",
        pb::JoinRequestStatus::Rejected => "rejected",
        pb::JoinRequestStatus::Unspecified => "unknown",
    };
    json!({
        "join_request_id": request.join_request_id,
        "group_id": request.group_id,
        "user": request.user.as_ref().map(user_json),
        "message": request.message,
        "status": status,
        "created_at_ms": request.created_at_ms,
    })
}

#[derive(Deserialize)]
pub struct NewGroup {
    name: String,
    #[serde(default)]
    description: String,
    avatar_url: Option<String>,
    join_mode: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    member_ids: Vec<u64>,
}

pub async fn create(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    JsonBody(body): JsonBody<NewGroup>,
) -> Result<impl IntoResponse, ApiError> {
    refuse_address(body.avatar_url.as_deref(), "/groups/{id}/avatar")?;
    let group = state
        .account
        .clone()
        .create_group(pb::CreateGroupRequest {
            actor_id: caller.user_id,
            name: body.name,
            description: body.description,
            avatar_url: String::new(),
            join_mode: parse_mode(&body.join_mode)? as i32,
            password: body.password,
            initial_member_ids: body.member_ids,
        })
        .await?
        .into_inner();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "group": group_json(&group) })),
    ))
}

pub async fn mine(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, ApiError> {
    let reply = state
        .account
        .clone()
        .list_my_groups(pb::ListMyGroupsRequest {
            actor_id: caller.user_id,
            page: page.request(),
        })
        .await?
        .into_inner();
    let groups: Vec<Value> = reply.groups.iter().map(group_json).collect();
    Ok(Json(
        json!({ "groups": groups, "next_cursor": reply.next_cursor }),
    ))
}

pub async fn get(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<Value>, ApiError> {
    let group = state
        .account
        .clone()
        .get_group(pb::GetGroupRequest {
            actor_id: caller.user_id,
            group_id: id,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "group": group_json(&group) })))
}

#[derive(Deserialize)]
pub struct GroupChange {
    name: Option<String>,
    description: Option<String>,
    avatar_url: Option<String>,
    join_mode: Option<String>,
    password: Option<String>,
}

pub async fn update(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<GroupChange>,
) -> Result<Json<Value>, ApiError> {
    refuse_address(body.avatar_url.as_deref(), "/groups/{id}/avatar")?;
    let join_mode = match body.join_mode.as_deref() {
        Some(mode) => Some(parse_mode(mode)? as i32),
        None => None,
    };
    let group = state
        .account
        .clone()
        .update_group(pb::UpdateGroupRequest {
            actor_id: caller.user_id,
            group_id: id,
            name: body.name,
            description: body.description,
            avatar_url: None,
            join_mode,
            password: body.password,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "group": group_json(&group) })))
}

pub async fn dissolve(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    state
        .account
        .clone()
        .dissolve_group(pb::DissolveGroupRequest {
            actor_id: caller.user_id,
            group_id: id,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn members(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, ApiError> {
    let reply = state
        .account
        .clone()
        .list_group_members(pb::ListGroupMembersRequest {
            actor_id: caller.user_id,
            group_id: id,
            page: page.request(),
        })
        .await?
        .into_inner();
    let members: Vec<Value> = reply.members.iter().map(member_json).collect();
    Ok(Json(
        json!({ "members": members, "next_cursor": reply.next_cursor }),
    ))
}

#[derive(Deserialize)]
pub struct Invitation {
    user_ids: Vec<u64>,
}

pub async fn invite(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<Invitation>,
) -> Result<Json<Value>, ApiError> {
    let reply = state
        .account
        .clone()
        .invite_to_group(pb::InviteToGroupRequest {
            actor_id: caller.user_id,
            group_id: id,
            user_ids: body.user_ids,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "added_user_ids": reply.added_user_ids })))
}

#[derive(Deserialize, Default)]
pub struct Join {
    #[serde(default)]
    password: String,
    #[serde(default)]
    message: String,
}

pub async fn join(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    state
        .limits
        .check(Action::Join, Some(caller.user_id), &caller.addr)
        .await?;
    // The body is optional: open groups need nothing.
    let body: Join = if body.is_empty() {
        Join::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", error.to_string())
        })?
    };
    let reply = state
        .account
        .clone()
        .join_group(pb::JoinGroupRequest {
            actor_id: caller.user_id,
            group_id: id,
            password: body.password,
            message: body.message,
        })
        .await?
        .into_inner();
    let outcome = if reply.outcome == pb::JoinOutcome::PendingApproval as i32 {
        "pending_approval"
    } else {
        "joined"
    };
    Ok(Json(
        json!({ "outcome": outcome, "join_request_id": reply.join_request_id }),
    ))
}

pub async fn join_requests(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, ApiError> {
    let reply = state
        .account
        .clone()
        .list_join_requests(pb::ListJoinRequestsRequest {
            actor_id: caller.user_id,
            group_id: id,
            page: page.request(),
        })
        .await?
        .into_inner();
    let requests: Vec<Value> = reply.requests.iter().map(join_request_json).collect();
    Ok(Json(
        json!({ "requests": requests, "next_cursor": reply.next_cursor }),
    ))
}

pub async fn approve(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<Value>, ApiError> {
    let request = state
        .account
        .clone()
        .approve_join_request(pb::AnswerJoinRequestRequest {
            actor_id: caller.user_id,
            join_request_id: id,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "request": join_request_json(&request) })))
}

pub async fn reject(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<Value>, ApiError> {
    let request = state
        .account
        .clone()
        .reject_join_request(pb::AnswerJoinRequestRequest {
            actor_id: caller.user_id,
            join_request_id: id,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "request": join_request_json(&request) })))
}

pub async fn leave(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    state
        .account
        .clone()
        .leave_group(pb::LeaveGroupRequest {
            actor_id: caller.user_id,
            group_id: id,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn kick(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPair(group, user): IdPair,
) -> Result<StatusCode, ApiError> {
    state
        .account
        .clone()
        .kick_member(pb::KickMemberRequest {
            actor_id: caller.user_id,
            group_id: group,
            user_id: user,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_admin(
    state: &RestState,
    caller: &Caller,
    group: u64,
    user: u64,
    admin: bool,
) -> Result<Json<Value>, ApiError> {
    let member = state
        .account
        .clone()
        .set_admin(pb::SetAdminRequest {
            actor_id: caller.user_id,
            group_id: group,
            user_id: user,
            admin,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "member": member_json(&member) })))
}

pub async fn make_admin(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPair(group, user): IdPair,
) -> Result<Json<Value>, ApiError> {
    set_admin(&state, &caller, group, user, true).await
}

pub async fn unmake_admin(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPair(group, user): IdPair,
) -> Result<Json<Value>, ApiError> {
    set_admin(&state, &caller, group, user, false).await
}

#[derive(Deserialize)]
pub struct Mute {
    duration_s: u32,
}

async fn mute_for(
    state: &RestState,
    caller: &Caller,
    group: u64,
    user: u64,
    duration_s: u32,
) -> Result<Json<Value>, ApiError> {
    let member = state
        .account
        .clone()
        .mute_member(pb::MuteMemberRequest {
            actor_id: caller.user_id,
            group_id: group,
            user_id: user,
            duration_s,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "member": member_json(&member) })))
}

pub async fn mute(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPair(group, user): IdPair,
    JsonBody(body): JsonBody<Mute>,
) -> Result<Json<Value>, ApiError> {
    mute_for(&state, &caller, group, user, body.duration_s).await
}

pub async fn unmute(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPair(group, user): IdPair,
) -> Result<Json<Value>, ApiError> {
    mute_for(&state, &caller, group, user, 0).await
}

#[derive(Deserialize)]
pub struct Transfer {
    new_owner_id: u64,
}

pub async fn transfer(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<Transfer>,
) -> Result<Json<Value>, ApiError> {
    let group = state
        .account
        .clone()
        .transfer_ownership(pb::TransferOwnershipRequest {
            actor_id: caller.user_id,
            group_id: id,
            new_owner_id: body.new_owner_id,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "group": group_json(&group) })))
}
