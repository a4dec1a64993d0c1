//! `chatMsg/selectNotReadMsg`: the seed's at-most-once pull of direct messages missed while
//! away, on our read cursors: it answers what lies past each direct conversation's cursor and
//! moves the cursor over it, so a second pull returns nothing new (and our own clients of the
//! same user see those messages as read). A push to a seed session moves the same cursor
//! (`realtime`), and each answers only what its own move passed: every message is handed over
//! once, by whichever got there first.

use std::sync::Arc;

use axum::extract::State;
use chat_proto::common as pb_common;
use chat_proto::message as pb;

use super::auth::SeedCaller;
use super::envelope::{Done, SeedResult};
use super::msg::SeedMessage;
use super::{MAX_PAGES, SeedState, pull};

/// The unread messages of one conversation past the first page that `SyncUnread` gave.
async fn rest_of(
    state: &SeedState,
    user_id: u64,
    conversation_id: &str,
    mut after: u64,
) -> Result<Vec<pb_common::ChatMessage>, tonic::Status> {
    let mut messages = Vec::new();
    for _ in 0..MAX_PAGES {
        let reply = pull::page(
            &state.message,
            user_id,
            conversation_id,
            after,
            pb::PullDirection::After,
        )
        .await?;
        let Some(last) = reply.messages.last() else {
            break;
        };
        after = last.seq;
        messages.extend(reply.messages);
        if !reply.has_more {
            break;
        }
    }
    Ok(messages)
}

/// `chatMsg/selectNotReadMsg`: unread direct messages to the caller, oldest first per
/// conversation; `data` is `[]` when there are none.
pub async fn select_not_read_msg(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
) -> SeedResult<Vec<SeedMessage>> {
    let unread = state
        .message
        .clone()
        .sync_unread(pb::SyncUnreadRequest {
            actor_id: caller.user_id,
            per_conversation_limit: pull::MESSAGE_PAGE,
        })
        .await?
        .into_inner();
    let mut answer = Vec::new();
    for entry in unread.conversations {
        let Some(conversation) = entry.conversation else {
            continue;
        };
        if conversation.kind != pb_common::ConversationKind::Direct as i32 {
            continue;
        }
        let mut messages = entry.messages;
        if entry.has_more
            && let Some(last) = messages.last()
        {
            let after = last.seq;
            messages.extend(
                rest_of(&state, caller.user_id, &conversation.conversation_id, after).await?,
            );
        }
        let Some(newest) = messages.last().map(|message| message.seq) else {
            continue;
        };
        // What a push moved the cursor over since these were read is the push's to hand over:
        // answer only what this call moves past.
        let previous = state
            .message
            .clone()
            .mark_read(pb::MarkReadRequest {
                actor_id: caller.user_id,
                conversation_id: conversation.conversation_id,
                seq: newest,
                report_previous: true,
            })
            .await?
            .into_inner()
            .previous_read_seq;
        answer.extend(
            messages
                .iter()
                .filter(|message| message.seq > previous && message.sender_id != caller.user_id)
                .filter_map(|message| SeedMessage::for_viewer(message, caller.user_id)),
        );
    }
    Ok(Done(answer))
}
