//! Queries on `friend_requests`, `friendships` and `blocks`. Functions take any connection, so
//! the logic can run several of them in one transaction.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};

use super::users::statement;

/// Request states as stored.
pub const PENDING: u8 = 1;
pub const ACCEPTED: u8 = 2;
pub const REJECTED: u8 = 3;
pub const CANCELLED: u8 = 4;

/// A friend request row.
#[derive(Clone, Debug, FromQueryResult)]
pub struct RequestRow {
    pub id: u64,
    pub from_id: u64,
    pub to_id: u64,
    pub message: String,
    pub remark: String,
    pub status: u8,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const REQUEST_COLUMNS: &str =
    "id, from_id, to_id, message, remark, status, created_at_ms, updated_at_ms";

/// A friend as the owner of the list sees them.
#[derive(Clone, Debug, FromQueryResult)]
pub struct FriendRow {
    pub friend_id: u64,
    pub remark: String,
    pub since_ms: i64,
}

/// The pending request between two users, either direction, locked for update.
pub async fn pending_between(
    db: &impl ConnectionTrait,
    a: u64,
    b: u64,
) -> Result<Option<RequestRow>, DbErr> {
    RequestRow::find_by_statement(statement(
        &format!(
            "SELECT {REQUEST_COLUMNS} FROM friend_requests
             WHERE status = 1 AND ((from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)) FOR UPDATE"
        ),
        [a.into(), b.into(), b.into(), a.into()],
    ))
    .one(db)
    .await
}

/// A request by id, locked for update.
pub async fn request_for_update(
    db: &impl ConnectionTrait,
    id: u64,
) -> Result<Option<RequestRow>, DbErr> {
    RequestRow::find_by_statement(statement(
        &format!("SELECT {REQUEST_COLUMNS} FROM friend_requests WHERE id = ? FOR UPDATE"),
        [id.into()],
    ))
    .one(db)
    .await
}

/// A request by id.
pub async fn request(db: &impl ConnectionTrait, id: u64) -> Result<Option<RequestRow>, DbErr> {
    RequestRow::find_by_statement(statement(
        &format!("SELECT {REQUEST_COLUMNS} FROM friend_requests WHERE id = ?"),
        [id.into()],
    ))
    .one(db)
    .await
}

pub async fn insert_request(
    db: &impl ConnectionTrait,
    from: u64,
    to: u64,
    message: &str,
    remark: &str,
    now_ms: i64,
) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(statement(
            "INSERT INTO friend_requests (from_id, to_id, message, remark, status, created_at_ms, updated_at_ms)
             VALUES (?, ?, ?, ?, 1, ?, ?)",
            [from.into(), to.into(), message.into(), remark.into(), now_ms.into(), now_ms.into()],
        ))
        .await?;
    Ok(result.last_insert_id())
}

pub async fn update_pending(
    db: &impl ConnectionTrait,
    id: u64,
    message: &str,
    remark: &str,
    now_ms: i64,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "UPDATE friend_requests SET message = ?, remark = ?, updated_at_ms = ? WHERE id = ? AND status = 1",
        [message.into(), remark.into(), now_ms.into(), id.into()],
    ))
    .await?;
    Ok(())
}

