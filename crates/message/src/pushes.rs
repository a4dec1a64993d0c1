//! The push path after a commit: recipients who are offline are left out (they sync when they
//! connect, so a push to them is work for the broker and a gateway that reaches nobody), the
//! rest are split by gateway tag and handed to the per-tag fan-out.
//!
//! Why leaving them out cannot lose a message in real time: a gateway says `hello` only after
//! the account service has recorded the user online, and a client syncs after `hello`. The
//! lookup here runs after the message committed. So a message either committed before the
//! client's sync, which then returns it, or after it, and then the lookup, later still, finds
//! the user online. A user who went offline meanwhile stays online for the gateways' grace
//! period, which only costs a push nobody takes.
//!
//! Lookups are batched: one Redis call answers for every push queued while the previous call
//! ran, so under load a lookup costs a fraction of a round trip per message.
//!
//! Order: pushes leave in the order they were queued. The writer queues each committed batch's
//! messages in seq order ([`Pushes::push_ordered`], which waits for room rather than overtake
//! the queue), so a conversation's messages reach the fan-out, and then each gateway's tag, in
//! seq order. Other pushes (typing, receipts, recalls) never wait: when the queue is full they
//! go out at once, unfiltered; nothing orders them against messages anyway. When Redis does not
//! answer, or an audience is too large to be worth looking up (a big group), pushes go to
//! everyone, as if all were online.

use std::collections::HashSet;
use std::time::Duration;

use chat_common::online::OnlineLookup;
use chat_mq::{Fanout, Push};
use chat_proto::push::push::Payload;
use chat_routing::TableWatcher;
use tokio::sync::{mpsc, oneshot};

/// Audiences larger than this are pushed without a lookup: a big group has members online on
/// most gateways anyway, and looking up thousands of users per message would cost Redis more
/// than the envelopes it saves.
const LOOKUP_AUDIENCE_MAX: usize = 256;

/// Users looked up in one Redis call (one call may answer for many pushes).
const LOOKUP_BATCH: usize = 2_048;

/// A lookup that takes longer is given up: the pushes go to everyone.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(1);

enum Job {
    /// One push, or a committed batch's pushes in seq order.
    Push(Vec<Pending>),
    /// Answered once every push queued before it has been handed to the fan-out.
    Drained(oneshot::Sender<()>),
}

/// One push to queue.
pub struct Pending {
    pub recipients: Vec<u64>,
    pub exclude_session_id: String,
    pub payload: Payload,
}

/// Hands pushes to the fan-out, leaving out recipients who are offline.
#[derive(Clone)]
pub struct Pushes {
    queue: mpsc::Sender<Job>,
    route: Route,
}

/// Splits pushes by gateway tag into the fan-out.
#[derive(Clone)]
struct Route {
    fanout: Fanout,
    tables: TableWatcher,
}

impl Route {
    fn publish(&self, pending: Pending) {
        let table = self.tables.current();
        for (tag, users) in table.split_by_tag(pending.recipients) {
            self.fanout.publish(
                tag,
                table.epoch(),
                Push {
                    recipient_ids: users,
                    exclude_session_id: pending.exclude_session_id.clone(),
                    payload: Some(pending.payload.clone()),
                },
            );
        }
    }
}

fn counted(outcome: &'static str, recipients: usize) {
    metrics::counter!("chat_message_push_recipients_total", "outcome" => outcome)
        .increment(recipients as u64);
}

impl Pushes {
    /// Starts the lookup task; `queue` pushes may wait for a lookup (beyond, they go unfiltered).
    pub fn start(fanout: Fanout, tables: TableWatcher, online: OnlineLookup, queue: usize) -> Self {
        let route = Route { fanout, tables };
        let (sender, jobs) = mpsc::channel(queue.max(1));
        tokio::spawn(run(jobs, route.clone(), online));
        Self {
            queue: sender,
            route,
        }
    }

    /// Pushes `payload` to those of `recipients` who are online (best effort, never waits).
    pub fn push(&self, recipients: Vec<u64>, exclude_session_id: &str, payload: Payload) {
        let pending = Pending {
            recipients,
            exclude_session_id: exclude_session_id.to_owned(),
            payload,
        };
        // Full (or, at shutdown, closed): push to everyone rather than drop or wait.
        if let Err(refused) = self.queue.try_send(Job::Push(vec![pending]))
            && let Job::Push(pushes) = refused.into_inner()
        {
            for pending in pushes {
                counted("unchecked", pending.recipients.len());
                self.route.publish(pending);
            }
        }
    }

