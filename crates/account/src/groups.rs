//! Groups: creation, settings, the four join modes (open, approval, invite-only, password),
//! roles (owner, admins, members), invitations among friends, join requests, leaving, kicking,
//! muting, ownership transfer and a member limit. Every change that touches membership locks the
//! group row first and bumps its membership version.

use chat_common::files::avatar_file_id;
use chat_proto::account as pb;
use chat_proto::account::NotificationKind as Kind;
use chat_proto::common::PageRequest;
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::accounts::{now_ms, profile};
use crate::auth;
use chat_common::stamps::{Stamps, Subject};

use crate::error::{AccountError, retrying};
use crate::notify::Notifier;
use crate::store::friends as friend_store;
use crate::store::groups::{
    self as store, ADMIN, GroupRow, JoinRequestRow, MEMBER, MemberRow, OWNER,
};
use crate::store::users::Users;
use crate::store::{begin, is_duplicate};
use crate::validate;

const PENDING: u8 = 1;
const APPROVED: u8 = 2;
const REJECTED: u8 = 3;

/// The groups logic, over the account database.
#[derive(Clone)]
pub struct Groups {
    pub db: DatabaseConnection,
    pub users: Users,
    /// Most members a group may have.
    pub member_limit: u32,
    pub notifier: Notifier,
    /// Tells the message service's membership cache that a group changed.
    pub stamps: Stamps,
}

pub(crate) fn not_found(group_id: u64) -> AccountError {
    AccountError::NotFound(format!("no group {group_id}"))
}

fn role_of(role: u8) -> pb::GroupRole {
    match role {
        OWNER => pb::GroupRole::Owner,
        ADMIN => pb::GroupRole::Admin,
        MEMBER => pb::GroupRole::Member,
        _ => pb::GroupRole::Unspecified,
    }
}

fn mode_code(mode: pb::JoinMode) -> Result<u8, AccountError> {
    match mode {
        pb::JoinMode::Open => Ok(1),
        pb::JoinMode::Approval => Ok(2),
        pb::JoinMode::InviteOnly => Ok(3),
        pb::JoinMode::Password => Ok(4),
        pb::JoinMode::Unspecified => Err(AccountError::invalid(
            "invalid_join_mode",
            "choose a join mode",
        )),
    }
}

fn mode_of(code: u8) -> pb::JoinMode {
    match code {
        1 => pb::JoinMode::Open,
        2 => pb::JoinMode::Approval,
        3 => pb::JoinMode::InviteOnly,
        4 => pb::JoinMode::Password,
        _ => pb::JoinMode::Unspecified,
    }
}

/// The group as a caller sees it: never its password.
pub(crate) fn view(group: &GroupRow, my_role: Option<u8>) -> pb::Group {
    pb::Group {
        group_id: group.id,
        name: group.name.clone(),
        description: group.description.clone(),
        avatar_url: group.avatar_url.clone(),
        avatar_file_id: avatar_file_id(&group.avatar_url),
        join_mode: mode_of(group.join_mode) as i32,
        owner_id: group.owner_id,
        member_count: group.member_count,
        member_limit: group.member_limit,
        created_at_ms: group.created_at_ms,
        my_role: my_role.map(role_of).unwrap_or(pb::GroupRole::Unspecified) as i32,
    }
}

fn page(page: &Option<PageRequest>) -> Result<(u64, Option<u64>), AccountError> {
    let limit = match page.as_ref().map(|p| p.limit).unwrap_or(0) {
        0 => 50,
        n => u64::from(n.min(200)),
    };
    let cursor = page.as_ref().map(|p| p.cursor.as_str()).unwrap_or("");
    let cursor = if cursor.is_empty() {
        None
    } else {
        Some(cursor.parse().map_err(|_| {
            AccountError::invalid("invalid_cursor", "the cursor is not one this service gave")
        })?)
    };
    Ok((limit, cursor))
}

async fn password_hash(mode: u8, password: &str) -> Result<String, AccountError> {
    if mode != 4 {
        return Ok(String::new());
    }
    if !(4..=64).contains(&password.chars().count()) {
        return Err(AccountError::invalid(
            "invalid_password",
            "a group password has 4-64 characters",
        ));
    }
    auth::hash_password(password.to_owned()).await
}

