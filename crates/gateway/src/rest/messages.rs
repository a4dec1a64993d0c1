//! `/messages`, `/conversations`, `/sync`: sending without a WebSocket, history by seq, read
//! cursors, recalls, deletion for oneself and group read counts. The JSON shapes of messages
//! and conversations come from `chat-wire`, so REST and WebSocket show the same thing.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chat_proto::message as pb;
use chat_wire::{
    ChatMessage, Conversation, SendRequest, SendResult, SeqReadCount, UnreadConversation, WireError,
};
use serde::{Deserialize, Serialize};

use super::RestState;
use super::error::ApiError;
use super::extract::{Caller, ConversationPath, JsonBody, QueryParams, SeqPath};
use super::friends::Page;
use crate::limits::Action;

/// The most messages (and seqs) one call handles, as the message service's contract says.
const MAX_PAGE: usize = 200;

/// Converts a list of backend items to their public shapes; one that does not fit fails the
/// call, since a page with a hole would look like a seq gap to the client.
fn shown<P, W>(items: Vec<P>) -> Result<Vec<W>, ApiError>
where
    W: TryFrom<P, Error = WireError>,
{
    items
        .into_iter()
        .map(W::try_from)
        .collect::<Result<_, _>>()
        .map_err(ApiError::unshowable)
}

/// `POST /messages`: for clients without a WebSocket, so no session is named as the origin.
pub async fn send(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    JsonBody(body): JsonBody<SendRequest>,
) -> Result<Json<SendResult>, ApiError> {
    state
        .limits
        .check(Action::Send, Some(caller.user_id), &caller.addr)
        .await?;
    let request = body
        .into_proto(caller.user_id, String::new())
        .map_err(ApiError::invalid_content)?;
    let reply = state.message.clone().send(request).await?.into_inner();
    Ok(Json(reply.into()))
}

#[derive(Serialize)]
pub struct ConversationPage {
    conversations: Vec<Conversation>,
    next_cursor: String,
}

/// `GET /conversations`: mine, most recently active first.
pub async fn conversations(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<ConversationPage>, ApiError> {
    let reply = state
        .message
        .clone()
        .list_conversations(pb::ListConversationsRequest {
            actor_id: caller.user_id,
            page: page.request(),
        })
        .await?
        .into_inner();
    Ok(Json(ConversationPage {
        conversations: shown(reply.conversations)?,
        next_cursor: reply.next_cursor,
    }))
}

/// `?after=N` or `?before=N`, and `limit`.
#[derive(Deserialize)]
pub struct PullQuery {
    after: Option<u64>,
    before: Option<u64>,
    #[serde(default)]
    limit: u32,
}

/// Which way a page of history goes and from which seq. Neither bound means from the start,
/// so that a client that has nothing yet needs no special case.
fn pull_from(query: &PullQuery) -> Result<(pb::PullDirection, u64), ApiError> {
    match (query.after, query.before) {
        (Some(_), Some(_)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "give either after (oldest first) or before (newest first), not both",
        )),
        (None, Some(before)) => Ok((pb::PullDirection::Before, before)),
        (after, None) => Ok((pb::PullDirection::After, after.unwrap_or(0))),
    }
}

/// Refuses a page size over the maximum rather than quietly returning fewer.
fn check_limit(limit: u32) -> Result<u32, ApiError> {
    if usize::try_from(limit).is_ok_and(|limit| limit <= MAX_PAGE) {
        Ok(limit)
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_limit",
            format!("limit is at most {MAX_PAGE} (0 for the default)"),
        ))
    }
}

#[derive(Serialize)]
pub struct MessagePage {
    messages: Vec<ChatMessage>,
    has_more: bool,
    max_seq: u64,
}

