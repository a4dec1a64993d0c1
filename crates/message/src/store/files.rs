//! The `files` table: what the gateways stored in object storage and who uploaded it.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, IsolationLevel, TransactionTrait,
};

use super::statement;

/// The columns of a `files` row, in [`COLUMNS`] order.
#[derive(Debug, FromQueryResult)]
pub struct FileRow {
    pub id: u64,
    pub uploader_id: u64,
    pub kind: String,
    pub mime: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub object_key: String,
    pub name: String,
    pub created_at_ms: i64,
    pub width: u32,
    pub height: u32,
    pub thumbnail_key: String,
    pub referenced: i8,
}

const COLUMNS: &str = "id, uploader_id, kind, mime, size_bytes, sha256, object_key, name, \
                       created_at_ms, width, height, thumbnail_key, referenced";

/// A file to record (the row without its id).
pub struct NewFile<'a> {
    pub uploader_id: u64,
    pub kind: &'a str,
    pub mime: &'a str,
    pub size_bytes: u64,
    pub sha256: &'a str,
    pub object_key: &'a str,
    pub name: &'a str,
    pub created_at_ms: i64,
    pub width: u32,
    pub height: u32,
    pub thumbnail_key: &'a str,
}

/// Inserts `file` when the uploader's files, this one included, stay within `quota` bytes;
/// the new id, or None over the quota. One statement under REPEATABLE READ (whatever the
/// server's default): there `INSERT ... SELECT` takes shared next-key locks on the uploader's
/// index range, so of two racing uploads of one user one deadlocks and is retried by the
/// caller, and the retry counts the other's file. Under READ COMMITTED both could pass.
pub async fn insert_within_quota(
    db: &DatabaseConnection,
    file: &NewFile<'_>,
    quota: u64,
) -> Result<Option<u64>, DbErr> {
    let tx = db
        .begin_with_config(Some(IsolationLevel::RepeatableRead), None)
        .await?;
    let result = tx
        .execute_raw(statement(
            "INSERT INTO files
                (uploader_id, kind, mime, size_bytes, sha256, object_key, name, created_at_ms,
                 width, height, thumbnail_key)
             SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM DUAL
             WHERE (SELECT COALESCE(SUM(size_bytes), 0) FROM files WHERE uploader_id = ?) + ? <= ?",
            [
                file.uploader_id.into(),
                file.kind.into(),
                file.mime.into(),
                file.size_bytes.into(),
                file.sha256.into(),
                file.object_key.into(),
                file.name.into(),
                file.created_at_ms.into(),
                file.width.into(),
                file.height.into(),
                file.thumbnail_key.into(),
                file.uploader_id.into(),
                file.size_bytes.into(),
                quota.into(),
            ],
        ))
        .await?;
    tx.commit().await?;
    Ok((result.rows_affected() == 1).then(|| result.last_insert_id()))
}

/// The file with this id.
pub async fn by_id(db: &DatabaseConnection, id: u64) -> Result<Option<FileRow>, DbErr> {
    FileRow::find_by_statement(statement(
        &format!("SELECT {COLUMNS} FROM files WHERE id = ?"),
        [id.into()],
    ))
    .one(db)
    .await
}

#[derive(FromQueryResult)]
struct Ref {
    conversation_id: String,
}

/// The conversations in which messages that were not recalled carry this file (at most
/// `limit`, as one readable conversation is enough to decide).
pub async fn conversations_of(
    db: &DatabaseConnection,
    file_id: u64,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    let refs = Ref::find_by_statement(statement(
        "SELECT DISTINCT conversation_id FROM file_refs WHERE file_id = ? LIMIT ?",
        [file_id.into(), limit.into()],
    ))
    .all(db)
    .await?;
    Ok(refs.into_iter().map(|r| r.conversation_id).collect())
}

/// Keeps `file_id` as the avatar `owner` names (a `file_refs` row with seq 0) and marks it
/// referenced, so the sweeper leaves it; whether the row is new (false: it already was).
pub async fn claim_avatar(
    db: &DatabaseConnection,
    file_id: u64,
    owner: &str,
) -> Result<bool, DbErr> {
    let tx = db.begin().await?;
    let inserted = tx
        .execute_raw(statement(
            "INSERT IGNORE INTO file_refs (file_id, conversation_id, seq) VALUES (?, ?, 0)",
            [file_id.into(), owner.into()],
        ))
        .await?
        .rows_affected()
        == 1;
    tx.execute_raw(statement(
        "UPDATE files SET referenced = 1 WHERE id = ? AND referenced = 0",
        [file_id.into()],
    ))
    .await?;
    tx.commit().await?;
    Ok(inserted)
}

/// Forgets that `file_id` is the avatar `owner` names.
pub async fn release_avatar(
    db: &DatabaseConnection,
    file_id: u64,
    owner: &str,
) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "DELETE FROM file_refs WHERE file_id = ? AND conversation_id = ? AND seq = 0",
        [file_id.into(), owner.into()],
    ))
    .await
    .map(drop)
}

/// A file the sweeper may remove.
#[derive(Debug, FromQueryResult)]
pub struct Unreferenced {
    pub id: u64,
    pub object_key: String,
    pub thumbnail_key: String,
}

/// Files no message ever carried, created before `cutoff_ms` (oldest first, at most `limit`).
pub async fn unreferenced_before(
    db: &DatabaseConnection,
    cutoff_ms: i64,
    limit: u64,
) -> Result<Vec<Unreferenced>, DbErr> {
    Unreferenced::find_by_statement(statement(
        "SELECT id, object_key, thumbnail_key FROM files
         WHERE referenced = 0 AND created_at_ms < ? ORDER BY created_at_ms LIMIT ?",
        [cutoff_ms.into(), limit.into()],
    ))
    .all(db)
    .await
}

/// Deletes the row of a file still unreferenced.
pub async fn delete_unreferenced(db: &DatabaseConnection, id: u64) -> Result<(), DbErr> {
    db.execute_raw(statement(
        "DELETE FROM files WHERE id = ? AND referenced = 0",
        [id.into()],
    ))
    .await
    .map(drop)
}

#[derive(FromQueryResult)]
struct Key {
    object_key: String,
}

/// Which of `keys` name a file's object.
pub async fn known_object_keys(
    db: &DatabaseConnection,
    keys: &[String],
) -> Result<Vec<String>, DbErr> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; keys.len()].join(", ");
    let found = Key::find_by_statement(statement(
        &format!("SELECT object_key FROM files WHERE object_key IN ({marks})"),
        keys.iter().map(|key| key.clone().into()),
    ))
    .all(db)
    .await?;
    Ok(found.into_iter().map(|key| key.object_key).collect())
}