impl Groups {
    /// Current members, leaving out `except`.
    /// After a committed membership or mute change: the message service's cached member list
    /// must be refetched. A failure is an error to the caller, who may retry; the cache also
    /// expires entries on its own.
    async fn membership_changed(&self, group_id: u64) -> Result<(), AccountError> {
        Ok(self.stamps.touch(Subject::Group(group_id)).await?)
    }

    pub(crate) async fn members_except(&self, group_id: u64, except: &[u64]) -> Vec<u64> {
        match store::member_ids(&self.db, group_id, now_ms()).await {
            Ok((ids, _)) => ids.into_iter().filter(|id| !except.contains(id)).collect(),
            Err(error) => {
                tracing::warn!(%error, group_id, "cannot list members to notify");
                Vec::new()
            }
        }
    }

    /// Tells `joined` they were added (when `added` by someone) and the other members who joined.
    async fn announce_joined(&self, group_id: u64, actor: u64, joined: &[u64], added: bool) {
        if joined.is_empty() {
            return;
        }
        if added {
            self.notifier
                .announce(joined, Kind::GroupAdded, actor, group_id, json!({}))
                .await;
        }
        let mut except = joined.to_vec();
        except.push(actor);
        let others = self.members_except(group_id, &except).await;
        let details = json!({ "user_ids": joined });
        self.notifier
            .announce(&others, Kind::GroupMemberJoined, actor, group_id, details)
            .await;
    }

    /// The owner and admins.
    async fn managers(&self, group_id: u64) -> Vec<u64> {
        match store::members(&self.db, group_id, 0, u64::MAX).await {
            Ok(rows) => rows
                .into_iter()
                .filter(|m| m.role >= ADMIN)
                .map(|m| m.user_id)
                .collect(),
            Err(error) => {
                tracing::warn!(%error, group_id, "cannot list admins to notify");
                Vec::new()
            }
        }
    }

    /// The caller's membership, or 403 (the group exists but they are not in it) / 404.
    async fn require_member(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        group_id: u64,
        user: u64,
    ) -> Result<MemberRow, AccountError> {
        store::member(db, group_id, user)
            .await?
            .ok_or_else(|| AccountError::Forbidden("you are not a member of this group".into()))
    }

    pub(crate) async fn require_role(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        group_id: u64,
        user: u64,
        least: u8,
    ) -> Result<MemberRow, AccountError> {
        let member = self.require_member(db, group_id, user).await?;
        if member.role < least {
            let who = if least == OWNER {
                "the owner"
            } else {
                "the owner or an admin"
            };
            return Err(AccountError::Forbidden(format!("only {who} may do this")));
        }
        Ok(member)
    }

    /// Locks the group for a change by `me` (holding at least `least`) to `user`, who must be a
    /// member ranking below `me`.
    async fn lock_for_action(
        &self,
        tx: &impl sea_orm::ConnectionTrait,
        group_id: u64,
        me: u64,
        user: u64,
        least: u8,
        action: &str,
    ) -> Result<(), AccountError> {
        store::group(tx, group_id, true)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        let actor = self.require_role(tx, group_id, me, least).await?;
        let target = store::member(tx, group_id, user)
            .await?
            .ok_or_else(|| AccountError::NotFound(format!("user {user} is not a member")))?;
        if target.role >= actor.role {
            return Err(AccountError::Forbidden(format!(
                "you may only {action} members below you"
            )));
        }
        Ok(())
    }

    /// Friends of `inviter` among `users` who are not blocked either way; others are refused.
    async fn check_invitees(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        inviter: u64,
        users: &[u64],
    ) -> Result<(), AccountError> {
        for user in users {
            let friends = friend_store::are_friends(db, inviter, *user).await?;
            let blocked = friend_store::is_blocked(db, *user, inviter).await?
                || friend_store::is_blocked(db, inviter, *user).await?;
            if !friends || blocked {
                return Err(AccountError::Forbidden(format!(
                    "user {user} is not your friend"
                )));
            }
        }
        Ok(())
    }

