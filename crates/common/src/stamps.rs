//! Change stamps: how a service that owns some data (the account service: friendships, blocks,
//! group membership) tells services that cache it (the message service) that their copy is
//! stale, without a call per use.
//!
//! After committing a change, the owner writes a fresh, never-repeated value under the subject's
//! key. A cache remembers the stamp it read *before* fetching from the owner, and trusts its copy
//! only while the stamp still reads the same. A flushed Redis reads as "no stamp", which differs
//! from any remembered value, so a flush makes caches refetch rather than trust old data; and
//! since no value repeats, a stamp cannot come back to one a cache remembers (no ABA).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fred::prelude::{KeysInterface, Pool};
use fred::types::Expiration;
use tokio::sync::{mpsc, oneshot};

/// What a stamp is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The relation between two users (friendship, a block either way); order does not matter.
    Pair(u64, u64),
    /// A group's membership, roles and mutes.
    Group(u64),
}

/// A stamp as read: `None` when Redis holds none (never changed, expired or flushed).
pub type Stamp = Option<String>;

/// Reads and writes change stamps for one cluster.
#[derive(Clone)]
pub struct Stamps {
    redis: Pool,
    prefix: String,
    origin: String,
}

/// Stamps outlive any cache that could remember them (caches also expire entries on their own).
const STAMP_TTL_S: i64 = 7 * 24 * 3600;

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Stamps {
    pub fn new(redis: Pool, cluster: &str) -> Self {
        Self {
            redis,
            prefix: format!("{cluster}:stamp:"),
            origin: crate::instance::instance_id(),
        }
    }

    fn key(&self, subject: Subject) -> String {
        match subject {
            Subject::Pair(a, b) => format!("{}pair:{}:{}", self.prefix, a.min(b), a.max(b)),
            Subject::Group(id) => format!("{}group:{id}", self.prefix),
        }
    }

    /// Marks `subject` as changed. Call after the change is committed.
    pub async fn touch(&self, subject: Subject) -> Result<(), fred::error::Error> {
        let value = format!(
            "{}:{}",
            self.origin,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        self.redis
            .set::<(), _, _>(
                self.key(subject),
                value,
                Some(Expiration::EX(STAMP_TTL_S)),
                None,
                false,
            )
            .await
    }

    /// The current stamp of `subject`.
    pub async fn read(&self, subject: Subject) -> Result<Stamp, fred::error::Error> {
        self.redis.get(self.key(subject)).await
    }

    /// A reader that answers concurrent reads with one `MGET`; `queue` reads may wait for it.
    /// Spawns its task on the current runtime.
    pub fn batched_reader(&self, queue: usize) -> StampReader {
        let (sender, reads) = mpsc::channel(queue.max(1));
        tokio::spawn(read_batches(self.redis.clone(), reads));
        StampReader {
            stamps: self.clone(),
            queue: sender,
        }
    }
}

/// Keys read in one `MGET` at most.
const READ_BATCH: usize = 512;

type ReadResult = Result<Stamp, fred::error::Error>;
type ReadsResult = Result<Vec<Stamp>, fred::error::Error>;

struct Read {
    key: String,
    reply: oneshot::Sender<ReadResult>,
}

/// Reads stamps for many callers at once. A cache checks a stamp on every use (every message
/// sent, for the message service), and one `GET` each cost the caller a Redis write and wake-up
/// per message: about a seventh of the message service's CPU at 8,000 sends/s. Reads queued
/// while an `MGET` is in flight go together in the next one, so an idle reader answers a read in
/// one round trip, as a `GET` would, and a busy one answers many per round trip. Every read
/// is answered by an `MGET` sent after it was asked, never by one already in flight, so a stamp
/// is never older than the read: a change stamped before a send began is seen by that send.
#[derive(Clone)]
pub struct StampReader {
    stamps: Stamps,
    queue: mpsc::Sender<Read>,
}

impl StampReader {
    /// The current stamp of `subject`.
    pub async fn read(&self, subject: Subject) -> ReadResult {
        let (reply, answer) = oneshot::channel();
        let read = Read {
            key: self.stamps.key(subject),
            reply,
        };
        // A full queue, or a batch task that has ended (at shutdown): read on its own rather
        // than wait.
        if self.queue.try_send(read).is_ok()
            && let Ok(result) = answer.await
        {
            return result;
        }
        timed(self.stamps.read(subject)).await
    }
}

/// A read that takes longer fails, so that a stalled Redis makes a cache ask the owner instead
/// of holding up every caller behind one `MGET`.
const READ_TIMEOUT: Duration = Duration::from_secs(1);

async fn timed<T>(
    read: impl Future<Output = Result<T, fred::error::Error>>,
) -> Result<T, fred::error::Error> {
    match tokio::time::timeout(READ_TIMEOUT, read).await {
        Ok(result) => result,
        Err(_) => Err(fred::error::Error::new(
            fred::error::ErrorKind::Timeout,
            format!("no answer from Redis within {READ_TIMEOUT:?}"),
        )),
    }
}

async fn read_batches(redis: Pool, mut reads: mpsc::Receiver<Read>) {
    while let Some(first) = reads.recv().await {
        let mut batch = vec![first];
        while batch.len() < READ_BATCH {
            let Ok(read) = reads.try_recv() else { break };
            batch.push(read);
        }
        let (keys, replies): (Vec<String>, Vec<_>) =
            batch.into_iter().map(|read| (read.key, read.reply)).unzip();
        let stamps: ReadsResult = timed(redis.mget(keys)).await;
        answer(replies, stamps);
    }
}

/// Gives each read its stamp, or every read the error.
fn answer(replies: Vec<oneshot::Sender<ReadResult>>, stamps: ReadsResult) {
    let stamps = stamps.and_then(|stamps| {
        if stamps.len() == replies.len() {
            Ok(stamps)
        } else {
            Err(fred::error::Error::new(
                fred::error::ErrorKind::Protocol,
                format!("MGET of {} keys answered {}", replies.len(), stamps.len()),
            ))
        }
    });
    match stamps {
        Ok(stamps) => {
            for (reply, stamp) in replies.into_iter().zip(stamps) {
                let _ = reply.send(Ok(stamp));
            }
        }
        Err(error) => {
            for reply in replies {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_answers_each_read_with_its_own_stamp() {
        let (a, mut a_answer) = oneshot::channel();
        let (b, mut b_answer) = oneshot::channel();
        answer(vec![a, b], Ok(vec![Some("s:1".into()), None]));
        assert_eq!(a_answer.try_recv().ok(), Some(Ok(Some("s:1".into()))));
        assert_eq!(b_answer.try_recv().ok(), Some(Ok(None)));
    }

    #[test]
    fn a_failed_or_short_answer_fails_every_read() {
        let (a, mut a_answer) = oneshot::channel();
        let (b, mut b_answer) = oneshot::channel();
        answer(vec![a, b], Ok(vec![Some("s:1".into())]));
        assert!(matches!(a_answer.try_recv(), Ok(Err(_))));
        assert!(matches!(b_answer.try_recv(), Ok(Err(_))));
        let (c, mut c_answer) = oneshot::channel();
        let down = fred::error::Error::new(fred::error::ErrorKind::IO, "connection lost");
        answer(vec![c], Err(down));
        assert!(matches!(c_answer.try_recv(), Ok(Err(_))));
    }

    #[test]
    fn a_pair_has_one_key_whatever_the_order() {
        let stamps = Stamps {
            redis: fred::prelude::Builder::default_centralized()
                .build_pool(1)
                .expect("an unconnected pool builds"),
            prefix: "chat:stamp:".into(),
            origin: "test".into(),
        };
        assert_eq!(
            stamps.key(Subject::Pair(7, 3)),
            stamps.key(Subject::Pair(3, 7))
        );
        assert_eq!(stamps.key(Subject::Pair(3, 7)), "chat:stamp:pair:3:7");
        assert_eq!(stamps.key(Subject::Group(9)), "chat:stamp:group:9");
    }
}
