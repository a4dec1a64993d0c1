//! `chatMsg/selectGroupChatMsgNotRead`: group messages after the last `msgId` the client has
//! of each group. Our history is addressed by per-conversation seq, not by message id, so the
//! `msgId` is found by reading the group's history back from the newest message: what lies
//! before it in that walk is what the client lacks. A `msgId` not in the history (0, or a
//! message deleted for the reader) falls back to message ids above it within the window.

use chat_wire::seed::requests::GroupCursors;
use std::sync::Arc;

use axum::extract::State;
use chat_proto::common as pb_common;
use chat_proto::message as pb;
use tonic::Code;

use super::auth::SeedCaller;
use super::body::SeedBody;
use super::envelope::{Done, SeedError, SeedResult};
use super::msg::SeedMessage;
use super::{SeedState, pull};

/// The most messages one group answers: the newest ones, when the client is further behind.
const WINDOW_PAGES: usize = 5;
/// The most groups one call names.
const MAX_GROUPS: usize = 500;

/// The messages of `conversation_id` newer than message `msg_id`, oldest first.
async fn after_message(
    state: &SeedState,
    user_id: u64,
    conversation_id: &str,
    msg_id: u64,
) -> Result<Vec<pb_common::ChatMessage>, tonic::Status> {
    let mut newer = Vec::new();
    let mut before = 0;
    let mut found = false;
    'pages: for _ in 0..WINDOW_PAGES {
        let reply = pull::page(
            &state.message,
            user_id,
            conversation_id,
            before,
            pb::PullDirection::Before,
        )
        .await?;
        for message in reply.messages {
            if message.message_id == msg_id {
                found = true;
                break 'pages;
            }
            before = message.seq;
            newer.push(message);
        }
        if !reply.has_more || before <= 1 {
            break;
        }
    }
    if !found {
        newer.retain(|message| message.message_id > msg_id);
    }
    newer.reverse();
    Ok(newer)
}

/// `chatMsg/selectGroupChatMsgNotRead`: groups the caller is no longer in (or that are gone)
/// are left out rather than failing the whole call; the read cursor of each group moves to the
/// newest message answered.
pub async fn select_group_chat_msg_not_read(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedBody(body): SeedBody<GroupCursors>,
) -> SeedResult<Vec<SeedMessage>> {
    if body.group_list.len() > MAX_GROUPS {
        return Err(SeedError::bad_request(format!(
            "groupList names at most {MAX_GROUPS} groups"
        )));
    }
    let mut answer = Vec::new();
    for cursor in body.group_list {
        let conversation_id = format!("g:{}", cursor.group_id);
        let msg_id = cursor
            .msg_id
            .and_then(|id| u64::try_from(id).ok())
            .unwrap_or(0);
        let messages = match after_message(&state, caller.user_id, &conversation_id, msg_id).await {
            Ok(messages) => messages,
            Err(status) if matches!(status.code(), Code::PermissionDenied | Code::NotFound) => {
                continue;
            }
            Err(status) => return Err(status.into()),
        };
        let Some(newest) = messages.last().map(|message| message.seq) else {
            continue;
        };
        answer.extend(
            messages
                .iter()
                .filter_map(|message| SeedMessage::for_viewer(message, caller.user_id)),
        );
        state
            .message
            .clone()
            .mark_read(pb::MarkReadRequest {
                actor_id: caller.user_id,
                conversation_id,
                seq: newest,
                report_previous: false,
            })
            .await?;
    }
    Ok(Done(answer))
}
