//! The sends of a run: one task hands out tickets on the plan's timetable (or, in a closed
//! loop, whenever a send in flight is answered), picks who sends what, and queues it to the
//! sender's session. Then it waits until what was sent has been answered and pushed.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chat_client::wire::ConversationKind;
use tokio::sync::mpsc;

use super::peer::{Outgoing, Shared};
use crate::recorder::{Failure, Log};

/// Who sends ticket `n`: the sender's session index, the kind and the target.
pub type Route = (usize, ConversationKind, u64);

/// Issues every send the plan has room for; returns the failures of sends that could not be
/// queued (their session had ended).
pub async fn drive(
    shared: Arc<Shared>,
    outboxes: Vec<mpsc::Sender<Outgoing>>,
    mut route: impl FnMut(u64) -> Route,
) -> Log {
    let mut log = Log::default();
    let plan = shared.plan;
    for ticket in 0.. {
        if let Some(inflight) = &shared.inflight {
            match inflight.acquire().await {
                Ok(permit) => permit.forget(),
                Err(_) => break,
            }
        }
        let Some(due) = plan.schedule(ticket) else {
            break;
        };
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        let (from, kind, target_id) = route(ticket);
        let outgoing = Outgoing {
            ticket,
            due,
            kind,
            target_id,
        };
        let queued = match outboxes.get(from) {
            Some(outbox) => outbox.send(outgoing).await.is_ok(),
            None => false,
        };
        if !queued {
            if let Some(inflight) = &shared.inflight {
                inflight.add_permits(1);
            }
            let failure = Failure {
                code: "SessionClosed".into(),
                message: format!("session {from} had ended"),
            };
            log.record(&plan.window, due, Instant::now(), Err(failure));
        }
    }
    log
}

/// Waits until every send was answered and every acknowledged one pushed `fanout` times, or
/// `patience` passed; returns whether everything drained.
pub async fn drain(shared: &Shared, fanout: u64, patience: Duration) -> bool {
    let give_up = Instant::now() + patience;
    let counters = &shared.counters;
    loop {
        let sent = counters.sent.load(Ordering::Relaxed);
        let acked = counters.acked.load(Ordering::Relaxed);
        let failed = counters.failed.load(Ordering::Relaxed);
        let delivered = counters.delivered.load(Ordering::Relaxed);
        if acked + failed >= sent && delivered >= acked * fanout {
            return true;
        }
        if Instant::now() >= give_up {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Prints deliveries and acks per second every few seconds, so a long run shows it is alive
/// and a stall shows at once.
pub async fn progress(shared: Arc<Shared>) {
    const EVERY: Duration = Duration::from_secs(5);
    let plan = shared.plan;
    let counters = &shared.counters;
    let (mut delivered, mut acked) = (0, 0);
    let mut ticks = tokio::time::interval_at((plan.origin + EVERY).into(), EVERY);
    loop {
        let now = ticks.tick().await.into_std();
        let phase = if now <= plan.window.start {
            "warm-up"
        } else {
            "measured"
        };
        let (d, a) = (
            counters.delivered.load(Ordering::Relaxed),
            counters.acked.load(Ordering::Relaxed),
        );
        println!(
            "  {:>4.0} s ({phase}): {:.0} deliveries/s, {:.0} acks/s",
            now.duration_since(plan.origin).as_secs_f64(),
            (d - delivered) as f64 / EVERY.as_secs_f64(),
            (a - acked) as f64 / EVERY.as_secs_f64(),
        );
        (delivered, acked) = (d, a);
    }
}