    pub async fn create(&self, request: pb::CreateGroupRequest) -> Result<pb::Group, AccountError> {
        let name = request.name.trim().to_owned();
        if name.is_empty() {
            return Err(AccountError::invalid(
                "invalid_field",
                "a group needs a name",
            ));
        }
        validate::text("name", &name, 64)?;
        validate::text("description", &request.description, 512)?;
        validate::url("avatar_url", &request.avatar_url)?;
        let mode = mode_code(request.join_mode())?;
        let hash = password_hash(mode, &request.password).await?;
        let me = request.actor_id;
        let mut invitees: Vec<u64> = request
            .initial_member_ids
            .iter()
            .copied()
            .filter(|id| *id != me)
            .collect();
        invitees.sort_unstable();
        invitees.dedup();
        if invitees.len() + 1 > self.member_limit as usize {
            return Err(AccountError::invalid(
                "member_limit",
                format!("a group has at most {} members", self.member_limit),
            ));
        }
        let id = retrying(|| async {
            let tx = begin(&self.db).await?;
            self.check_invitees(&tx, me, &invitees).await?;
            let row = GroupRow {
                id: 0,
                name: name.clone(),
                description: request.description.clone(),
                avatar_url: request.avatar_url.clone(),
                join_mode: mode,
                password_hash: hash.clone(),
                owner_id: me,
                member_count: 0,
                member_limit: self.member_limit,
                version: 1,
                created_at_ms: 0,
            };
            let now = now_ms();
            let id = store::insert_group(&tx, &row, now).await?;
            let mut members = vec![(me, OWNER)];
            members.extend(invitees.iter().map(|user| (*user, MEMBER)));
            store::add_members(&tx, id, &members, now).await?;
            store::touch_members(&tx, id).await?;
            tx.commit().await?;
            Ok(id)
        })
        .await?;
        self.notifier
            .announce(&invitees, Kind::GroupAdded, me, id, json!({ "name": name }))
            .await;
        self.get(me, id).await
    }

    /// Any signed-in user may see a group's public card (to decide to join); not its members.
    pub async fn get(&self, me: u64, group_id: u64) -> Result<pb::Group, AccountError> {
        let group = store::group(&self.db, group_id, false)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        let role = store::member(&self.db, group_id, me).await?.map(|m| m.role);
        Ok(view(&group, role))
    }

    pub async fn update(&self, request: pb::UpdateGroupRequest) -> Result<pb::Group, AccountError> {
        let (me, group_id) = (request.actor_id, request.group_id);
        if let Some(name) = &request.name {
            validate::text("name", name, 64)?;
            if name.trim().is_empty() {
                return Err(AccountError::invalid(
                    "invalid_field",
                    "a group needs a name",
                ));
            }
        }
        if let Some(description) = &request.description {
            validate::text("description", description, 512)?;
        }
        if let Some(url) = &request.avatar_url {
            validate::url("avatar_url", url)?;
        }
        let new_mode = match request.join_mode {
            Some(code) => Some(mode_code(
                pb::JoinMode::try_from(code).unwrap_or(pb::JoinMode::Unspecified),
            )?),
            None => None,
        };
        let tx = begin(&self.db).await?;
        let mut group = store::group(&tx, group_id, true)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        self.require_role(&tx, group_id, me, ADMIN).await?;
        if let Some(name) = request.name {
            group.name = name.trim().to_owned();
        }
        if let Some(description) = request.description {
            group.description = description;
        }
        if let Some(url) = request.avatar_url {
            group.avatar_url = url;
        }
        if let Some(mode) = new_mode {
            group.join_mode = mode;
        }
        match (&request.password, group.join_mode) {
            (Some(password), 4) => group.password_hash = password_hash(4, password).await?,
            (None, 4) if group.password_hash.is_empty() => {
                return Err(AccountError::invalid(
                    "invalid_password",
                    "the password mode needs a password",
                ));
            }
            (_, 4) => {}
            _ => group.password_hash.clear(),
        }
        store::update_group(&tx, &group, now_ms()).await?;
        tx.commit().await?;
        let others = self.members_except(group_id, &[me]).await;
        let details =
            json!({ "name": group.name, "join_mode": mode_of(group.join_mode).as_str_name() });
        self.notifier
            .announce(&others, Kind::GroupUpdated, me, group_id, details)
            .await;
        self.get(me, group_id).await
    }

