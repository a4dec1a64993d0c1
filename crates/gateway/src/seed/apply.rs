//! `applyFriend/*`: friend applications. The seed's `proposerRemark` is our request's message
//! (what the target reads), its `appliedRemark` the remark the proposer (on apply) or the
//! target (on confirm) gives the other once they are friends.

use chat_wire::seed::requests::{Confirmation, NewApplication, Since};
use std::sync::Arc;

use axum::extract::State;
use chat_proto::account as pb;
use chat_proto::common::PageRequest;
use serde::Serialize;

use super::auth::SeedCaller;
use super::body::{SeedBody, SeedQuery};
use super::envelope::{Done, SeedError, SeedResult, code};
use super::{MAX_PAGES, PAGE, SeedState};
use chat_wire::seed::fields::created_at;

/// `applyPass` values the client knows; anything else breaks its list.
const PENDING: u8 = 0;
const ACCEPTED: u8 = 1;
const REJECTED: u8 = 2;

/// An application as the seed client stores it.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct SeedApplication {
    id: u64,
    proposer_id: u64,
    proposer_name: String,
    proposer_remark: String,
    target_user: u64,
    target_name: String,
    apply_pass: u8,
    created_at: String,
    /// When it last changed (epoch ms): the order the list is in.
    update_time: i64,
}

/// `applyPass` for a request status: a cancelled request reads as rejected, so that a client
/// that stored it as pending sees it end.
fn apply_pass(status: i32) -> u8 {
    match pb::FriendRequestStatus::try_from(status).unwrap_or(pb::FriendRequestStatus::Unspecified)
    {
        pb::FriendRequestStatus::Accepted => ACCEPTED,
        pb::FriendRequestStatus::Rejected | pb::FriendRequestStatus::Cancelled => REJECTED,
        pb::FriendRequestStatus::Pending | pb::FriendRequestStatus::Unspecified => PENDING,
    }
}

impl SeedApplication {
    pub fn from_proto(request: &pb::FriendRequest) -> Option<Self> {
        let (from, to) = (request.from.as_ref()?, request.to.as_ref()?);
        Some(Self {
            id: request.request_id,
            proposer_id: from.user_id,
            proposer_name: from.nickname.clone(),
            proposer_remark: request.message.clone(),
            target_user: to.user_id,
            target_name: to.nickname.clone(),
            apply_pass: apply_pass(request.status),
            created_at: created_at(request.created_at_ms),
            update_time: request.updated_at_ms,
        })
    }
}

/// `applyFriend/applyFriend`: our rules apply (no request to someone who blocked you, none
/// twice, none to a friend), refused with 403/409.
pub async fn apply_friend(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedBody(body): SeedBody<NewApplication>,
) -> SeedResult<SeedApplication> {
    let request = state
        .account
        .clone()
        .send_friend_request(pb::SendFriendRequestRequest {
            actor_id: caller.user_id,
            to_user_id: body.target_user,
            message: body.proposer_remark,
            remark: body.applied_remark,
        })
        .await?
        .into_inner();
    shown(&request).map(Done)
}

fn shown(request: &pb::FriendRequest) -> Result<SeedApplication, SeedError> {
    SeedApplication::from_proto(request)
        .ok_or_else(|| SeedError::new(code::INTERNAL, "the application has no users"))
}

/// Every request to (`incoming`) or from the user, newest first.
async fn requests(
    state: &SeedState,
    user_id: u64,
    direction: pb::RequestDirection,
) -> Result<Vec<pb::FriendRequest>, tonic::Status> {
    let mut requests = Vec::new();
    let mut cursor = String::new();
    for _ in 0..MAX_PAGES {
        let reply = state
            .account
            .clone()
            .list_friend_requests(pb::ListFriendRequestsRequest {
                actor_id: user_id,
                direction: direction as i32,
                page: Some(PageRequest {
                    cursor,
                    limit: PAGE,
                }),
            })
            .await?
            .into_inner();
        requests.extend(reply.requests);
        if reply.next_cursor.is_empty() {
            break;
        }
        cursor = reply.next_cursor;
    }
    Ok(requests)
}

/// `applyFriend/applyRecord`: incoming and outgoing applications, oldest change first, so that
/// the client (which upserts by proposer and target in array order) ends on the current state
/// of each pair.
pub async fn apply_record(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedQuery(since): SeedQuery<Since>,
) -> SeedResult<Vec<SeedApplication>> {
    let since = match since.update_last.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(raw) => raw
            .parse::<i64>()
            .map_err(|_| SeedError::bad_request("updateLast is epoch milliseconds"))?,
    };
    let mut all = requests(&state, caller.user_id, pb::RequestDirection::Incoming).await?;
    all.extend(requests(&state, caller.user_id, pb::RequestDirection::Outgoing).await?);
    let mut records: Vec<SeedApplication> = all
        .iter()
        .filter(|request| request.updated_at_ms > since)
        .filter_map(SeedApplication::from_proto)
        .collect();
    records.sort_by_key(|record| (record.update_time, record.id));
    Ok(Done(records))
}

/// `applyFriend/applyFriendConfirm`: the target accepts (1) or rejects (2) the pending
/// application from `proposerId`; the rest of the client's record is ignored.
pub async fn apply_friend_confirm(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedBody(body): SeedBody<Confirmation>,
) -> SeedResult<SeedApplication> {
    if body.target_user != caller.user_id {
        return Err(SeedError::new(
            code::FORBIDDEN,
            "only the target of an application answers it",
        ));
    }
    let accept = match u8::try_from(body.apply_pass) {
        Ok(ACCEPTED) => true,
        Ok(REJECTED) => false,
        _ => {
            return Err(SeedError::bad_request(
                "applyPass is 1 (accept) or 2 (reject)",
            ));
        }
    };
    let pending = requests(&state, caller.user_id, pb::RequestDirection::Incoming)
        .await?
        .into_iter()
        .find(|request| {
            request.status == pb::FriendRequestStatus::Pending as i32
                && request.from.as_ref().map(|from| from.user_id) == Some(body.proposer_id)
        })
        .ok_or_else(|| SeedError::new(code::NOT_FOUND, "no pending application from this user"))?;
    let answer = pb::AnswerFriendRequestRequest {
        actor_id: caller.user_id,
        request_id: pending.request_id,
        remark: body.applied_remark,
    };
    let mut record = shown(&pending)?;
    if accept {
        let friend = state
            .account
            .clone()
            .accept_friend_request(answer)
            .await?
            .into_inner();
        record.apply_pass = ACCEPTED;
        record.update_time = friend.since_ms;
    } else {
        let rejected = state
            .account
            .clone()
            .reject_friend_request(answer)
            .await?
            .into_inner();
        record = shown(&rejected)?;
    }
    Ok(Done(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_is_one_the_client_knows() {
        use pb::FriendRequestStatus as S;
        assert_eq!(apply_pass(S::Pending as i32), PENDING);
        assert_eq!(apply_pass(S::Accepted as i32), ACCEPTED);
        assert_eq!(apply_pass(S::Rejected as i32), REJECTED);
        assert_eq!(apply_pass(S::Cancelled as i32), REJECTED);
        assert_eq!(apply_pass(99), PENDING);
    }
}
