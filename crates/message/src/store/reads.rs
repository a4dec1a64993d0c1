//! The queries of sync: a user's conversations with their cursors, pages of a conversation,
//! read cursors and read counts.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, TransactionTrait, Value,
};

use super::rows::{MESSAGE_COLUMNS, MessageRow};
use super::{padded, placeholders, statement};

/// One of a user's conversations, with its last message when there is one.
#[derive(Debug, FromQueryResult)]
pub struct ConversationRow {
    pub id: String,
    pub max_seq: u64,
    pub last_activity_ms: i64,
    pub read_seq: u64,
    pub m_conversation_id: Option<String>,
    pub m_seq: Option<u64>,
    pub m_id: Option<u64>,
    pub m_sender_id: Option<u64>,
    pub m_client_msg_id: Option<String>,
    pub m_content: Option<Vec<u8>>,
    pub m_server_time_ms: Option<i64>,
}

impl ConversationRow {
    /// The last message, when the conversation has one.
    pub fn last_message(&mut self) -> Option<MessageRow> {
        Some(MessageRow {
            conversation_id: self.m_conversation_id.take()?,
            seq: self.m_seq?,
            id: self.m_id?,
            sender_id: self.m_sender_id?,
            client_msg_id: self.m_client_msg_id.take()?,
            content: self.m_content.take()?,
            server_time_ms: self.m_server_time_ms?,
        })
    }
}

const CONVERSATION_QUERY: &str = "SELECT c.id, c.max_seq, c.last_activity_ms, cm.read_seq,
        m.conversation_id AS m_conversation_id, m.seq AS m_seq, m.id AS m_id,
        m.sender_id AS m_sender_id, m.client_msg_id AS m_client_msg_id, m.content AS m_content,
        m.server_time_ms AS m_server_time_ms
    FROM conversation_members cm
    JOIN conversations c ON c.id = cm.conversation_id
    LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.max_seq
    WHERE cm.user_id = ?";

/// Where a page of conversations starts: after this (last activity, id).
pub struct After {
    pub last_activity_ms: i64,
    pub id: String,
}

/// `user`'s conversations, most recently active first.
pub async fn conversations(
    db: &DatabaseConnection,
    user: u64,
    after: Option<After>,
    limit: u64,
    unread_only: bool,
) -> Result<Vec<ConversationRow>, DbErr> {
    let mut sql = CONVERSATION_QUERY.to_owned();
    let mut values: Vec<Value> = vec![user.into()];
    if let Some(after) = after {
        sql.push_str(" AND (c.last_activity_ms < ? OR (c.last_activity_ms = ? AND c.id > ?))");
        values.extend([
            after.last_activity_ms.into(),
            after.last_activity_ms.into(),
            after.id.into(),
        ]);
    }
    if unread_only {
        sql.push_str(" AND c.max_seq > cm.read_seq");
    }
    sql.push_str(" ORDER BY c.last_activity_ms DESC, c.id LIMIT ?");
    values.push(limit.into());
    ConversationRow::find_by_statement(statement(&sql, values))
        .all(db)
        .await
}

/// Up to `limit` messages of `conversation` that `user` has not hidden: after `seq` oldest
/// first, or before it newest first.
pub async fn page(
    db: &DatabaseConnection,
    user: u64,
    conversation: &str,
    seq: u64,
    before: bool,
    limit: u64,
) -> Result<Vec<MessageRow>, DbErr> {
    let (comparison, order) = if before { ("<", "DESC") } else { (">", "ASC") };
    MessageRow::find_by_statement(statement(
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m
             LEFT JOIN hidden_messages h
               ON h.user_id = ? AND h.conversation_id = m.conversation_id AND h.seq = m.seq
             WHERE m.conversation_id = ? AND m.seq {comparison} ? AND h.seq IS NULL
             ORDER BY m.seq {order} LIMIT ?"
        ),
        [user.into(), conversation.into(), seq.into(), limit.into()],
    ))
    .all(db)
    .await
}

#[derive(FromQueryResult)]
struct MaxSeq {
    max_seq: u64,
}

/// The conversation's max seq (0 before its first message).
pub async fn max_seq(db: &impl ConnectionTrait, conversation: &str) -> Result<u64, DbErr> {
    Ok(MaxSeq::find_by_statement(statement(
        "SELECT max_seq FROM conversations WHERE id = ?",
        [conversation.into()],
    ))
    .one(db)
    .await?
    .map_or(0, |row| row.max_seq))
}

#[derive(FromQueryResult)]
struct ReadSeq {
    read_seq: u64,
}

