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
//!
//! A shard also hands each committed batch's pushes to [`Pushes`] itself, in seq order, before
//! it answers: a conversation lives on one shard, so its messages are pushed in the order they
//! were stored (pushes issued by the callers, after their answers, would race each other).

mod batch;
mod recall;
mod sql;

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_common::mysql::{self, is_duplicate, is_retryable};
use chat_common::{ServiceError, StartupError};
use chat_proto::common::{ChatMessage, MessageContent};
use chat_proto::push::push::Payload;
use prost::Message as _;
use sea_orm::sqlx::MySqlPool;
use sea_orm::{DatabaseConnection, FromQueryResult, Value};
use tokio::sync::{mpsc, oneshot};

use crate::access::GroupMembers;
use crate::conversation::ConversationId;
use crate::pushes::{self, Pushes};
use crate::store::ids::IdBlocks;
use crate::store::rows::{MESSAGE_COLUMNS, MessageRow, to_proto};
use crate::store::{padded, statement};

/// A message to store.
pub struct Draft {
    pub conversation: ConversationId,
    pub sender: u64,
    pub client_msg_id: String,
    pub content: MessageContent,
    /// The uploaded file the content carries, recorded with the message (`file_refs`).
    pub file_id: Option<u64>,
    /// For a group: the members, so that new members get a read cursor.
    pub group: Option<Arc<GroupMembers>>,
    /// Who is pushed the message once it is stored (the sender's other sessions included).
    pub audience: Vec<u64>,
    /// The sending session, which is not pushed its own message.
    pub origin_session_id: String,
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

/// The answer to a queued send, to wait for.
pub type Queued = oneshot::Receiver<Result<Committed, ServiceError>>;

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

/// The answer when the writer's shard task is gone.
pub fn stopped() -> ServiceError {
    ServiceError::Unavailable("the message writer stopped".into())
}

impl Writer {
    /// Starts `shards` writers, each committing up to `max_batch` messages per transaction.
    pub fn start(
        db: DatabaseConnection,
        ids: Arc<IdBlocks>,
        pushes: Pushes,
        shards: usize,
        max_batch: usize,
    ) -> Result<Self, StartupError> {
        let pool = mysql::driver_pool(&db)?;
        let shards: Vec<mpsc::Sender<Job>> = (0..shards.max(1))
            .map(|_| {
                let (queue, jobs) = mpsc::channel(max_batch.max(1) * 8);
                let store = Store {
                    db: db.clone(),
                    pool: pool.clone(),
                    ids: ids.clone(),
                    pushes: pushes.clone(),
                };
                tokio::spawn(run_shard(store, jobs, max_batch.max(1)));
                queue
            })
            .collect();
        Ok(Self {
            shards: shards.into(),
            hasher: std::collections::hash_map::RandomState::new(),
        })
    }

    fn shard(&self, conversation: &ConversationId) -> &mpsc::Sender<Job> {
        let hash = self.hasher.hash_one(conversation);
        &self.shards[(hash % self.shards.len() as u64) as usize]
    }

    /// Queues `draft` behind every send queued before it (waiting for room in its shard) and
    /// returns its answer to wait for: sends queued in turn are stored in that turn. The answer
    /// comes once it is committed (or was, by an earlier attempt).
    pub async fn enqueue(&self, draft: Draft) -> Result<Queued, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.shard(&draft.conversation)
            .send(Job::Send(draft, reply))
            .await
            .map_err(|_| stopped())?;
        Ok(answer)
    }

    /// Applies a recall; answers with the recall event once committed.
    pub async fn recall(&self, draft: RecallDraft) -> Result<ChatMessage, ServiceError> {
        let conversation = draft.conversation;
        self.ask(&conversation, |reply| Job::Recall(draft, reply))
            .await
    }

    /// Queues a job on the conversation's shard and waits for its answer.
    async fn ask<T>(
        &self,
        conversation: &ConversationId,
        job: impl FnOnce(Reply<T>) -> Job,
    ) -> Result<T, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.shard(conversation)
            .send(job(reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// What a shard writes with: the pool's connections directly for batches (scripts of several
/// statements), sea-orm for the rest.
#[derive(Clone)]
struct Store {
    db: DatabaseConnection,
    pool: MySqlPool,
    ids: Arc<IdBlocks>,
    pushes: Pushes,
}

/// Content bytes one batch carries at most. A batch goes to MySQL as one script with the content
/// in hex, and a script must stay well within the server's `max_allowed_packet` (16 MiB by
/// default in MariaDB, 4 MiB in old MySQL): 1 MiB of content makes a script of about 2 MiB.
const MAX_BATCH_CONTENT_BYTES: usize = 1 << 20;

async fn run_shard(store: Store, mut jobs: mpsc::Receiver<Job>, max_batch: usize) {
    while let Some(first) = jobs.recv().await {
        let mut sends = Vec::new();
        let mut recalls = Vec::new();
        let mut content_bytes = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Send(draft, reply) => {
                    content_bytes += draft.content.encoded_len() + draft.client_msg_id.len();
                    sends.push(Pending::new(draft, reply));
                }
                Job::Recall(draft, reply) => recalls.push((draft, reply)),
            }
            if sends.len() + recalls.len() < max_batch && content_bytes < MAX_BATCH_CONTENT_BYTES {
                next = jobs.try_recv().ok();
            }
        }
        if !sends.is_empty() {
            let started = Instant::now();
            let count = sends.len();
            commit_sends(&store, sends).await;
            metrics::histogram!("chat_message_batch_size").record(count as f64);
            metrics::histogram!("chat_message_batch_seconds")
                .record(started.elapsed().as_secs_f64());
        }
        for (draft, reply) in recalls {
            let _ = reply.send(recall::recall(&store.db, &store.ids, &draft).await);
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

    /// The push of this message, once stored as `message`.
    fn push_of(&self, message: &ChatMessage) -> pushes::Pending {
        pushes::Pending {
            recipients: self.draft.audience.clone(),
            exclude_session_id: self.draft.origin_session_id.clone(),
            payload: Payload::Message(message.clone()),
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
async fn commit_sends(store: &Store, sends: Vec<Pending>) {
    let mut pending = distinct(sends);
    for attempt in 1..=ATTEMPTS {
        match batch::insert(&store.pool, &store.ids, &pending).await {
            Ok(messages) => {
                let pushes = pending
                    .iter()
                    .zip(&messages)
                    .map(|(pending, message)| pending.push_of(message))
                    .collect();
                store.pushes.push_ordered(pushes).await;
                for (pending, message) in pending.into_iter().zip(messages) {
                    pending.answer(Ok(message), false);
                }
                return;
            }
            // A retry of a stored message, another instance's first message in a
            // conversation, or a deadlock: answer what is stored and try the rest again.
            Err(error) if (is_retryable(&error) || is_duplicate(&error)) && attempt < ATTEMPTS => {
                tracing::debug!(%error, attempt, "retrying a message batch");
                pending = match answer_duplicates(&store.db, pending).await {
                    Ok(fresh) if fresh.is_empty() => return,
                    Ok(fresh) => fresh,
                    Err((error, pending)) => return fail_all(pending, &error),
                };
            }
            Err(error) if pending.len() > 1 => {
                // One bad message must not fail the others: write them one by one.
                tracing::warn!(%error, "a message batch failed; writing its messages one by one");
                for single in pending {
                    Box::pin(commit_sends(store, vec![single])).await;
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
