//! Keeps this router's copy of the table current: a Redis subscription tells it when the
//! leader published, and a poll every second covers lost notifications and reconnects.

use std::sync::Arc;
use std::time::Duration;

use chat_common::Shutdown;
use chat_routing::SlotTable;
use fred::clients::SubscriberClient;
use fred::prelude::{ClientLike, EventInterface, PubsubInterface};
use tokio::sync::watch;

use crate::store::RouterStore;

const POLL: Duration = Duration::from_secs(1);

/// Runs until shutdown, replacing the table in `tables` whenever the stored epoch changes.
pub async fn run(
    store: RouterStore,
    subscriber: SubscriberClient,
    tables: watch::Sender<Arc<SlotTable>>,
    shutdown: Shutdown,
) {
    let _resubscriber = subscriber.manage_subscriptions();
    if let Err(error) = subscriber
        .subscribe(store.keys().table_channel.clone())
        .await
    {
        tracing::warn!(%error, "cannot subscribe to table changes; polling only");
    }
    let mut notifications = subscriber.message_rx();
    loop {
        refresh(&store, &tables).await;
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = notifications.recv() => {}
            _ = shutdown.wait() => break,
        }
    }
    let _ = subscriber.quit().await;
}

async fn refresh(store: &RouterStore, tables: &watch::Sender<Arc<SlotTable>>) {
    let known = tables.borrow().epoch();
    match store.epoch().await {
        Ok(epoch) if epoch == known => {}
        // Never back: Redis lost the table, and the leader publishes above the newest known.
        Ok(epoch) if epoch < known => {}
        Ok(_) => match store.load_table().await {
            Ok(table) => {
                metrics::gauge!("chat_router_table_epoch").set(table.epoch() as f64);
                tables.send_replace(Arc::new(table));
            }
            Err(error) => tracing::warn!(%error, "cannot load the slot table"),
        },
        Err(error) => tracing::warn!(%error, "cannot read the table epoch"),
    }
}
