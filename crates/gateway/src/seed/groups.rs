//! `groupInfo/*`: group creation, members and invitations. Seed groups are created invite-only:
//! the seed had no way to join by id, and in our invite-only groups the owner and admins add
//! members (the seed let any member add; a plain member now gets 403).

use chat_wire::seed::requests::{GroupRef, NewGroup, NewMembers};
use std::sync::Arc;

use axum::extract::State;
use chat_proto::account as pb;
use chat_proto::common::PageRequest;
use serde::Serialize;

use super::auth::SeedCaller;
use super::body::{SeedBody, SeedQuery};
use super::envelope::{Done, SeedError, SeedResult};
use super::{MAX_PAGES, PAGE, SeedState};

/// A group as the seed shows it (the `addGroupChat` reply and frame 7).
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedGroup {
    pub id: u64,
    pub group_name: String,
    pub group_remark: String,
}

/// `groupInfo/addGroupChat`: the caller owns the new group.
pub async fn add_group_chat(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedBody(body): SeedBody<NewGroup>,
) -> SeedResult<SeedGroup> {
    let group = state
        .account
        .clone()
        .create_group(pb::CreateGroupRequest {
            actor_id: caller.user_id,
            name: body.group_name,
            description: body.group_remark,
            avatar_url: String::new(),
            join_mode: pb::JoinMode::InviteOnly as i32,
            password: String::new(),
            initial_member_ids: Vec::new(),
        })
        .await?
        .into_inner();
    Ok(Done(SeedGroup {
        id: group.group_id,
        group_name: group.name,
        group_remark: group.description,
    }))
}

/// The group a query names.
fn group_id(group: &GroupRef) -> Result<u64, SeedError> {
    group
        .group_id
        .as_deref()
        .and_then(crate::rest::extract::positive_number)
        .ok_or_else(|| SeedError::bad_request("groupId is a group id"))
}

/// A member as the seed lists them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedMember {
    id: u64,
    group_id: u64,
    member_id: u64,
    member_name: String,
    /// What the group calls them (their nickname: we have no per-group names).
    member_remark: String,
}

/// The members of a group the caller belongs to (403 otherwise).
async fn members(
    state: &SeedState,
    caller: &SeedCaller,
    group_id: u64,
) -> Result<Vec<SeedMember>, SeedError> {
    let mut members = Vec::new();
    let mut cursor = String::new();
    for _ in 0..MAX_PAGES {
        let reply = state
            .account
            .clone()
            .list_group_members(pb::ListGroupMembersRequest {
                actor_id: caller.user_id,
                group_id,
                page: Some(PageRequest {
                    cursor,
                    limit: PAGE,
                }),
            })
            .await?
            .into_inner();
        members.extend(reply.members.into_iter().filter_map(|member| {
            let user = member.user?;
            Some(SeedMember {
                id: user.user_id,
                group_id,
                member_id: user.user_id,
                member_name: user.username,
                member_remark: user.nickname,
            })
        }));
        if reply.next_cursor.is_empty() {
            break;
        }
        cursor = reply.next_cursor;
    }
    Ok(members)
}

/// `groupInfo/findGroupMemberById?groupId=`.
pub async fn find_group_member_by_id(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedQuery(group): SeedQuery<GroupRef>,
) -> SeedResult<Vec<SeedMember>> {
    Ok(Done(members(&state, &caller, group_id(&group)?).await?))
}

/// `groupInfo/findAllGroupMemberById?groupId=`: the seed also listed members who had left (to
/// label their old messages); we keep no such list, so this is the current members.
pub async fn find_all_group_member_by_id(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedQuery(group): SeedQuery<GroupRef>,
) -> SeedResult<Vec<SeedMember>> {
    Ok(Done(members(&state, &caller, group_id(&group)?).await?))
}

/// `groupInfo/addGroupMembers`: invites the caller's friends; `data` is true.
pub async fn add_group_members(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedBody(body): SeedBody<NewMembers>,
) -> SeedResult<bool> {
    let user_ids = body
        .user_ids
        .iter()
        .map(|id| match id {
            serde_json::Value::Number(number) => number.as_u64().filter(|id| *id > 0),
            serde_json::Value::String(text) => crate::rest::extract::positive_number(text),
            _ => None,
        })
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(|| SeedError::bad_request("userIds is a list of user ids"))?;
    state
        .account
        .clone()
        .invite_to_group(pb::InviteToGroupRequest {
            actor_id: caller.user_id,
            group_id: body.group_id,
            user_ids,
        })
        .await?;
    Ok(Done(true))
}
