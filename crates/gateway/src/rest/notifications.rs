//! `/notifications`: what happened to me while I was away, oldest first, by cursor.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chat_proto::account as pb;
use serde::Deserialize;
use serde_json::{Value, json};

use super::RestState;
use super::error::ApiError;
use super::extract::{Caller, QueryParams};

/// The notification kind as the API names it.
pub fn kind_name(kind: i32) -> &'static str {
    match pb::NotificationKind::try_from(kind).unwrap_or(pb::NotificationKind::Unspecified) {
        pb::NotificationKind::FriendRequestReceived => "friend_request_received",
        pb::NotificationKind::FriendRequestAccepted => "friend_request_accepted",
        pb::NotificationKind::GroupAdded => "group_added",
        pb::NotificationKind::GroupMemberJoined => "group_member_joined",
        pb::NotificationKind::GroupMemberLeft => "group_member_left",
        pb::NotificationKind::GroupMemberKicked => "group_member_kicked",
        pb::NotificationKind::GroupUpdated => "group_updated",
        pb::NotificationKind::GroupDissolved => "group_dissolved",
        pb::NotificationKind::GroupJoinRequested => "group_join_requested",
        pb::NotificationKind::FriendRequestRejected => "friend_request_rejected",
        pb::NotificationKind::FriendAdded => "friend_added",
        pb::NotificationKind::Unspecified => "unknown",
    }
}

/// A notification as the API (and the WebSocket protocol) shows it.
pub fn notification_json(notification: &pb::Notification) -> Value {
    let details: Value = serde_json::from_str(&notification.payload_json).unwrap_or(Value::Null);
    json!({
        "notification_id": notification.notification_id,
        "kind": kind_name(notification.kind),
        "actor_id": notification.actor_id,
        "group_id": notification.group_id,
        "details": details,
        "created_at_ms": notification.created_at_ms,
    })
}

#[derive(Deserialize)]
pub struct Cursor {
    #[serde(default)]
    after_id: u64,
    #[serde(default)]
    limit: u32,
}

pub async fn list(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(cursor): QueryParams<Cursor>,
) -> Result<Json<Value>, ApiError> {
    let reply = state
        .account
        .clone()
        .list_notifications(pb::ListNotificationsRequest {
            actor_id: caller.user_id,
            after_id: cursor.after_id,
            limit: cursor.limit,
        })
        .await?
        .into_inner();
    let notifications: Vec<Value> = reply.notifications.iter().map(notification_json).collect();
    Ok(Json(json!({
        "notifications": notifications,
        "next_after_id": reply.next_after_id,
        "has_more": reply.has_more,
    })))
}
