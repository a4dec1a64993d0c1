//! Notifications handed once per user to a client that keeps no cursor of its own (the seed's
//! desktop client: it inserts every "new friend" and "added to a group" frame it gets into its
//! conversation list, so a replay on each connect would duplicate them). The channel's cursor
//! in `delivery_cursors` moves past what a take answers, in the take's own transaction.

use chat_proto::account as pb;
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::error::{AccountError, retrying};
use crate::notify::{Notifier, Row, to_proto};
use crate::store::begin;
use crate::store::users::statement;

/// Notifications looked at per take, whatever their kind; the cursor passes all of them, so
/// kinds nobody takes are read once, not at every take.
const SCAN: u64 = 500;
const MAX_TAKE: u32 = 100;

#[derive(FromQueryResult)]
struct Cursor {
    last_id: u64,
}

impl Notifier {
    pub async fn take(
        &self,
        request: pb::TakeNotificationsRequest,
    ) -> Result<pb::ListNotificationsResponse, AccountError> {
        let channel = &request.channel;
        if channel.is_empty()
            || channel.len() > 16
            || !channel
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        {
            return Err(AccountError::invalid(
                "invalid_channel",
                "a channel is 1-16 letters, digits or _",
            ));
        }
        let kinds: Vec<i32> = request
            .kinds
            .iter()
            .copied()
            .filter(|kind| *kind != pb::NotificationKind::Unspecified as i32)
            .collect();
        if kinds.is_empty() {
            return Err(AccountError::invalid(
                "invalid_kinds",
                "name the kinds of notification to take",
            ));
        }
        let limit = match request.limit {
            0 => 50,
            n => n.min(MAX_TAKE),
        } as usize;
        retrying(|| self.take_once(request.actor_id, channel, &kinds, limit)).await
    }

    async fn take_once(
        &self,
        user: u64,
        channel: &str,
        kinds: &[i32],
        limit: usize,
    ) -> Result<pb::ListNotificationsResponse, AccountError> {
        let tx = begin(&self.db).await?;
        tx.execute_raw(statement(
            "INSERT IGNORE INTO delivery_cursors (user_id, channel, last_id) VALUES (?, ?, 0)",
            [user.into(), channel.into()],
        ))
        .await?;
        // The lock makes takes of one user and channel take turns: none answers what another
        // already took.
        let cursor = Cursor::find_by_statement(statement(
            "SELECT last_id FROM delivery_cursors WHERE user_id = ? AND channel = ? FOR UPDATE",
            [user.into(), channel.into()],
        ))
        .one(&tx)
        .await?
        .map_or(0, |cursor| cursor.last_id);
        let scanned = Row::find_by_statement(statement(
            "SELECT id, recipient_id, kind, actor_id, group_id, payload_json, created_at_ms
             FROM notifications WHERE recipient_id = ? AND id > ? ORDER BY id LIMIT ?",
            [user.into(), cursor.into(), SCAN.into()],
        ))
        .all(&tx)
        .await?;
        let mut has_more = scanned.len() as u64 == SCAN;
        let mut last_id = cursor;
        let mut notifications = Vec::new();
        for row in scanned {
            if notifications.len() == limit {
                has_more = true;
                break;
            }
            last_id = row.id;
            if kinds.contains(&i32::from(row.kind)) {
                notifications.push(to_proto(row));
            }
        }
        if last_id != cursor {
            tx.execute_raw(statement(
                "UPDATE delivery_cursors SET last_id = ? WHERE user_id = ? AND channel = ?",
                [last_id.into(), user.into(), channel.into()],
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(pb::ListNotificationsResponse {
            notifications,
            next_after_id: last_id,
            has_more,
        })
    }
}