    pub async fn dissolve(&self, me: u64, group_id: u64) -> Result<Vec<u64>, AccountError> {
        let tx = begin(&self.db).await?;
        store::group(&tx, group_id, true)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        self.require_role(&tx, group_id, me, OWNER).await?;
        let (members, _) = store::member_ids(&tx, group_id, now_ms()).await?;
        store::delete_group(&tx, group_id).await?;
        tx.commit().await?;
        self.membership_changed(group_id).await?;
        let others: Vec<u64> = members.iter().copied().filter(|id| *id != me).collect();
        self.notifier
            .announce(&others, Kind::GroupDissolved, me, group_id, json!({}))
            .await;
        Ok(members)
    }

    pub async fn my_groups(
        &self,
        request: pb::ListMyGroupsRequest,
    ) -> Result<pb::ListMyGroupsResponse, AccountError> {
        let (limit, after) = page(&request.page)?;
        let rows =
            store::groups_of(&self.db, request.actor_id, after.unwrap_or(0), limit + 1).await?;
        let more = rows.len() as u64 > limit;
        let mut groups = Vec::new();
        for row in rows.iter().take(limit as usize) {
            let role = store::member(&self.db, row.id, request.actor_id)
                .await?
                .map(|m| m.role);
            groups.push(view(row, role));
        }
        let next_cursor = match (more, groups.last()) {
            (true, Some(last)) => last.group_id.to_string(),
            _ => String::new(),
        };
        Ok(pb::ListMyGroupsResponse {
            groups,
            next_cursor,
        })
    }

    /// Members only: the seed let anyone read any group's member list.
    pub async fn members(
        &self,
        request: pb::ListGroupMembersRequest,
    ) -> Result<pb::ListGroupMembersResponse, AccountError> {
        let group_id = request.group_id;
        store::group(&self.db, group_id, false)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        self.require_member(&self.db, group_id, request.actor_id)
            .await?;
        let (limit, after) = page(&request.page)?;
        let rows = store::members(&self.db, group_id, after.unwrap_or(0), limit + 1).await?;
        let more = rows.len() as u64 > limit;
        let rows: Vec<MemberRow> = rows.into_iter().take(limit as usize).collect();
        let ids: Vec<u64> = rows.iter().map(|m| m.user_id).collect();
        let people = self.users.by_ids(&ids).await?;
        let members = rows
            .iter()
            .map(|m| pb::GroupMember {
                user: people.iter().find(|p| p.id == m.user_id).map(profile),
                role: role_of(m.role) as i32,
                joined_at_ms: m.joined_at_ms,
                muted_until_ms: m.muted_until_ms,
            })
            .collect();
        let next_cursor = match (more, ids.last()) {
            (true, Some(last)) => last.to_string(),
            _ => String::new(),
        };
        Ok(pb::ListGroupMembersResponse {
            members,
            next_cursor,
        })
    }

    /// Owner and admins may always invite; plain members only where anyone may join anyway
    /// (open and password groups). Invitees must be the inviter's friends.
    pub async fn invite(
        &self,
        request: pb::InviteToGroupRequest,
    ) -> Result<Vec<u64>, AccountError> {
        let (me, group_id) = (request.actor_id, request.group_id);
        let mut invitees = request.user_ids.clone();
        invitees.sort_unstable();
        invitees.dedup();
        invitees.retain(|id| *id != me);
        if invitees.is_empty() {
            return Err(AccountError::invalid(
                "no_invitees",
                "name at least one friend to invite",
            ));
        }
        let added = retrying(|| async {
            let tx = begin(&self.db).await?;
            let group = store::group(&tx, group_id, true)
                .await?
                .ok_or_else(|| not_found(group_id))?;
            let member = self.require_member(&tx, group_id, me).await?;
            if member.role == MEMBER && !matches!(group.join_mode, 1 | 4) {
                return Err(AccountError::Forbidden(
                    "in this group only the owner and admins invite".into(),
                ));
            }
            self.check_invitees(&tx, me, &invitees).await?;
            let mut added = Vec::new();
            for user in &invitees {
                if store::member(&tx, group_id, *user).await?.is_none() {
                    added.push(*user);
                }
            }
            if group.member_count as usize + added.len() > group.member_limit as usize {
                return Err(AccountError::conflict(
                    "group_full",
                    format!("the group is limited to {} members", group.member_limit),
                ));
            }
            let rows: Vec<(u64, u8)> = added.iter().map(|user| (*user, MEMBER)).collect();
            store::add_members(&tx, group_id, &rows, now_ms()).await?;
            store::touch_members(&tx, group_id).await?;
            tx.commit().await?;
            Ok(added)
        })
        .await?;
        self.membership_changed(group_id).await?;
        self.announce_joined(group_id, me, &added, true).await;
        Ok(added)
    }