/// `GET /conversations/{conversation_id}/messages`: history after or before a seq.
pub async fn pull(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    ConversationPath(conversation_id): ConversationPath,
    QueryParams(query): QueryParams<PullQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    let (direction, seq) = pull_from(&query)?;
    let reply = state
        .message
        .clone()
        .pull_messages(pb::PullMessagesRequest {
            actor_id: caller.user_id,
            conversation_id,
            seq,
            direction: direction as i32,
            limit: check_limit(query.limit)?,
        })
        .await?
        .into_inner();
    Ok(Json(MessagePage {
        messages: shown(reply.messages)?,
        has_more: reply.has_more,
        max_seq: reply.max_seq,
    }))
}

#[derive(Deserialize)]
pub struct SyncQuery {
    #[serde(default)]
    per_conversation: u32,
}

#[derive(Serialize)]
pub struct Unread {
    conversations: Vec<UnreadConversation>,
}

/// `GET /sync`: what I missed, in one call at login.
pub async fn sync(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(query): QueryParams<SyncQuery>,
) -> Result<Json<Unread>, ApiError> {
    let reply = state
        .message
        .clone()
        .sync_unread(pb::SyncUnreadRequest {
            actor_id: caller.user_id,
            per_conversation_limit: query.per_conversation,
        })
        .await?
        .into_inner();
    Ok(Json(Unread {
        conversations: shown(reply.conversations)?,
    }))
}

#[derive(Deserialize)]
pub struct ReadUpTo {
    seq: u64,
}

#[derive(Serialize)]
pub struct ReadState {
    read_seq: u64,
    unread: u64,
}

/// `POST /conversations/{conversation_id}/read`: moves my read cursor (never back).
pub async fn mark_read(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    ConversationPath(conversation_id): ConversationPath,
    JsonBody(body): JsonBody<ReadUpTo>,
) -> Result<Json<ReadState>, ApiError> {
    let reply = state
        .message
        .clone()
        .mark_read(pb::MarkReadRequest {
            actor_id: caller.user_id,
            conversation_id,
            seq: body.seq,
            report_previous: false,
        })
        .await?
        .into_inner();
    Ok(Json(ReadState {
        read_seq: reply.read_seq,
        unread: reply.unread,
    }))
}

#[derive(Serialize)]
pub struct Recalled {
    recall_seq: u64,
}

/// `POST /conversations/{conversation_id}/messages/{seq}/recall`: the sender takes it back.
pub async fn recall(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    ConversationPath(conversation_id): ConversationPath,
    SeqPath(seq): SeqPath,
) -> Result<Json<Recalled>, ApiError> {
    let reply = state
        .message
        .clone()
        .recall(pb::RecallRequest {
            actor_id: caller.user_id,
            conversation_id,
            seq,
        })
        .await?
        .into_inner();
    Ok(Json(Recalled {
        recall_seq: reply.recall_seq,
    }))
}

#[derive(Deserialize)]
pub struct Seqs {
    seqs: Vec<u64>,
}

