//! Bounded concurrency for setup and verification: many calls in flight, but never so many
//! that the account service's password hashing or the database is swamped.

use std::future::Future;

use anyhow::Context;
use tokio::task::JoinSet;

/// Runs `job(i)` for every `i` in `0..count`, at most `limit` at a time, and returns the
/// results in index order; the first failure stops the rest.
pub async fn run_bounded<T, F, Fut>(count: usize, limit: usize, job: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut running = JoinSet::new();
    let mut results: Vec<Option<T>> = (0..count).map(|_| None).collect();
    for index in 0..count {
        if running.len() >= limit.max(1) {
            store(&mut running, &mut results).await?;
        }
        let future = job(index);
        running.spawn(async move { (index, future.await) });
    }
    while !running.is_empty() {
        store(&mut running, &mut results).await?;
    }
    results
        .into_iter()
        .map(|result| result.context("a job produced no result"))
        .collect()
}

async fn store<T: 'static>(
    running: &mut JoinSet<(usize, anyhow::Result<T>)>,
    results: &mut [Option<T>],
) -> anyhow::Result<()> {
    let Some(joined) = running.join_next().await else {
        return Ok(());
    };
    let (index, result) = joined.context("a job panicked")?;
    results[index] = Some(result?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn results_come_back_in_order_and_concurrency_stays_bounded() {
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let results = run_bounded(20, 3, |index| {
            let (active, peak) = (active.clone(), peak.clone());
            async move {
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::task::yield_now().await;
                active.fetch_sub(1, Ordering::SeqCst);
                Ok(index * 2)
            }
        })
        .await
        .unwrap();
        assert_eq!(results, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        assert!(peak.load(Ordering::SeqCst) <= 3);
    }

    #[tokio::test]
    async fn the_first_failure_is_returned() {
        let outcome = run_bounded(5, 2, |index| async move {
            anyhow::ensure!(index != 3, "job {index} failed");
            Ok(index)
        })
        .await;
        assert!(outcome.unwrap_err().to_string().contains("job 3 failed"));
    }
}
