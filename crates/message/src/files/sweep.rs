//! The sweeper (ADR 0011): uploads no message carried within a day are deleted, object first
//! and then the row, and so are objects that no row names (a gateway killed between storing an
//! upload and registering it). A send may only attach an upload younger than half that age
//! (`attach`), so the sweeper never removes a file a send is about to reference.
//!
//! Every message service instance sweeps; the deletes are idempotent, so two instances sweeping
//! at once only repeat each other's work.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chat_common::shutdown::Shutdown;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use sea_orm::DatabaseConnection;

use crate::clock::now_ms;
use crate::store::files;

/// Rows looked at per round, and keys checked against the table per query.
const BATCH: usize = 200;

pub struct Sweeper {
    pub db: DatabaseConnection,
    pub store: Arc<dyn ObjectStore>,
    /// How old an unreferenced upload or a nameless object must be to go.
    pub age: Duration,
    pub interval: Duration,
}

impl Sweeper {
    /// Sweeps every `interval` until shutdown.
    pub fn spawn(self, shutdown: Shutdown) {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(self.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.wait() => return,
                    _ = ticks.tick() => {}
                }
                let cutoff = now_ms() - i64::try_from(self.age.as_millis()).unwrap_or(i64::MAX);
                match self.sweep(cutoff).await {
                    Ok((rows, orphans)) if rows + orphans > 0 => {
                        tracing::info!(rows, orphans, "swept unreferenced uploads");
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "the file sweep failed; retrying later"),
                }
            }
        });
    }

    /// One round: the files and the objects older than `cutoff_ms`; how many of each went.
    async fn sweep(&self, cutoff_ms: i64) -> Result<(usize, usize), String> {
        let rows = self.unreferenced(cutoff_ms).await?;
        let orphans = self.orphans(cutoff_ms).await?;
        Ok((rows, orphans))
    }

    async fn unreferenced(&self, cutoff_ms: i64) -> Result<usize, String> {
        let mut swept = 0;
        loop {
            let batch = files::unreferenced_before(&self.db, cutoff_ms, BATCH as u64)
                .await
                .map_err(|error| error.to_string())?;
            let last = batch.len() < BATCH;
            for file in batch {
                for key in [&file.thumbnail_key, &file.object_key] {
                    if !key.is_empty() {
                        self.delete(key).await?;
                    }
                }
                files::delete_unreferenced(&self.db, file.id)
                    .await
                    .map_err(|error| error.to_string())?;
                swept += 1;
            }
            if last {
                return Ok(swept);
            }
        }
    }

    /// Objects under `files/` older than the cutoff that no row names (a thumbnail goes with
    /// its picture's row: `{key}.thumb`).
    async fn orphans(&self, cutoff_ms: i64) -> Result<usize, String> {
        let prefix = Path::from("files");
        let mut listing = self.store.list(Some(&prefix));
        let mut old = Vec::new();
        let mut swept = 0;
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|error| error.to_string())?;
            if meta.last_modified.timestamp_millis() < cutoff_ms {
                old.push(meta.location.to_string());
            }
            if old.len() == BATCH {
                swept += self.delete_nameless(std::mem::take(&mut old)).await?;
            }
        }
        swept += self.delete_nameless(old).await?;
        Ok(swept)
    }

    async fn delete_nameless(&self, keys: Vec<String>) -> Result<usize, String> {
        let owners: Vec<String> = keys.iter().map(|key| owner_key(key).to_owned()).collect();
        let known: HashSet<String> = files::known_object_keys(&self.db, &owners)
            .await
            .map_err(|error| error.to_string())?
            .into_iter()
            .collect();
        let mut swept = 0;
        for (key, owner) in keys.iter().zip(&owners) {
            if !known.contains(owner) {
                self.delete(key).await?;
                swept += 1;
            }
        }
        Ok(swept)
    }

    /// Deletes an object; one already gone is fine.
    async fn delete(&self, key: &str) -> Result<(), String> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(format!("deleting {key}: {error}")),
        }
    }
}

/// The object key of the file an object belongs to: itself, or the picture of a thumbnail.
fn owner_key(key: &str) -> &str {
    key.strip_suffix(".thumb").unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::owner_key;

    #[test]
    fn a_thumbnail_belongs_to_its_picture() {
        assert_eq!(owner_key("files/7/abc.thumb"), "files/7/abc");
        assert_eq!(owner_key("files/7/abc"), "files/7/abc");
    }
}