/// `POST /conversations/{conversation_id}/messages/delete-for-me`: hides them from me only.
pub async fn delete_for_me(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    ConversationPath(conversation_id): ConversationPath,
    JsonBody(body): JsonBody<Seqs>,
) -> Result<StatusCode, ApiError> {
    state
        .message
        .clone()
        .delete_for_me(pb::DeleteForMeRequest {
            actor_id: caller.user_id,
            conversation_id,
            seqs: body.seqs,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?seqs=1,2,3`.
#[derive(Deserialize)]
pub struct SeqList {
    seqs: String,
}

/// Parses a comma-separated list of 1 to 200 positive seqs, in the caller's order (the answer
/// keeps it).
fn parse_seqs(raw: &str) -> Result<Vec<u64>, ApiError> {
    let seqs: Option<Vec<u64>> = raw
        .split(',')
        .map(|seq| seq.trim().parse().ok().filter(|seq| *seq > 0))
        .collect();
    match seqs {
        Some(seqs) if seqs.len() <= MAX_PAGE => Ok(seqs),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_seqs",
            format!("seqs is a comma-separated list of 1 to {MAX_PAGE} message seqs"),
        )),
    }
}

#[derive(Serialize)]
pub struct ReadCounts {
    counts: Vec<SeqReadCount>,
}

/// `GET /conversations/{conversation_id}/read-counts?seqs=`: how many have read each message.
pub async fn read_counts(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    ConversationPath(conversation_id): ConversationPath,
    QueryParams(query): QueryParams<SeqList>,
) -> Result<Json<ReadCounts>, ApiError> {
    let reply = state
        .message
        .clone()
        .read_counts(pb::ReadCountsRequest {
            actor_id: caller.user_id,
            conversation_id,
            seqs: parse_seqs(&query.seqs)?,
        })
        .await?
        .into_inner();
    Ok(Json(ReadCounts {
        counts: reply.counts.into_iter().map(SeqReadCount::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(after: Option<u64>, before: Option<u64>) -> PullQuery {
        PullQuery {
            after,
            before,
            limit: 0,
        }
    }

    fn parsed_query(raw: &str) -> Result<PullQuery, String> {
        let uri: axum::http::Uri = format!("/x?{raw}").parse().map_err(|e| format!("{e}"))?;
        axum::extract::Query::<PullQuery>::try_from_uri(&uri)
            .map(|query| query.0)
            .map_err(|e| e.body_text())
    }

    #[test]
    fn no_bound_pulls_from_the_start() {
        let (direction, seq) = pull_from(&query(None, None)).unwrap();
        assert_eq!((direction, seq), (pb::PullDirection::After, 0));
    }

    #[test]
    fn after_pulls_oldest_first_and_before_newest_first() {
        assert_eq!(
            pull_from(&query(Some(7), None)).unwrap(),
            (pb::PullDirection::After, 7)
        );
        assert_eq!(
            pull_from(&query(None, Some(9))).unwrap(),
            (pb::PullDirection::Before, 9)
        );
    }

    #[test]
    fn after_and_before_together_are_refused() {
        let error = pull_from(&query(Some(1), Some(9))).unwrap_err();
        assert_eq!(
            (error.status, error.code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_query")
        );
    }

    #[test]
    fn the_pull_query_string_parses_as_documented() {
        let full = parsed_query("before=40&limit=20").unwrap();
        assert_eq!((full.after, full.before, full.limit), (None, Some(40), 20));
        let empty = parsed_query("").unwrap();
        assert_eq!((empty.after, empty.before, empty.limit), (None, None, 0));
        assert!(parsed_query("after=-1").is_err());
        assert!(parsed_query("after=ten").is_err());
    }

    #[test]
    fn limits_above_the_page_maximum_are_refused() {
        assert_eq!(check_limit(0).unwrap(), 0);
        assert_eq!(check_limit(200).unwrap(), 200);
        assert_eq!(check_limit(201).unwrap_err().code, "invalid_limit");
    }

    #[test]
    fn seqs_parse_in_the_callers_order() {
        assert_eq!(parse_seqs("3,1,2").unwrap(), [3, 1, 2]);
        assert_eq!(parse_seqs(" 5 , 6 ").unwrap(), [5, 6]);
        assert_eq!(parse_seqs("42").unwrap(), [42]);
    }

    #[test]
    fn malformed_seq_lists_are_refused() {
        for raw in ["", ",", "1,,2", "1,x", "0", "-1", "1.5", "1,2,"] {
            let error = parse_seqs(raw).unwrap_err();
            assert_eq!(error.code, "invalid_seqs", "{raw:?}");
        }
    }

    #[test]
    fn at_most_a_page_of_seqs_is_accepted() {
        let page: Vec<String> = (1..=200).map(|seq| seq.to_string()).collect();
        assert_eq!(parse_seqs(&page.join(",")).unwrap().len(), 200);
        let over = format!("{},201", page.join(","));
        assert_eq!(parse_seqs(&over).unwrap_err().code, "invalid_seqs");
    }
}