    pub async fn join(
        &self,
        request: pb::JoinGroupRequest,
    ) -> Result<pb::JoinGroupResponse, AccountError> {
        let (me, group_id) = (request.actor_id, request.group_id);
        validate::text("message", &request.message, 256)?;
        let group = store::group(&self.db, group_id, false)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        if group.join_mode == 4
            && !auth::verify_password(request.password.clone(), Some(group.password_hash.clone()))
                .await?
        {
            return Err(AccountError::Forbidden("wrong group password".into()));
        }
        let outcome = retrying(|| async {
            let tx = begin(&self.db).await?;
            let group = store::group(&tx, group_id, true)
                .await?
                .ok_or_else(|| not_found(group_id))?;
            if store::member(&tx, group_id, me).await?.is_some() {
                return Err(AccountError::conflict(
                    "already_member",
                    "you are a member already",
                ));
            }
            let outcome = match group.join_mode {
                1 | 4 => {
                    if group.member_count >= group.member_limit {
                        return Err(AccountError::conflict("group_full", "the group is full"));
                    }
                    store::add_members(&tx, group_id, &[(me, MEMBER)], now_ms()).await?;
                    store::touch_members(&tx, group_id).await?;
                    pb::JoinGroupResponse {
                        outcome: pb::JoinOutcome::Joined as i32,
                        join_request_id: 0,
                    }
                }
                2 => {
                    let id = match store::pending_join_request(&tx, group_id, me).await? {
                        Some(pending) => pending.id,
                        None => match store::insert_join_request(
                            &tx,
                            group_id,
                            me,
                            &request.message,
                            now_ms(),
                        )
                        .await
                        {
                            Ok(id) => id,
                            Err(error) if is_duplicate(&error) => {
                                return Err(AccountError::conflict(
                                    "request_pending",
                                    "your request is pending",
                                ));
                            }
                            Err(error) => return Err(error.into()),
                        },
                    };
                    pb::JoinGroupResponse {
                        outcome: pb::JoinOutcome::PendingApproval as i32,
                        join_request_id: id,
                    }
                }
                _ => return Err(AccountError::Forbidden("this group is invite-only".into())),
            };
            tx.commit().await?;
            Ok(outcome)
        })
        .await?;
        if outcome.join_request_id == 0 {
            self.membership_changed(group_id).await?;
            self.announce_joined(group_id, me, &[me], false).await;
        } else {
            let managers = self.managers(group_id).await;
            let details = json!({ "join_request_id": outcome.join_request_id, "user_id": me });
            self.notifier
                .announce(&managers, Kind::GroupJoinRequested, me, group_id, details)
                .await;
        }
        Ok(outcome)
    }

    pub async fn join_requests(
        &self,
        request: pb::ListJoinRequestsRequest,
    ) -> Result<pb::ListJoinRequestsResponse, AccountError> {
        let group_id = request.group_id;
        store::group(&self.db, group_id, false)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        self.require_role(&self.db, group_id, request.actor_id, ADMIN)
            .await?;
        let (limit, before) = page(&request.page)?;
        let rows =
            store::join_requests(&self.db, group_id, before.unwrap_or(u64::MAX), limit + 1).await?;
        let more = rows.len() as u64 > limit;
        let rows: Vec<JoinRequestRow> = rows.into_iter().take(limit as usize).collect();
        let mut requests = Vec::new();
        for row in &rows {
            requests.push(self.join_request_view(row).await?);
        }
        let next_cursor = match (more, rows.last()) {
            (true, Some(last)) => last.id.to_string(),
            _ => String::new(),
        };
        Ok(pb::ListJoinRequestsResponse {
            requests,
            next_cursor,
        })
    }

