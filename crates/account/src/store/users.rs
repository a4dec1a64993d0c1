//! Queries on `users`.

use chat_common::mysql::begin;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, FromQueryResult, Statement, Value,
};

/// A user row as stored.
#[derive(Clone, Debug, FromQueryResult)]
pub struct UserRow {
    pub id: u64,
    pub username: String,
    pub password_hash: String,
    pub nickname: String,
    pub avatar_url: String,
    pub bio: String,
    pub last_seen_ms: i64,
}

const COLUMNS: &str = "id, username, password_hash, nickname, avatar_url, bio, last_seen_ms";

pub(crate) fn statement(sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DatabaseBackend::MySql, sql, values)
}

/// Queries on users.
#[derive(Clone)]
pub struct Users {
    db: DatabaseConnection,
}

/// Profile fields to change; `None` keeps the stored value.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub nickname: Option<String>,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
}

impl Users {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Inserts a user; a duplicate username (any case) is a unique-key violation.
    pub async fn insert(
        &self,
        username: &str,
        password_hash: &str,
        nickname: &str,
        now_ms: i64,
    ) -> Result<u64, DbErr> {
        let result = self
            .db
            .execute_raw(statement(
                "INSERT INTO users (username, username_key, password_hash, nickname, created_at_ms, updated_at_ms)
                 VALUES (?, ?, ?, ?, ?, ?)",
                [
                    username.into(),
                    username.to_lowercase().into(),
                    password_hash.into(),
                    nickname.into(),
                    now_ms.into(),
                    now_ms.into(),
                ],
            ))
            .await?;
        Ok(result.last_insert_id())
    }

    /// The user with this username (any case).
    pub async fn by_username(&self, username: &str) -> Result<Option<UserRow>, DbErr> {
        UserRow::find_by_statement(statement(
            &format!("SELECT {COLUMNS} FROM users WHERE username_key = ?"),
            [username.to_lowercase().into()],
        ))
        .one(&self.db)
        .await
    }

    /// The user with this id.
    pub async fn by_id(&self, id: u64) -> Result<Option<UserRow>, DbErr> {
        UserRow::find_by_statement(statement(
            &format!("SELECT {COLUMNS} FROM users WHERE id = ?"),
            [id.into()],
        ))
        .one(&self.db)
        .await
    }

    /// The users with these ids (unknown ids are left out), in id order.
    pub async fn by_ids(&self, ids: &[u64]) -> Result<Vec<UserRow>, DbErr> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; ids.len()].join(", ");
        UserRow::find_by_statement(statement(
            &format!("SELECT {COLUMNS} FROM users WHERE id IN ({placeholders}) ORDER BY id"),
            ids.iter().map(|id| Value::from(*id)),
        ))
        .all(&self.db)
        .await
    }

    /// Users whose username or nickname contains `query`, prefix matches of the username first,
    /// then by id; `after_id` continues a page. `query` is matched literally.
    pub async fn search(
        &self,
        query: &str,
        after: Option<(u8, u64)>,
        limit: u64,
    ) -> Result<Vec<(u8, UserRow)>, DbErr> {
        let escaped = escape_like(&query.to_lowercase());
        let prefix = format!("{escaped}%");
        let contains = format!("%{escaped}%");
        let (after_rank, after_id) = after.unwrap_or((0, 0));
        #[derive(FromQueryResult)]
        struct Ranked {
            rank: u64,
            id: u64,
            username: String,
            password_hash: String,
            nickname: String,
            avatar_url: String,
            bio: String,
            last_seen_ms: i64,
        }
        let rows = Ranked::find_by_statement(statement(
            &format!(
                "SELECT * FROM (
                    SELECT CAST(IF(username_key LIKE ?, 0, 1) AS UNSIGNED) AS `rank`, {COLUMNS} FROM users
                    WHERE username_key LIKE ? OR LOWER(nickname) LIKE ?
                 ) AS hits
                 WHERE (`rank`, id) > (?, ?)
                 ORDER BY `rank`, id LIMIT ?"
            ),
            [
                prefix.into(),
                contains.clone().into(),
                contains.into(),
                after_rank.into(),
                after_id.into(),
                limit.into(),
            ],
        ))
        .all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.rank.min(1) as u8,
                    UserRow {
                        id: r.id,
                        username: r.username,
                        password_hash: r.password_hash,
                        nickname: r.nickname,
                        avatar_url: r.avatar_url,
                        bio: r.bio,
                        last_seen_ms: r.last_seen_ms,
                    },
                )
            })
            .collect())
    }

    /// Applies a profile change.
    pub async fn update_profile(
        &self,
        id: u64,
        change: &ProfileChange,
        now_ms: i64,
    ) -> Result<(), DbErr> {
        self.db
            .execute_raw(statement(
                "UPDATE users SET nickname = COALESCE(?, nickname), avatar_url = COALESCE(?, avatar_url),
                 bio = COALESCE(?, bio), updated_at_ms = ? WHERE id = ?",
                [
                    change.nickname.clone().into(),
                    change.avatar_url.clone().into(),
                    change.bio.clone().into(),
                    now_ms.into(),
                    id.into(),
                ],
            ))
            .await?;
        Ok(())
    }

    /// Replaces the avatar address, answering the one it replaced (None: no such user). The row
    /// is locked between the two, so concurrent changes each learn exactly what they replaced.
    pub async fn swap_avatar(
        &self,
        id: u64,
        avatar_url: &str,
        now_ms: i64,
    ) -> Result<Option<String>, DbErr> {
        let tx = begin(&self.db).await?;
        let Some(row) = tx
            .query_one_raw(statement(
                "SELECT avatar_url FROM users WHERE id = ? FOR UPDATE",
                [id.into()],
            ))
            .await?
        else {
            return Ok(None);
        };
        let previous: String = row.try_get("", "avatar_url")?;
        tx.execute_raw(statement(
            "UPDATE users SET avatar_url = ?, updated_at_ms = ? WHERE id = ?",
            [avatar_url.into(), now_ms.into(), id.into()],
        ))
        .await?;
        tx.commit().await?;
        Ok(Some(previous))
    }

    /// Replaces the password hash.
    pub async fn set_password_hash(&self, id: u64, hash: &str, now_ms: i64) -> Result<(), DbErr> {
        self.db
            .execute_raw(statement(
                "UPDATE users SET password_hash = ?, updated_at_ms = ? WHERE id = ?",
                [hash.into(), now_ms.into(), id.into()],
            ))
            .await?;
        Ok(())
    }
}

/// Escapes LIKE wildcards so user input matches literally.
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_match_literally() {
        assert_eq!(escape_like("a%b_c\\d"), "a\\%b\\_c\\\\d");
        assert_eq!(escape_like("plain"), "plain");
    }
}
