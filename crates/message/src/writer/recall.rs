//! Recalls: rare, so each is its own transaction (on the conversation's shard, so that it is
//! ordered with the sends around it).

use chat_common::ServiceError;
use chat_common::mysql::begin;
use chat_proto::common::message_content::Body;
use chat_proto::common::{ChatMessage, MessageContent, RecalledContent};
use prost::Message as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};

use super::{ATTEMPTS, RecallDraft};
use crate::clock::now_ms;
use crate::store::ids::IdBlocks;
use crate::store::rows::{MESSAGE_COLUMNS, MessageRow, message, to_proto};
use crate::store::statement;

#[derive(FromQueryResult)]
struct MaxSeq {
    max_seq: u64,
}

/// Recalls a message: its content becomes "recalled" for everyone, and a recall event with its
/// own seq tells clients that pull after their last seq.
pub(super) async fn recall(
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
    // A recalled message's file is no longer anyone's to download but its uploader's.
    tx.execute_raw(statement(
        "DELETE FROM file_refs WHERE conversation_id = ? AND seq = ?",
        [key.clone().into(), draft.seq.into()],
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
    use std::time::Duration;

    use super::*;
    use crate::conversation::ConversationId;
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