/// `user`'s read cursor in `conversation` (0 when none).
pub async fn read_seq(
    db: &impl ConnectionTrait,
    user: u64,
    conversation: &str,
) -> Result<u64, DbErr> {
    Ok(ReadSeq::find_by_statement(statement(
        "SELECT read_seq FROM conversation_members WHERE user_id = ? AND conversation_id = ?",
        [user.into(), conversation.into()],
    ))
    .one(db)
    .await?
    .map_or(0, |row| row.read_seq))
}

/// Moves `user`'s cursor forward to `seq` (never back); returns the cursor after.
pub async fn mark_read(
    db: &DatabaseConnection,
    user: u64,
    conversation: &str,
    seq: u64,
) -> Result<u64, DbErr> {
    db.execute_raw(statement(
        "INSERT INTO conversation_members (user_id, conversation_id, read_seq) VALUES (?, ?, ?)
         ON DUPLICATE KEY UPDATE read_seq = GREATEST(read_seq, VALUES(read_seq))",
        [user.into(), conversation.into(), seq.into()],
    ))
    .await?;
    read_seq(db, user, conversation).await
}

/// Like [`mark_read`], answering the cursor it moved from as well as the one after: the row is
/// locked between reading and moving it, so the ranges that successive callers move over never
/// overlap.
pub async fn advance_read(
    db: &DatabaseConnection,
    user: u64,
    conversation: &str,
    seq: u64,
) -> Result<(u64, u64), DbErr> {
    let tx = db.begin().await?;
    tx.execute_raw(statement(
        "INSERT IGNORE INTO conversation_members (user_id, conversation_id, read_seq) VALUES (?, ?, 0)",
        [user.into(), conversation.into()],
    ))
    .await?;
    let previous = ReadSeq::find_by_statement(statement(
        "SELECT read_seq FROM conversation_members WHERE user_id = ? AND conversation_id = ? FOR UPDATE",
        [user.into(), conversation.into()],
    ))
    .one(&tx)
    .await?
    .map_or(0, |row| row.read_seq);
    if seq > previous {
        tx.execute_raw(statement(
            "UPDATE conversation_members SET read_seq = ? WHERE user_id = ? AND conversation_id = ?",
            [seq.into(), user.into(), conversation.into()],
        ))
        .await?;
    }
    tx.commit().await?;
    Ok((previous, previous.max(seq)))
}

/// Hides `seqs` of `conversation` from `user`'s own view.
pub async fn hide(
    db: &DatabaseConnection,
    user: u64,
    conversation: &str,
    seqs: &[u64],
) -> Result<(), DbErr> {
    if seqs.is_empty() {
        return Ok(());
    }
    // INSERT IGNORE makes a repeated row harmless, so the list is padded like an IN list.
    let seqs = padded(seqs);
    let mut values: Vec<Value> = Vec::with_capacity(seqs.len() * 3);
    for seq in &seqs {
        values.extend([user.into(), conversation.into(), (*seq).into()]);
    }
    let rows = vec!["(?, ?, ?)"; seqs.len()].join(", ");
    db.execute_raw(statement(
        &format!(
            "INSERT IGNORE INTO hidden_messages (user_id, conversation_id, seq) VALUES {rows}"
        ),
        values,
    ))
    .await
    .map(drop)
}

#[derive(FromQueryResult)]
struct Sender {
    seq: u64,
    sender_id: u64,
}

#[derive(FromQueryResult)]
struct Cursor {
    user_id: u64,
    read_seq: u64,
}

/// For each of `seqs` (that exists): how many members other than its sender have read it.
pub async fn read_counts(
    db: &DatabaseConnection,
    conversation: &str,
    seqs: &[u64],
) -> Result<Vec<(u64, u32)>, DbErr> {
    let Some(lowest) = seqs.iter().min().copied() else {
        return Ok(Vec::new());
    };
    let listed = padded(seqs);
    let mut values: Vec<Value> = vec![conversation.into()];
    values.extend(listed.iter().map(|seq| Value::from(*seq)));
    let senders = Sender::find_by_statement(statement(
        &format!(
            "SELECT seq, sender_id FROM messages WHERE conversation_id = ? AND seq IN ({})",
            placeholders(listed.len())
        ),
        values,
    ))
    .all(db)
    .await?;
    let cursors = Cursor::find_by_statement(statement(
        "SELECT user_id, read_seq FROM conversation_members WHERE conversation_id = ? AND read_seq >= ?",
        [conversation.into(), lowest.into()],
    ))
    .all(db)
    .await?;
    let senders: std::collections::HashMap<u64, u64> =
        senders.into_iter().map(|s| (s.seq, s.sender_id)).collect();
    Ok(seqs
        .iter()
        .filter_map(|seq| {
            let sender = senders.get(seq)?;
            let count = cursors
                .iter()
                .filter(|c| c.read_seq >= *seq && c.user_id != *sender)
                .count();
            Some((*seq, u32::try_from(count).unwrap_or(u32::MAX)))
        })
        .collect())
}