    pub async fn join_request_view(
        &self,
        row: &JoinRequestRow,
    ) -> Result<pb::JoinRequest, AccountError> {
        let user = self.users.by_id(row.user_id).await?.as_ref().map(profile);
        let status = match row.status {
            PENDING => pb::JoinRequestStatus::Pending,
            APPROVED => pb::JoinRequestStatus::Approved,
            REJECTED => pb::JoinRequestStatus::Rejected,
            _ => pb::JoinRequestStatus::Unspecified,
        };
        Ok(pb::JoinRequest {
            join_request_id: row.id,
            group_id: row.group_id,
            user,
            message: row.message.clone(),
            status: status as i32,
            created_at_ms: row.created_at_ms,
        })
    }

    /// Approves or rejects a pending join request (owner or admins, once).
    pub async fn answer_join(
        &self,
        me: u64,
        request_id: u64,
        approve: bool,
    ) -> Result<JoinRequestRow, AccountError> {
        let row = retrying(|| async {
            let tx = begin(&self.db).await?;
            let row = store::join_request(&tx, request_id, true).await?;
            let Some(row) = row else {
                return Err(AccountError::NotFound(format!(
                    "no join request {request_id}"
                )));
            };
            let group = store::group(&tx, row.group_id, true)
                .await?
                .ok_or_else(|| not_found(row.group_id))?;
            // Someone who cannot answer it learns nothing about it.
            if store::member(&tx, group.id, me)
                .await?
                .is_none_or(|m| m.role < ADMIN)
            {
                return Err(AccountError::NotFound(format!(
                    "no join request {request_id}"
                )));
            }
            if row.status != PENDING {
                return Err(AccountError::conflict(
                    "not_pending",
                    "this request was already answered",
                ));
            }
            if approve {
                if group.member_count >= group.member_limit {
                    return Err(AccountError::conflict("group_full", "the group is full"));
                }
                store::add_members(&tx, group.id, &[(row.user_id, MEMBER)], now_ms()).await?;
                store::touch_members(&tx, group.id).await?;
            }
            store::set_join_request_status(&tx, row.id, if approve { APPROVED } else { REJECTED })
                .await?;
            tx.commit().await?;
            Ok(JoinRequestRow {
                status: if approve { APPROVED } else { REJECTED },
                ..row
            })
        })
        .await?;
        if approve {
            self.membership_changed(row.group_id).await?;
            self.announce_joined(row.group_id, me, &[row.user_id], true)
                .await;
        }
        Ok(row)
    }

    /// Leaves a group; the owner must transfer ownership first.
    pub async fn leave(&self, me: u64, group_id: u64) -> Result<(), AccountError> {
        let tx = begin(&self.db).await?;
        store::group(&tx, group_id, true)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        let member = self.require_member(&tx, group_id, me).await?;
        if member.role == OWNER {
            return Err(AccountError::conflict(
                "owner_must_transfer",
                "transfer the ownership before leaving",
            ));
        }
        store::remove_member(&tx, group_id, me).await?;
        store::touch_members(&tx, group_id).await?;
        tx.commit().await?;
        self.membership_changed(group_id).await?;
        let others = self.members_except(group_id, &[]).await;
        self.notifier
            .announce(
                &others,
                Kind::GroupMemberLeft,
                me,
                group_id,
                json!({ "user_id": me }),
            )
            .await;
        Ok(())
    }

    /// Removes a member who ranks below the caller (admins kick members; the owner anyone).
    pub async fn kick(&self, me: u64, group_id: u64, user: u64) -> Result<(), AccountError> {
        let tx = begin(&self.db).await?;
        self.lock_for_action(&tx, group_id, me, user, ADMIN, "remove")
            .await?;
        store::remove_member(&tx, group_id, user).await?;
        store::touch_members(&tx, group_id).await?;
        tx.commit().await?;
        self.membership_changed(group_id).await?;
        let mut told = self.members_except(group_id, &[me]).await;
        told.push(user);
        self.notifier
            .announce(
                &told,
                Kind::GroupMemberKicked,
                me,
                group_id,
                json!({ "user_id": user }),
            )
            .await;
        Ok(())
    }

