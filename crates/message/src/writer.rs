//! The group-commit writer: sends (and recalls) are queued to a shard chosen by conversation,
//! and each shard commits whatever gathered while its previous transaction ran, in one
//! transaction. Under load that is hundreds of messages per commit instead of one; idle, a send
//! commits at once.
//!
//! Sequence numbers come from the conversation row, locked (`FOR UPDATE`) in the same
//! transaction that inserts the messages, so a seq is taken exactly when its message commits:
//! never skipped, never reused, whatever happens to Redis or to a process mid-write, and however
//! many instances write at once (the row lock orders them; a conversation's first message is
//! guarded by the (conversation_id, seq) primary key instead, and the loser retries).

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_common::ServiceError;
use chat_common::mysql::{begin, is_duplicate, is_retryable};
use chat_proto::common::message_content::Body;
use chat_proto::common::{ChatMessage, MessageContent, RecalledContent};
use prost::Message as _;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, FromQueryResult, Value,
};
use tokio::sync::{mpsc, oneshot};

use crate::access::GroupMembers;
use crate::clock::now_ms;
use crate::conversation::ConversationId;
use crate::store::ids::IdBlocks;
use crate::store::rows::{MESSAGE_COLUMNS, MessageRow, message, to_proto};
use crate::store::{chunk_sizes, padded, placeholders, statement};

/// A message to store.
pub struct Draft {
    pub conversation: ConversationId,
    pub sender: u64,
    pub client_msg_id: String,
    pub content: MessageContent,
    /// For a group: the members, so that new members get a read cursor.
    pub group: Option<Arc<GroupMembers>>,
}

/// A stored message, and whether it was stored by an earlier attempt.
#[derive(Debug, Clone)]
pub struct Committed {
    pub message: ChatMessage,
    pub duplicate: bool,
}

/// A recall to apply.
pub struct RecallDraft {
    pub conversation: ConversationId,
    pub actor: u64,
    pub seq: u64,
    pub window: Duration,
}

type Reply<T> = oneshot::Sender<Result<T, ServiceError>>;

enum Job {
    Send(Draft, Reply<Committed>),
    Recall(RecallDraft, Reply<ChatMessage>),
}

/// Queues writes to the shard writers.
#[derive(Clone)]
pub struct Writer {
    shards: Arc<[mpsc::Sender<Job>]>,
    hasher: std::collections::hash_map::RandomState,
}

fn stopped() -> ServiceError {
    ServiceError::Unavailable("the message writer stopped".into())
}

