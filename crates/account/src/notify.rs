//! Notifications: stored per recipient (so an offline user finds them later, by cursor) and
//! pushed in real time to the recipient's gateway through RocketMQ, routed with the cached slot
//! table. The push is best effort and never delays or fails the change that caused it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chat_mq::{Push, PushEnvelope, PushProducer};
use chat_proto::account as pb;
use chat_proto::push::push::Payload;
use chat_routing::TableWatcher;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Value};

use crate::accounts::now_ms;
use crate::error::AccountError;
use crate::store::users::statement;

const MAX_PAGE: u32 = 100;

/// Stores and pushes notifications.
#[derive(Clone)]
pub struct Notifier {
    pub db: DatabaseConnection,
    pub producer: Arc<PushProducer>,
    pub tables: TableWatcher,
}

#[derive(FromQueryResult)]
pub(crate) struct Row {
    pub(crate) id: u64,
    pub(crate) recipient_id: u64,
    pub(crate) kind: u8,
    pub(crate) actor_id: u64,
    pub(crate) group_id: u64,
    pub(crate) payload_json: String,
    pub(crate) created_at_ms: i64,
}

pub(crate) fn to_proto(row: Row) -> pb::Notification {
    pb::Notification {
        notification_id: row.id,
        recipient_id: row.recipient_id,
        kind: i32::from(row.kind),
        actor_id: row.actor_id,
        group_id: row.group_id,
        payload_json: row.payload_json,
        created_at_ms: row.created_at_ms,
    }
}

impl Notifier {
    /// Like [`Notifier::notify`], for callers whose change is already committed: a failure is
    /// logged, never returned (the change stands).
    pub async fn announce(
        &self,
        recipients: &[u64],
        kind: pb::NotificationKind,
        actor: u64,
        group: u64,
        payload: serde_json::Value,
    ) {
        if let Err(error) = self.notify(recipients, kind, actor, group, payload).await {
            tracing::warn!(%error, ?kind, "could not store a notification");
        }
    }

    /// Stores one notification per recipient, then pushes them (in the background).
    pub async fn notify(
        &self,
        recipients: &[u64],
        kind: pb::NotificationKind,
        actor: u64,
        group: u64,
        payload: serde_json::Value,
    ) -> Result<(), AccountError> {
        if recipients.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let payload = payload.to_string();
        let rows = vec!["(?, ?, ?, ?, ?, ?)"; recipients.len()].join(", ");
        let mut values: Vec<Value> = Vec::new();
        for recipient in recipients {
            values.extend([
                (*recipient).into(),
                (kind as i32 as u8).into(),
                actor.into(),
                group.into(),
                payload.clone().into(),
                now.into(),
            ]);
        }
        let result = self
            .db
            .execute_raw(statement(
                &format!(
                    "INSERT INTO notifications (recipient_id, kind, actor_id, group_id, payload_json, created_at_ms) VALUES {rows}"
                ),
                values,
            ))
            .await?;
        // Read the rows back rather than assume consecutive ids (not guaranteed under every
        // auto-increment lock mode).
        let first_id = result.last_insert_id();
        let list = vec!["?"; recipients.len()].join(", ");
        let mut values: Vec<Value> = vec![
            first_id.into(),
            actor.into(),
            (kind as i32 as u8).into(),
            now.into(),
        ];
        values.extend(recipients.iter().map(|id| Value::from(*id)));
        let notifications: Vec<pb::Notification> = Row::find_by_statement(statement(
            &format!(
                "SELECT id, recipient_id, kind, actor_id, group_id, payload_json, created_at_ms FROM notifications
                 WHERE id >= ? AND actor_id = ? AND kind = ? AND created_at_ms = ? AND recipient_id IN ({list})"
            ),
            values,
        ))
        .all(&self.db)
        .await?
        .into_iter()
        .map(to_proto)
        .collect();
        let notifier = self.clone();
        tokio::spawn(async move { notifier.push(notifications).await });
        Ok(())
    }

    /// Each notification pushed to its recipient's gateway.
    async fn push(&self, notifications: Vec<pb::Notification>) {
        let pushes = notifications
            .into_iter()
            .map(|notification| {
                (
                    vec![notification.recipient_id],
                    Payload::Notification(notification),
                )
            })
            .collect();
        self.publish(pushes, "notification").await;
    }

    /// Pushes each payload to its recipients: recipients are split by the gateway tag holding
    /// them (users no gateway holds are skipped: they list or sync later), one envelope per tag,
    /// all in one broker round trip. Best effort: a failure is logged, never returned.
    pub async fn publish(&self, pushes: Vec<(Vec<u64>, Payload)>, what: &'static str) {
        let table = self.tables.current();
        let mut envelopes: HashMap<String, PushEnvelope> = HashMap::new();
        for (recipients, payload) in pushes {
            for (tag, recipient_ids) in table.split_by_tag(recipients) {
                let envelope = envelopes
                    .entry(tag.to_owned())
                    .or_insert_with(|| PushEnvelope {
                        tag: tag.to_owned(),
                        table_epoch: table.epoch(),
                        produced_at_ms: now_ms(),
                        ..Default::default()
                    });
                envelope.pushes.push(Push {
                    recipient_ids,
                    exclude_session_id: String::new(),
                    payload: Some(payload.clone()),
                });
            }
        }
        let batch: Vec<PushEnvelope> = envelopes.into_values().collect();
        if batch.is_empty() {
            return;
        }
        match tokio::time::timeout(Duration::from_secs(5), self.producer.send_batch(&batch)).await {
            Ok(Ok(())) => metrics::counter!("chat_account_push_envelopes_total", "kind" => what)
                .increment(batch.len() as u64),
            Ok(Err(error)) => tracing::warn!(%error, what, "push failed; recipients sync later"),
            Err(_) => tracing::warn!(what, "push timed out; recipients sync later"),
        }
    }

    /// My notifications after `after_id`, oldest first.
    pub async fn list(
        &self,
        request: pb::ListNotificationsRequest,
    ) -> Result<pb::ListNotificationsResponse, AccountError> {
        let limit = match request.limit {
            0 => 50,
            n => n.min(MAX_PAGE),
        };
        let rows = Row::find_by_statement(statement(
            "SELECT id, recipient_id, kind, actor_id, group_id, payload_json, created_at_ms FROM notifications
             WHERE recipient_id = ? AND id > ? ORDER BY id LIMIT ?",
            [request.actor_id.into(), request.after_id.into(), u64::from(limit + 1).into()],
        ))
        .all(&self.db)
        .await?;
        let has_more = rows.len() > limit as usize;
        let notifications: Vec<pb::Notification> = rows
            .into_iter()
            .take(limit as usize)
            .map(to_proto)
            .collect();
        let next_after_id = notifications
            .last()
            .map(|n| n.notification_id)
            .unwrap_or(request.after_id);
        Ok(pb::ListNotificationsResponse {
            notifications,
            next_after_id,
            has_more,
        })
    }
}
