//! Queries on `chat_groups`, `group_members` and `group_join_requests`. Functions take any
//! connection, so the logic can combine them in one transaction.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};

use super::users::statement;

/// Member roles as stored (ordered: a higher role outranks a lower one).
pub const MEMBER: u8 = 1;
pub const ADMIN: u8 = 2;
pub const OWNER: u8 = 3;

/// A group row (its password hash stays in the store layer's callers, never in replies).
#[derive(Clone, Debug, FromQueryResult)]
pub struct GroupRow {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub avatar_url: String,
    pub join_mode: u8,
    pub password_hash: String,
    pub owner_id: u64,
    pub member_count: u32,
    pub member_limit: u32,
    pub version: u64,
    pub created_at_ms: i64,
}

const GROUP_COLUMNS: &str = "id, name, description, avatar_url, join_mode, password_hash, owner_id, member_count, member_limit, version, created_at_ms";

#[derive(Clone, Debug, FromQueryResult)]
pub struct MemberRow {
    pub user_id: u64,
    pub role: u8,
    pub joined_at_ms: i64,
    pub muted_until_ms: i64,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct JoinRequestRow {
    pub id: u64,
    pub group_id: u64,
    pub user_id: u64,
    pub message: String,
    pub status: u8,
    pub created_at_ms: i64,
}

pub async fn insert_group(
    db: &impl ConnectionTrait,
    group: &GroupRow,
    now_ms: i64,
) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(statement(
            "INSERT INTO chat_groups (name, description, avatar_url, join_mode, password_hash, owner_id, member_limit, created_at_ms, updated_at_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                group.name.clone().into(),
                group.description.clone().into(),
                group.avatar_url.clone().into(),
                group.join_mode.into(),
                group.password_hash.clone().into(),
                group.owner_id.into(),
                group.member_limit.into(),
                now_ms.into(),
                now_ms.into(),
            ],
        ))
        .await?;
    Ok(result.last_insert_id())
}

/// A group, locked for update when `lock` (every membership change locks its group first).
pub async fn group(
    db: &impl ConnectionTrait,
    id: u64,
    lock: bool,
) -> Result<Option<GroupRow>, DbErr> {
    let suffix = if lock { " FOR UPDATE" } else { "" };
    GroupRow::find_by_statement(statement(
        &format!("SELECT {GROUP_COLUMNS} FROM chat_groups WHERE id = ?{suffix}"),
        [id.into()],
    ))
    .one(db)
    .await
}

pub async fn update_group(
    db: &impl ConnectionTrait,
    group: &GroupRow,
    now_ms: i64,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "UPDATE chat_groups SET name = ?, description = ?, avatar_url = ?, join_mode = ?, password_hash = ?,
         owner_id = ?, updated_at_ms = ? WHERE id = ?",
        [
            group.name.clone().into(),
            group.description.clone().into(),
            group.avatar_url.clone().into(),
            group.join_mode.into(),
            group.password_hash.clone().into(),
            group.owner_id.into(),
            now_ms.into(),
            group.id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Recounts members and bumps the membership version (after any membership or mute change).
pub async fn touch_members(db: &impl ConnectionTrait, group_id: u64) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "UPDATE chat_groups SET version = version + 1,
         member_count = (SELECT COUNT(*) FROM group_members WHERE group_id = ?) WHERE id = ?",
        [group_id.into(), group_id.into()],
    ))
    .await?;
    Ok(())
}

pub async fn delete_group(db: &impl ConnectionTrait, group_id: u64) -> Result<(), DbErr> {
    for table in ["group_join_requests", "group_members"] {
        db.execute_raw(statement(
            &format!("DELETE FROM {table} WHERE group_id = ?"),
            [group_id.into()],
        ))
        .await?;
    }
    db.execute_raw(statement(
        "DELETE FROM chat_groups WHERE id = ?",
        [group_id.into()],
    ))
    .await?;
    Ok(())
}

pub async fn member(
    db: &impl ConnectionTrait,
    group_id: u64,
    user_id: u64,
) -> Result<Option<MemberRow>, DbErr> {
    MemberRow::find_by_statement(statement(
        "SELECT user_id, role, joined_at_ms, muted_until_ms FROM group_members WHERE group_id = ? AND user_id = ?",
        [group_id.into(), user_id.into()],
    ))
    .one(db)
    .await
}

/// Adds members (existing ones are left as they are); returns how many were added.
pub async fn add_members(
    db: &impl ConnectionTrait,
    group_id: u64,
    users: &[(u64, u8)],
    now_ms: i64,
) -> Result<u64, DbErr> {
    if users.is_empty() {
        return Ok(0);
    }
    let rows = vec!["(?, ?, ?, ?)"; users.len()].join(", ");
    let mut values: Vec<Value> = Vec::new();
    for (user, role) in users {
        values.extend([
            group_id.into(),
            (*user).into(),
            (*role).into(),
            now_ms.into(),
        ]);
    }
    let result = db
        .execute_raw(statement(
            &format!("INSERT IGNORE INTO group_members (group_id, user_id, role, joined_at_ms) VALUES {rows}"),
            values,
        ))
        .await?;
    Ok(result.rows_affected())
}