    /// Queues `pushes` behind everything queued before, in order; waits while the queue is full
    /// (a lookup gives up within [`LOOKUP_TIMEOUT`], so not for long).
    pub async fn push_ordered(&self, pushes: Vec<Pending>) {
        if pushes.is_empty() {
            return;
        }
        if let Err(refused) = self.queue.send(Job::Push(pushes)).await
            && let Job::Push(pushes) = refused.0
        {
            // Only at shutdown, after the lookup task ended: nothing is queued to overtake.
            for pending in pushes {
                counted("unchecked", pending.recipients.len());
                self.route.publish(pending);
            }
        }
    }

    /// Waits (up to `timeout`) until every push queued so far has reached the fan-out.
    pub async fn drain(&self, timeout: Duration) {
        let (done, drained) = oneshot::channel();
        if self.queue.send(Job::Drained(done)).await.is_ok() {
            let _ = tokio::time::timeout(timeout, drained).await;
        }
    }
}

async fn run(mut jobs: mpsc::Receiver<Job>, route: Route, online: OnlineLookup) {
    while let Some(first) = jobs.recv().await {
        let mut users = looked_up(&first);
        let mut batch = vec![first];
        while users < LOOKUP_BATCH {
            let Ok(job) = jobs.try_recv() else { break };
            users += looked_up(&job);
            batch.push(job);
        }
        let online = online_among(&online, &batch).await;
        for job in batch {
            match job {
                Job::Push(pushes) => {
                    for pending in pushes {
                        publish_online(&route, pending, online.as_ref());
                    }
                }
                Job::Drained(done) => {
                    let _ = done.send(());
                }
            }
        }
    }
}

/// Whether a push's recipients are worth a lookup (a big group's are not).
fn checked(pending: &Pending) -> bool {
    pending.recipients.len() <= LOOKUP_AUDIENCE_MAX
}

/// How many users a job adds to the batch's lookup.
fn looked_up(job: &Job) -> usize {
    match job {
        Job::Push(pushes) => pushes
            .iter()
            .filter(|pending| checked(pending))
            .map(|pending| pending.recipients.len())
            .sum(),
        Job::Drained(_) => 0,
    }
}

/// The online users among the batch's looked-up recipients; `None` when Redis could not say
/// (unreachable, or presence being rebuilt after a flush).
async fn online_among(online: &OnlineLookup, batch: &[Job]) -> Option<HashSet<u64>> {
    let mut users: Vec<u64> = batch
        .iter()
        .flat_map(|job| match job {
            Job::Push(pushes) => pushes.as_slice(),
            Job::Drained(_) => &[],
        })
        .filter(|pending| checked(pending))
        .flat_map(|pending| pending.recipients.iter().copied())
        .collect();
    users.sort_unstable();
    users.dedup();
    if users.is_empty() {
        return Some(HashSet::new());
    }
    match tokio::time::timeout(LOOKUP_TIMEOUT, online.online_unless_rebuilding(&users)).await {
        Ok(Ok(None)) => {
            metrics::counter!("chat_message_presence_rebuilding_total").increment(1);
            None
        }
        Ok(Ok(Some(flags))) => Some(
            users
                .into_iter()
                .zip(flags)
                .filter_map(|(user, online)| online.then_some(user))
                .collect(),
        ),
        Ok(Err(error)) => {
            tracing::warn!(%error, "presence lookup failed; pushing to everyone");
            None
        }
        Err(_) => {
            tracing::warn!("presence lookup timed out; pushing to everyone");
            None
        }
    }
}

fn publish_online(route: &Route, mut pending: Pending, online: Option<&HashSet<u64>>) {
    let online = match online {
        Some(online) if checked(&pending) => online,
        _ => {
            counted("unchecked", pending.recipients.len());
            route.publish(pending);
            return;
        }
    };
    let before = pending.recipients.len();
    pending.recipients.retain(|user| online.contains(user));
    counted("offline", before - pending.recipients.len());
    counted("online", pending.recipients.len());
    if !pending.recipients.is_empty() {
        route.publish(pending);
    }
}