/// Moves a pending request to `status`; false when it was no longer pending.
pub async fn answer(
    db: &impl ConnectionTrait,
    id: u64,
    status: u8,
    now_ms: i64,
) -> Result<bool, DbErr> {
    let result = db
        .execute_raw(statement(
            "UPDATE friend_requests SET status = ?, updated_at_ms = ? WHERE id = ? AND status = 1",
            [status.into(), now_ms.into(), id.into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Cancels every pending request between two users (after a block).
pub async fn cancel_between(
    db: &impl ConnectionTrait,
    a: u64,
    b: u64,
    now_ms: i64,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "UPDATE friend_requests SET status = 4, updated_at_ms = ?
         WHERE status = 1 AND ((from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?))",
        [now_ms.into(), a.into(), b.into(), b.into(), a.into()],
    ))
    .await?;
    Ok(())
}

/// Requests to (`incoming`) or from the user, newest first, ids below `before_id`.
pub async fn list_requests(
    db: &impl ConnectionTrait,
    user: u64,
    incoming: bool,
    before_id: u64,
    limit: u64,
) -> Result<Vec<RequestRow>, DbErr> {
    let column = if incoming { "to_id" } else { "from_id" };
    RequestRow::find_by_statement(statement(
        &format!(
            "SELECT {REQUEST_COLUMNS} FROM friend_requests WHERE {column} = ? AND id < ?
             ORDER BY id DESC LIMIT ?"
        ),
        [user.into(), before_id.into(), limit.into()],
    ))
    .all(db)
    .await
}

/// Makes two users friends, each row carrying its owner's remark for the other.
pub async fn befriend(
    db: &impl ConnectionTrait,
    a: u64,
    a_remark: &str,
    b: u64,
    b_remark: &str,
    now_ms: i64,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "INSERT INTO friendships (user_id, friend_id, remark, since_ms) VALUES (?, ?, ?, ?), (?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE remark = VALUES(remark)",
        [
            a.into(), b.into(), a_remark.into(), now_ms.into(),
            b.into(), a.into(), b_remark.into(), now_ms.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Ends a friendship on both sides; false when they were not friends.
pub async fn unfriend(db: &impl ConnectionTrait, a: u64, b: u64) -> Result<bool, DbErr> {
    let result = db
        .execute_raw(statement(
            "DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)",
            [a.into(), b.into(), b.into(), a.into()],
        ))
        .await?;
    Ok(result.rows_affected() > 0)
}

pub async fn are_friends(db: &impl ConnectionTrait, a: u64, b: u64) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(statement(
            "SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?",
            [a.into(), b.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// The user's friends with ids above `after_id`, in id order.
pub async fn list_friends(
    db: &impl ConnectionTrait,
    user: u64,
    after_id: u64,
    limit: u64,
) -> Result<Vec<FriendRow>, DbErr> {
    FriendRow::find_by_statement(statement(
        "SELECT friend_id, remark, since_ms FROM friendships WHERE user_id = ? AND friend_id > ?
         ORDER BY friend_id LIMIT ?",
        [user.into(), after_id.into(), limit.into()],
    ))
    .all(db)
    .await
}

pub async fn friend(
    db: &impl ConnectionTrait,
    user: u64,
    friend: u64,
) -> Result<Option<FriendRow>, DbErr> {
    FriendRow::find_by_statement(statement(
        "SELECT friend_id, remark, since_ms FROM friendships WHERE user_id = ? AND friend_id = ?",
        [user.into(), friend.into()],
    ))
    .one(db)
    .await
}

pub async fn set_remark(
    db: &impl ConnectionTrait,
    user: u64,
    friend: u64,
    remark: &str,
) -> Result<bool, DbErr> {
    let result = db
        .execute_raw(statement(
            "UPDATE friendships SET remark = ? WHERE user_id = ? AND friend_id = ?",
            [remark.into(), user.into(), friend.into()],
        ))
        .await?;
    // MariaDB reports 0 affected rows when the value is unchanged: check existence instead.
    Ok(result.rows_affected() == 1 || are_friends(db, user, friend).await?)
}

pub async fn friend_ids(db: &impl ConnectionTrait, user: u64) -> Result<Vec<u64>, DbErr> {
    #[derive(FromQueryResult)]
    struct Id {
        friend_id: u64,
    }
    let rows = Id::find_by_statement(statement(
        "SELECT friend_id FROM friendships WHERE user_id = ? ORDER BY friend_id",
        [user.into()],
    ))
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|row| row.friend_id).collect())
}

pub async fn block(
    db: &impl ConnectionTrait,
    blocker: u64,
    blocked: u64,
    now_ms: i64,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "INSERT IGNORE INTO blocks (blocker_id, blocked_id, created_at_ms) VALUES (?, ?, ?)",
        [blocker.into(), blocked.into(), now_ms.into()],
    ))
    .await?;
    Ok(())
}

pub async fn unblock(db: &impl ConnectionTrait, blocker: u64, blocked: u64) -> Result<bool, DbErr> {
    let result = db
        .execute_raw(statement(
            "DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?",
            [blocker.into(), blocked.into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Did `blocker` block `user`?
pub async fn is_blocked(db: &impl ConnectionTrait, blocker: u64, user: u64) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(statement(
            "SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?",
            [blocker.into(), user.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// Users blocked by `blocker` with ids above `after_id`.
pub async fn blocked_ids(
    db: &impl ConnectionTrait,
    blocker: u64,
    after_id: u64,
    limit: u64,
) -> Result<Vec<u64>, DbErr> {
    #[derive(FromQueryResult)]
    struct Id {
        blocked_id: u64,
    }
    let rows = Id::find_by_statement(statement(
        "SELECT blocked_id FROM blocks WHERE blocker_id = ? AND blocked_id > ? ORDER BY blocked_id LIMIT ?",
        [blocker.into(), after_id.into(), limit.into()],
    ))
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|row| row.blocked_id).collect())
}

/// For each of `others`: (is a friend, I asked them, they asked me, I blocked, they blocked me).
pub async fn relations(
    db: &impl ConnectionTrait,
    me: u64,
    others: &[u64],
) -> Result<Vec<(u64, [bool; 5])>, DbErr> {
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let list = vec!["?"; others.len()].join(", ");
    #[derive(FromQueryResult)]
    struct Flags {
        other: u64,
        friend: i64,
        asked: i64,
        asked_me: i64,
        blocked: i64,
        blocked_me: i64,
    }
    let mut values: Vec<Value> = Vec::new();
    for _ in 0..5 {
        values.push(me.into());
    }
    let sql = format!(
        "SELECT u.id AS other,
            EXISTS(SELECT 1 FROM friendships f WHERE f.user_id = ? AND f.friend_id = u.id) AS friend,
            EXISTS(SELECT 1 FROM friend_requests r WHERE r.from_id = ? AND r.to_id = u.id AND r.status = 1) AS asked,
            EXISTS(SELECT 1 FROM friend_requests r WHERE r.to_id = ? AND r.from_id = u.id AND r.status = 1) AS asked_me,
            EXISTS(SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = u.id) AS blocked,
            EXISTS(SELECT 1 FROM blocks b WHERE b.blocked_id = ? AND b.blocker_id = u.id) AS blocked_me
         FROM users u WHERE u.id IN ({list})"
    );
    values.extend(others.iter().map(|id| Value::from(*id)));
    let rows = Flags::find_by_statement(statement(&sql, values))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.other,
                [
                    r.friend != 0,
                    r.asked != 0,
                    r.asked_me != 0,
                    r.blocked != 0,
                    r.blocked_me != 0,
                ],
            )
        })
        .collect())
}