    pub async fn set_admin(
        &self,
        request: pb::SetAdminRequest,
    ) -> Result<pb::GroupMember, AccountError> {
        let (me, group_id, user) = (request.actor_id, request.group_id, request.user_id);
        let tx = begin(&self.db).await?;
        // The owner outranks everyone else, so only the owner's own role is out of reach here:
        // it changes by a transfer.
        self.lock_for_action(&tx, group_id, me, user, OWNER, "promote or demote")
            .await?;
        store::set_role(
            &tx,
            group_id,
            user,
            if request.admin { ADMIN } else { MEMBER },
        )
        .await?;
        tx.commit().await?;
        self.member_view(group_id, user).await
    }

    pub async fn mute(
        &self,
        request: pb::MuteMemberRequest,
    ) -> Result<pb::GroupMember, AccountError> {
        let (me, group_id, user) = (request.actor_id, request.group_id, request.user_id);
        let tx = begin(&self.db).await?;
        self.lock_for_action(&tx, group_id, me, user, ADMIN, "mute")
            .await?;
        let until = if request.duration_s == 0 {
            0
        } else {
            now_ms() + i64::from(request.duration_s) * 1000
        };
        store::set_muted_until(&tx, group_id, user, until).await?;
        store::touch_members(&tx, group_id).await?;
        tx.commit().await?;
        self.membership_changed(group_id).await?;
        self.member_view(group_id, user).await
    }

    pub async fn transfer(
        &self,
        request: pb::TransferOwnershipRequest,
    ) -> Result<pb::Group, AccountError> {
        let (me, group_id, heir) = (request.actor_id, request.group_id, request.new_owner_id);
        let tx = begin(&self.db).await?;
        let mut group = store::group(&tx, group_id, true)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        self.require_role(&tx, group_id, me, OWNER).await?;
        if heir == me || store::member(&tx, group_id, heir).await?.is_none() {
            return Err(AccountError::invalid(
                "invalid_new_owner",
                "the new owner must be another member",
            ));
        }
        store::set_role(&tx, group_id, heir, OWNER).await?;
        store::set_role(&tx, group_id, me, ADMIN).await?;
        group.owner_id = heir;
        store::update_group(&tx, &group, now_ms()).await?;
        tx.commit().await?;
        self.get(me, group_id).await
    }

    async fn member_view(&self, group_id: u64, user: u64) -> Result<pb::GroupMember, AccountError> {
        let member = store::member(&self.db, group_id, user)
            .await?
            .ok_or_else(|| AccountError::NotFound(format!("user {user} is not a member")))?;
        Ok(pb::GroupMember {
            user: self.users.by_id(user).await?.as_ref().map(profile),
            role: role_of(member.role) as i32,
            joined_at_ms: member.joined_at_ms,
            muted_until_ms: member.muted_until_ms,
        })
    }

    /// For other services: members, the muted, and a version to cache by.
    pub async fn member_ids(
        &self,
        request: pb::GroupMembersRequest,
    ) -> Result<pb::GroupMembersResponse, AccountError> {
        let Some(group) = store::group(&self.db, request.group_id, false).await? else {
            return Ok(pb::GroupMembersResponse {
                dissolved: true,
                ..Default::default()
            });
        };
        if request.known_version != 0 && request.known_version == group.version {
            return Ok(pb::GroupMembersResponse {
                version: group.version,
                unchanged: true,
                ..Default::default()
            });
        }
        let (member_ids, muted) = store::member_ids(&self.db, group.id, now_ms()).await?;
        Ok(pb::GroupMembersResponse {
            version: group.version,
            unchanged: false,
            member_ids,
            muted_ids: muted.iter().map(|(user_id, _)| *user_id).collect(),
            dissolved: false,
            muted: muted
                .into_iter()
                .map(|(user_id, muted_until_ms)| pb::MutedMember {
                    user_id,
                    muted_until_ms,
                })
                .collect(),
        })
    }
}