impl Writer {
    /// Starts `shards` writers, each committing up to `max_batch` messages per transaction.
    pub fn start(
        db: DatabaseConnection,
        ids: Arc<IdBlocks>,
        shards: usize,
        max_batch: usize,
    ) -> Self {
        let shards: Vec<mpsc::Sender<Job>> = (0..shards.max(1))
            .map(|_| {
                let (queue, jobs) = mpsc::channel(max_batch.max(1) * 8);
                tokio::spawn(run_shard(db.clone(), ids.clone(), jobs, max_batch.max(1)));
                queue
            })
            .collect();
        Self {
            shards: shards.into(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    fn shard(&self, conversation: &ConversationId) -> &mpsc::Sender<Job> {
        let hash = self.hasher.hash_one(conversation);
        &self.shards[(hash % self.shards.len() as u64) as usize]
    }

    /// Stores `draft`; answers once it is committed (or was, by an earlier attempt).
    pub async fn send(&self, draft: Draft) -> Result<Committed, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.shard(&draft.conversation)
            .send(Job::Send(draft, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Applies a recall; answers with the recall event once committed.
    pub async fn recall(&self, draft: RecallDraft) -> Result<ChatMessage, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.shard(&draft.conversation)
            .send(Job::Recall(draft, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run_shard(
    db: DatabaseConnection,
    ids: Arc<IdBlocks>,
    mut jobs: mpsc::Receiver<Job>,
    max_batch: usize,
) {
    while let Some(first) = jobs.recv().await {
        let mut sends = Vec::new();
        let mut recalls = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Send(draft, reply) => sends.push(Pending::new(draft, reply)),
                Job::Recall(draft, reply) => recalls.push((draft, reply)),
            }
            if sends.len() + recalls.len() < max_batch {
                next = jobs.try_recv().ok();
            }
        }
        if !sends.is_empty() {
            let started = Instant::now();
            let count = sends.len();
            commit_sends(&db, &ids, sends).await;
            metrics::histogram!("chat_message_batch_size").record(count as f64);
            metrics::histogram!("chat_message_batch_seconds")
                .record(started.elapsed().as_secs_f64());
        }
        for (draft, reply) in recalls {
            let _ = reply.send(recall(&db, &ids, &draft).await);
        }
    }
}

/// One distinct (sender, client id) of a batch, and everyone waiting for it.
struct Pending {
    draft: Draft,
    replies: Vec<Reply<Committed>>,
}

impl Pending {
    fn new(draft: Draft, reply: Reply<Committed>) -> Self {
        Self {
            draft,
            replies: vec![reply],
        }
    }

    fn key(&self) -> (u64, &str) {
        (self.draft.sender, self.draft.client_msg_id.as_str())
    }

    /// The first waiter gets `duplicate` as is; later ones are retries by definition.
    fn answer(self, result: Result<ChatMessage, ServiceError>, duplicate: bool) {
        for (index, reply) in self.replies.into_iter().enumerate() {
            let answer = match &result {
                Ok(message) => Ok(Committed {
                    message: message.clone(),
                    duplicate: duplicate || index > 0,
                }),
                Err(error) => Err(copy_error(error)),
            };
            let _ = reply.send(answer);
        }
    }
}

fn copy_error(error: &ServiceError) -> ServiceError {
    match error {
        ServiceError::Invalid { code, message } => ServiceError::invalid(code, message.clone()),
        ServiceError::Conflict { code, message } => ServiceError::conflict(code, message.clone()),
        ServiceError::Unavailable(text) => ServiceError::Unavailable(text.clone()),
        other => ServiceError::Internal(other.to_string()),
    }
}

/// Folds retries of one message that arrived in the same batch into one pending write.
fn distinct(sends: Vec<Pending>) -> Vec<Pending> {
    let mut index: HashMap<(u64, String), usize> = HashMap::new();
    let mut distinct: Vec<Pending> = Vec::with_capacity(sends.len());
    for pending in sends {
        let key = (pending.draft.sender, pending.draft.client_msg_id.clone());
        match index.get(&key) {
            Some(&at) => distinct[at].replies.extend(pending.replies),
            None => {
                index.insert(key, distinct.len());
                distinct.push(pending);
            }
        }
    }
    distinct
}

const ATTEMPTS: usize = 5;

/// Commits a batch. Optimistic: the insert itself finds retries (the (sender, client id) key
/// refuses them), and only then are the stored ones looked up and answered, which saves a
/// query per batch when there are none.
async fn commit_sends(db: &DatabaseConnection, ids: &IdBlocks, sends: Vec<Pending>) {
    let mut pending = distinct(sends);
    for attempt in 1..=ATTEMPTS {
        match insert(db, ids, &pending).await {
            Ok(messages) => {
                for (pending, message) in pending.into_iter().zip(messages) {
                    pending.answer(Ok(message), false);
                }
                return;
            }
            // A retry of a stored message, another instance's first message in a
            // conversation, or a deadlock: answer what is stored and try the rest again.
            Err(error) if (is_retryable(&error) || is_duplicate(&error)) && attempt < ATTEMPTS => {
                tracing::debug!(%error, attempt, "retrying a message batch");
                pending = match answer_duplicates(db, pending).await {
                    Ok(fresh) if fresh.is_empty() => return,
                    Ok(fresh) => fresh,
                    Err((error, pending)) => return fail_all(pending, &error),
                };
            }
            Err(error) if pending.len() > 1 => {
                // One bad message must not fail the others: write them one by one.
                tracing::warn!(%error, "a message batch failed; writing its messages one by one");
                for single in pending {
                    Box::pin(commit_sends(db, ids, vec![single])).await;
                }
                return;
            }
            Err(error) => return fail_all(pending, &ServiceError::from(error)),
        }
    }
}

fn fail_all(pending: Vec<Pending>, error: &ServiceError) {
    for pending in pending {
        pending.answer(Err(copy_error(error)), false);
    }
}

/// Answers the pending writes already stored (by an earlier attempt); returns the others.
async fn answer_duplicates(
    db: &DatabaseConnection,
    pending: Vec<Pending>,
) -> Result<Vec<Pending>, (ServiceError, Vec<Pending>)> {
    let keys: Vec<(u64, &str)> = padded(&pending.iter().map(Pending::key).collect::<Vec<_>>());
    let condition = vec!["(m.sender_id = ? AND m.client_msg_id = ?)"; keys.len()].join(" OR ");
    let mut values: Vec<Value> = Vec::with_capacity(keys.len() * 2);
    for (sender, client) in keys {
        values.extend([sender.into(), client.into()]);
    }
    let found = MessageRow::find_by_statement(statement(
        &format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE {condition}"),
        values,
    ))
    .all(db)
    .await;
    let found = match found {
        Ok(rows) => rows,
        Err(error) => return Err((ServiceError::from(error), pending)),
    };
    let mut stored: HashMap<(u64, String), MessageRow> = found
        .into_iter()
        .map(|row| ((row.sender_id, row.client_msg_id.clone()), row))
        .collect();
    let mut fresh = Vec::with_capacity(pending.len());
    for p in pending {
        let key = (p.draft.sender, p.draft.client_msg_id.clone());
        match stored.remove(&key) {
            Some(row) => p.answer(to_proto(row), true),
            None => fresh.push(p),
        }
    }
    Ok(fresh)
}

#[derive(FromQueryResult)]
struct ConversationRow {
    id: String,
    max_seq: u64,
    member_version: u64,
}

/// A conversation's state within one transaction.
struct Tally {
    /// Max seq before this transaction.
    before: u64,
    max: u64,
    member_version: u64,
    /// The members, when their cursors must be brought up to date.
    new_members: Option<Arc<GroupMembers>>,
}

/// Inserts `pending` in one transaction; answers the stored messages in the same order.
async fn insert(
    db: &DatabaseConnection,
    ids: &IdBlocks,
    pending: &[Pending],
) -> Result<Vec<ChatMessage>, DbErr> {
    let message_ids = ids.take(pending.len()).await?;
    let now = now_ms();
    let tx = begin(db).await?;
    let mut tallies = lock_conversations(&tx, pending).await?;
    let mut messages = Vec::with_capacity(pending.len());
    let mut rows: Vec<Value> = Vec::with_capacity(pending.len() * 7);
    for (p, id) in pending.iter().zip(message_ids) {
        let draft = &p.draft;
        let key = draft.conversation.to_string();
        let Some(tally) = tallies.get_mut(&key) else {
            return Err(DbErr::Custom(format!("conversation {key} was not locked")));
        };
        tally.max += 1;
        if let Some(group) = &draft.group
            && group.version > tally.member_version
        {
            tally.member_version = group.version;
            tally.new_members = Some(group.clone());
        }
        rows.extend([
            key.into(),
            tally.max.into(),
            id.into(),
            draft.sender.into(),
            draft.client_msg_id.clone().into(),
            draft.content.encode_to_vec().into(),
            now.into(),
        ]);
        messages.push(message(
            draft.conversation,
            tally.max,
            id,
            draft.sender,
            draft.client_msg_id.clone(),
            draft.content.clone(),
            now,
        ));
    }
    insert_rows(
        &tx,
        "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, content, server_time_ms) VALUES",
        "",
        7,
        rows,
    )
    .await?;
    save_conversations(&tx, &tallies, now).await?;
    save_cursors(&tx, &tallies, &messages).await?;
    tx.commit().await?;
    Ok(messages)
}

/// Locks the batch's conversation rows (in key order, as InnoDB scans the primary key).
async fn lock_conversations(
    tx: &DatabaseTransaction,
    pending: &[Pending],
) -> Result<HashMap<String, Tally>, DbErr> {
    let keys: BTreeSet<String> = pending
        .iter()
        .map(|p| p.draft.conversation.to_string())
        .collect();
    let values: Vec<Value> = padded(&keys.iter().cloned().collect::<Vec<_>>())
        .into_iter()
        .map(Value::from)
        .collect();
    let rows = ConversationRow::find_by_statement(statement(
        &format!(
            "SELECT id, max_seq, member_version FROM conversations WHERE id IN ({}) FOR UPDATE",
            placeholders(values.len())
        ),
        values,
    ))
    .all(tx)
    .await?;
    let mut tallies: HashMap<String, Tally> = keys
        .into_iter()
        .map(|key| {
            let tally = Tally {
                before: 0,
                max: 0,
                member_version: 0,
                new_members: None,
            };
            (key, tally)
        })
        .collect();
    for row in rows {
        if let Some(tally) = tallies.get_mut(&row.id) {
            tally.before = row.max_seq;
            tally.max = row.max_seq;
            tally.member_version = row.member_version;
        }
    }
    Ok(tallies)
}

async fn save_conversations(
    tx: &DatabaseTransaction,
    tallies: &HashMap<String, Tally>,
    now: i64,
) -> Result<(), DbErr> {
    let mut rows: Vec<Value> = Vec::with_capacity(tallies.len() * 4);
    for (key, tally) in tallies {
        rows.extend([
            key.clone().into(),
            tally.max.into(),
            now.into(),
            tally.member_version.into(),
        ]);
    }
    insert_rows(
        tx,
        "INSERT INTO conversations (id, max_seq, last_activity_ms, member_version) VALUES",
        " ON DUPLICATE KEY UPDATE max_seq = VALUES(max_seq), last_activity_ms = VALUES(last_activity_ms),
           member_version = GREATEST(member_version, VALUES(member_version))",
        4,
        rows,
    )
    .await
}

/// Read cursors: senders have read up to their own message; a new 1:1 conversation gets its
/// peer's cursor; new group members start at the seq they joined at (they are not shown
/// earlier messages as unread), and former members' cursors go.
async fn save_cursors(
    tx: &DatabaseTransaction,
    tallies: &HashMap<String, Tally>,
    messages: &[ChatMessage],
) -> Result<(), DbErr> {
    let mut joined: Vec<Value> = Vec::new();
    for message in messages {
        let tally = tallies.get(&message.conversation_id);
        let conversation = ConversationId::parse(&message.conversation_id);
        if let (Some(tally), Ok(conversation)) = (tally, conversation)
            && tally.before == 0
            && let ConversationId::Direct { low, high } = conversation
        {
            for user in [low, high] {
                joined.extend([
                    user.into(),
                    message.conversation_id.clone().into(),
                    0u64.into(),
                ]);
            }
        }
    }
    for (key, tally) in tallies {
        let Some(group) = &tally.new_members else {
            continue;
        };
        for user in &group.ids {
            joined.extend([(*user).into(), key.clone().into(), tally.before.into()]);
        }
        if group.ids.is_empty() {
            continue;
        }
        let ids = padded(&group.ids);
        let mut values: Vec<Value> = vec![key.clone().into()];
        values.extend(ids.iter().map(|id| Value::from(*id)));
        tx.execute_raw(statement(
            &format!(
                "DELETE FROM conversation_members WHERE conversation_id = ? AND user_id NOT IN ({})",
                placeholders(ids.len())
            ),
            values,
        ))
        .await?;
    }
    if !joined.is_empty() {
        insert_rows(
            tx,
            "INSERT INTO conversation_members (user_id, conversation_id, read_seq) VALUES",
            " ON DUPLICATE KEY UPDATE read_seq = read_seq",
            3,
            joined,
        )
        .await?;
    }
    let mut read: HashMap<(u64, &str), u64> = HashMap::new();
    for message in messages {
        let cursor = read
            .entry((message.sender_id, message.conversation_id.as_str()))
            .or_default();
        *cursor = (*cursor).max(message.seq);
    }
    let mut rows: Vec<Value> = Vec::with_capacity(read.len() * 3);
    for ((user, conversation), seq) in read {
        rows.extend([user.into(), conversation.to_owned().into(), seq.into()]);
    }
    insert_rows(
        tx,
        "INSERT INTO conversation_members (user_id, conversation_id, read_seq) VALUES",
        " ON DUPLICATE KEY UPDATE read_seq = GREATEST(read_seq, VALUES(read_seq))",
        3,
        rows,
    )
    .await
}

/// Most rows per insert statement (a power of two; MySQL takes at most 65,535 placeholders).
const MAX_ROWS: usize = 1024;

/// `head (?, ...), (?, ...) tail` for the rows in `values` (`width` each), in power-of-two
/// chunks (see `store::padded`).
async fn insert_rows(
    tx: &DatabaseTransaction,
    head: &str,
    tail: &str,
    width: usize,
    values: Vec<Value>,
) -> Result<(), DbErr> {
    let row = format!("({})", placeholders(width));
    let mut rest = values.as_slice();
    for size in chunk_sizes(values.len() / width, MAX_ROWS) {
        let (chunk, after) = rest.split_at(size * width);
        let rows = vec![row.as_str(); size].join(", ");
        tx.execute_raw(statement(&format!("{head} {rows}{tail}"), chunk.to_vec()))
            .await?;
        rest = after;
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct MaxSeq {
    max_seq: u64,
}

/// Recalls a message: its content becomes "recalled" for everyone, and a recall event with its
/// own seq tells clients that pull after their last seq.
async fn recall(
    db: &DatabaseConnection,
    ids: &IdBlocks,
    draft: &RecallDraft,
) -> Result<ChatMessage, ServiceError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match recall_once(db, ids, draft).await {
            Err(ServiceError::Retry(reason)) if attempt < ATTEMPTS => {
                tracing::debug!(%reason, attempt, "retrying a recall");
            }
            outcome => return outcome,
        }
    }
}

async fn recall_once(
    db: &DatabaseConnection,
    ids: &IdBlocks,
    draft: &RecallDraft,
) -> Result<ChatMessage, ServiceError> {
    let key = draft.conversation.to_string();
    let not_found = || ServiceError::NotFound(format!("no message {} in {key}", draft.seq));
    let id = ids
        .take(1)
        .await?
        .pop()
        .ok_or_else(|| ServiceError::Internal("no id".into()))?;
    let tx = begin(db).await?;
    let max = MaxSeq::find_by_statement(statement(
        "SELECT max_seq FROM conversations WHERE id = ? FOR UPDATE",
        [key.clone().into()],
    ))
    .one(&tx)
    .await?
    .ok_or_else(not_found)?
    .max_seq;
    let row = MessageRow::find_by_statement(statement(
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = ? AND m.seq = ?"
        ),
        [key.clone().into(), draft.seq.into()],
    ))
    .one(&tx)
    .await?
    .ok_or_else(not_found)?;
    let original = to_proto(row)?;
    check_recall(&original, draft)?;
    let now = now_ms();
    let content = MessageContent {
        body: Some(Body::Recalled(RecalledContent {
            recalled_at_ms: now,
            recalled_seq: draft.seq,
        })),
    };
    let bytes = content.encode_to_vec();
    tx.execute_raw(statement(
        "UPDATE messages SET content = ? WHERE conversation_id = ? AND seq = ?",
        [bytes.clone().into(), key.clone().into(), draft.seq.into()],
    ))
    .await?;
    let seq = max + 1;
    let client_msg_id = format!("#recall:{key}:{}", draft.seq);
    tx.execute_raw(statement(
        "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, content, server_time_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            key.clone().into(),
            seq.into(),
            id.into(),
            draft.actor.into(),
            client_msg_id.clone().into(),
            bytes.into(),
            now.into(),
        ],
    ))
    .await?;
    tx.execute_raw(statement(
        "UPDATE conversations SET max_seq = ?, last_activity_ms = ? WHERE id = ?",
        [seq.into(), now.into(), key.clone().into()],
    ))
    .await?;
    tx.execute_raw(statement(
        "INSERT INTO conversation_members (user_id, conversation_id, read_seq) VALUES (?, ?, ?)
         ON DUPLICATE KEY UPDATE read_seq = GREATEST(read_seq, VALUES(read_seq))",
        [draft.actor.into(), key.into(), seq.into()],
    ))
    .await?;
    tx.commit().await?;
    Ok(message(
        draft.conversation,
        seq,
        id,
        draft.actor,
        client_msg_id,
        content,
        now,
    ))
}

/// Only the sender, only within the window, only once, and only a message (not an event).
fn check_recall(original: &ChatMessage, draft: &RecallDraft) -> Result<(), ServiceError> {
    if original.sender_id != draft.actor {
        return Err(ServiceError::Forbidden(
            "only the sender can recall a message".into(),
        ));
    }
    if let Some(MessageContent {
        body: Some(Body::Recalled(_)),
    }) = &original.content
    {
        return Err(ServiceError::conflict(
            "already_recalled",
            "this message was already recalled (or is a recall event)",
        ));
    }
    let age_ms = now_ms().saturating_sub(original.server_time_ms);
    let window_ms = i64::try_from(draft.window.as_millis()).unwrap_or(i64::MAX);
    if age_ms > window_ms {
        return Err(ServiceError::conflict(
            "recall_window_passed",
            format!(
                "a message can be recalled within {} s of sending",
                draft.window.as_secs()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_proto::common::TextContent;

    fn sent(sender: u64, age_ms: i64, body: Body) -> ChatMessage {
        message(
            ConversationId::direct(1, 2),
            5,
            77,
            sender,
            "c".into(),
            MessageContent { body: Some(body) },
            now_ms() - age_ms,
        )
    }

    fn draft(actor: u64) -> RecallDraft {
        RecallDraft {
            conversation: ConversationId::direct(1, 2),
            actor,
            seq: 5,
            window: Duration::from_secs(120),
        }
    }

    fn text() -> Body {
        Body::Text(TextContent { text: "hi".into() })
    }

    #[test]
    fn the_sender_recalls_within_the_window_once() {
        assert!(check_recall(&sent(1, 1_000, text()), &draft(1)).is_ok());
        assert!(matches!(
            check_recall(&sent(1, 1_000, text()), &draft(2)),
            Err(ServiceError::Forbidden(_))
        ));
        assert!(matches!(
            check_recall(&sent(1, 121_000, text()), &draft(1)),
            Err(ServiceError::Conflict {
                code: "recall_window_passed",
                ..
            })
        ));
        let recalled = Body::Recalled(RecalledContent::default());
        assert!(matches!(
            check_recall(&sent(1, 0, recalled), &draft(1)),
            Err(ServiceError::Conflict {
                code: "already_recalled",
                ..
            })
        ));
    }
}
