//! `/me/avatar`, `/groups/{id}/avatar` (ADR 0011): an avatar is one of the caller's image
//! uploads (`POST /files?kind=image`). The message service checks the file and keeps it; the
//! account service checks who may change the user or group.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chat_proto::account as pb;
use serde::Deserialize;
use serde_json::{Value, json};

use super::RestState;
use super::accounts::user_json;
use super::error::ApiError;
use super::extract::{Caller, IdPath, JsonBody};
use super::groups::group_json;

#[derive(Deserialize)]
pub struct NewAvatar {
    file_id: u64,
}

/// `PUT /me/avatar`.
pub async fn set_mine(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    JsonBody(body): JsonBody<NewAvatar>,
) -> Result<Json<Value>, ApiError> {
    let file_id = required(body.file_id)?;
    mine(&state, caller.user_id, file_id).await
}

/// `DELETE /me/avatar`.
pub async fn clear_mine(
    State(state): State<Arc<RestState>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    mine(&state, caller.user_id, 0).await
}

/// `PUT /groups/{id}/avatar`.
pub async fn set_group(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(group_id): IdPath,
    JsonBody(body): JsonBody<NewAvatar>,
) -> Result<Json<Value>, ApiError> {
    let file_id = required(body.file_id)?;
    group(&state, caller.user_id, group_id, file_id).await
}

/// `DELETE /groups/{id}/avatar`.
pub async fn clear_group(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(group_id): IdPath,
) -> Result<Json<Value>, ApiError> {
    group(&state, caller.user_id, group_id, 0).await
}

/// An avatar is no longer an address the client gives (older data keeps theirs): a request
/// that still sends one is told where avatars are set rather than having it silently ignored.
pub fn refuse_address(avatar_url: Option<&str>, route: &str) -> Result<(), ApiError> {
    match avatar_url {
        None => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "avatar_is_an_upload",
            format!(
                "an avatar is an uploaded image: upload it (POST /files?kind=image), then PUT {route}"
            ),
        )),
    }
}

/// File ids start at 1; 0 would silently mean "remove", which is what DELETE is for.
fn required(file_id: u64) -> Result<u64, ApiError> {
    if file_id == 0 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "file_id names an image upload of yours (DELETE removes the avatar)",
        ));
    }
    Ok(file_id)
}

async fn mine(state: &RestState, actor_id: u64, file_id: u64) -> Result<Json<Value>, ApiError> {
    let user = set(state, actor_id, 0, file_id)
        .await?
        .user
        .ok_or_else(incomplete)?;
    Ok(Json(user_json(&user)))
}

async fn group(
    state: &RestState,
    actor_id: u64,
    group_id: u64,
    file_id: u64,
) -> Result<Json<Value>, ApiError> {
    let group = set(state, actor_id, group_id, file_id)
        .await?
        .group
        .ok_or_else(incomplete)?;
    Ok(Json(json!({ "group": group_json(&group) })))
}

async fn set(
    state: &RestState,
    actor_id: u64,
    group_id: u64,
    file_id: u64,
) -> Result<pb::SetAvatarResponse, ApiError> {
    Ok(state
        .message
        .clone()
        .set_avatar(pb::SetAvatarRequest {
            actor_id,
            group_id,
            file_id,
        })
        .await?
        .into_inner())
}

/// A reply without the user or group it changed: a service bug, not the caller's.
fn incomplete() -> ApiError {
    tracing::error!("SetAvatar answered without the user or group it changed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the avatar was set but could not be shown; ask again",
    )
}