pub async fn remove_member(
    db: &impl ConnectionTrait,
    group_id: u64,
    user_id: u64,
) -> Result<bool, DbErr> {
    let result = db
        .execute_raw(statement(
            "DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
            [group_id.into(), user_id.into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn set_role(
    db: &impl ConnectionTrait,
    group_id: u64,
    user_id: u64,
    role: u8,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?",
        [role.into(), group_id.into(), user_id.into()],
    ))
    .await?;
    Ok(())
}

pub async fn set_muted_until(
    db: &impl ConnectionTrait,
    group_id: u64,
    user_id: u64,
    until_ms: i64,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "UPDATE group_members SET muted_until_ms = ? WHERE group_id = ? AND user_id = ?",
        [until_ms.into(), group_id.into(), user_id.into()],
    ))
    .await?;
    Ok(())
}

/// Members with user ids above `after`, in id order.
pub async fn members(
    db: &impl ConnectionTrait,
    group_id: u64,
    after: u64,
    limit: u64,
) -> Result<Vec<MemberRow>, DbErr> {
    MemberRow::find_by_statement(statement(
        "SELECT user_id, role, joined_at_ms, muted_until_ms FROM group_members
         WHERE group_id = ? AND user_id > ? ORDER BY user_id LIMIT ?",
        [group_id.into(), after.into(), limit.into()],
    ))
    .all(db)
    .await
}

/// Every member id, and those muted at `now_ms` with the end of their mute.
pub async fn member_ids(
    db: &impl ConnectionTrait,
    group_id: u64,
    now_ms: i64,
) -> Result<(Vec<u64>, Vec<(u64, i64)>), DbErr> {
    let rows = members(db, group_id, 0, u64::MAX).await?;
    let muted = rows
        .iter()
        .filter(|m| m.muted_until_ms > now_ms)
        .map(|m| (m.user_id, m.muted_until_ms))
        .collect();
    Ok((rows.into_iter().map(|m| m.user_id).collect(), muted))
}

/// The groups of `user_id` with ids above `after`.
pub async fn groups_of(
    db: &impl ConnectionTrait,
    user_id: u64,
    after: u64,
    limit: u64,
) -> Result<Vec<GroupRow>, DbErr> {
    GroupRow::find_by_statement(statement(
        &format!(
            "SELECT {} FROM chat_groups g JOIN group_members m ON m.group_id = g.id
             WHERE m.user_id = ? AND g.id > ? ORDER BY g.id LIMIT ?",
            GROUP_COLUMNS
                .split(", ")
                .map(|c| format!("g.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        [user_id.into(), after.into(), limit.into()],
    ))
    .all(db)
    .await
}

pub async fn insert_join_request(
    db: &impl ConnectionTrait,
    group_id: u64,
    user_id: u64,
    message: &str,
    now_ms: i64,
) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(statement(
            "INSERT INTO group_join_requests (group_id, user_id, message, status, created_at_ms) VALUES (?, ?, ?, 1, ?)",
            [group_id.into(), user_id.into(), message.into(), now_ms.into()],
        ))
        .await?;
    Ok(result.last_insert_id())
}

pub async fn pending_join_request(
    db: &impl ConnectionTrait,
    group_id: u64,
    user_id: u64,
) -> Result<Option<JoinRequestRow>, DbErr> {
    JoinRequestRow::find_by_statement(statement(
        "SELECT id, group_id, user_id, message, status, created_at_ms FROM group_join_requests
         WHERE group_id = ? AND user_id = ? AND status = 1",
        [group_id.into(), user_id.into()],
    ))
    .one(db)
    .await
}

pub async fn join_request(
    db: &impl ConnectionTrait,
    id: u64,
    lock: bool,
) -> Result<Option<JoinRequestRow>, DbErr> {
    let suffix = if lock { " FOR UPDATE" } else { "" };
    JoinRequestRow::find_by_statement(statement(
        &format!("SELECT id, group_id, user_id, message, status, created_at_ms FROM group_join_requests WHERE id = ?{suffix}"),
        [id.into()],
    ))
    .one(db)
    .await
}

pub async fn set_join_request_status(
    db: &impl ConnectionTrait,
    id: u64,
    status: u8,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "UPDATE group_join_requests SET status = ? WHERE id = ? AND status = 1",
        [status.into(), id.into()],
    ))
    .await?;
    Ok(())
}

pub async fn join_requests(
    db: &impl ConnectionTrait,
    group_id: u64,
    before: u64,
    limit: u64,
) -> Result<Vec<JoinRequestRow>, DbErr> {
    JoinRequestRow::find_by_statement(statement(
        "SELECT id, group_id, user_id, message, status, created_at_ms FROM group_join_requests
         WHERE group_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        [group_id.into(), before.into(), limit.into()],
    ))
    .all(db)
    .await
}
