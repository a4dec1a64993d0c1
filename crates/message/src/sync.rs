//! Reading: my conversations with unread counts, pages of a conversation, the login sync, read
//! cursors (forward only, with receipts), delete for me and group read counts.

use chat_common::ServiceError;
use chat_proto::common::ChatMessage;
use chat_proto::message as pb;
use chat_proto::push::ReadReceipt;
use chat_proto::push::push::Payload;

use crate::conversation::ConversationId;
use crate::service::{Party, Service};
use crate::store::reads::{self, After, ConversationRow};
use crate::store::rows::to_proto;

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;
/// Most conversations one login sync returns (the rest are listed page by page).
const MAX_SYNC_CONVERSATIONS: u64 = 1_000;

fn page_limit(limit: u32) -> u64 {
    u64::from(match limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    })
}

/// The cursor of a page of conversations: `{last_activity_ms}:{conversation id}`.
fn parse_cursor(cursor: &str) -> Result<Option<After>, ServiceError> {
    if cursor.is_empty() {
        return Ok(None);
    }
    let invalid = || ServiceError::invalid("invalid_cursor", "the cursor is not one this API gave");
    let (time, id) = cursor.split_once(':').ok_or_else(invalid)?;
    let last_activity_ms = time.parse().map_err(|_| invalid())?;
    ConversationId::parse(id).map_err(|_| invalid())?;
    Ok(Some(After {
        last_activity_ms,
        id: id.to_owned(),
    }))
}

fn conversation_view(
    user: u64,
    mut row: ConversationRow,
) -> Result<pb::Conversation, ServiceError> {
    let id = ConversationId::parse(&row.id)?;
    let last_message = row.last_message().map(to_proto).transpose()?;
    Ok(pb::Conversation {
        conversation_id: row.id,
        kind: id.kind() as i32,
        target_id: id.target_for(user),
        last_message,
        max_seq: row.max_seq,
        read_seq: row.read_seq,
        unread: row.max_seq.saturating_sub(row.read_seq),
        last_activity_ms: row.last_activity_ms,
    })
}

fn messages(rows: Vec<crate::store::rows::MessageRow>) -> Result<Vec<ChatMessage>, ServiceError> {
    rows.into_iter().map(to_proto).collect()
}

impl Service {
    pub async fn list_conversations(
        &self,
        request: pb::ListConversationsRequest,
    ) -> Result<pb::ListConversationsResponse, ServiceError> {
        let page = request.page.unwrap_or_default();
        let limit = page_limit(page.limit);
        let after = parse_cursor(&page.cursor)?;
        let user = request.actor_id;
        let rows = reads::conversations(&self.db, user, after, limit + 1, false).await?;
        let more = rows.len() as u64 > limit;
        let conversations: Vec<pb::Conversation> = rows
            .into_iter()
            .take(limit as usize)
            .map(|row| conversation_view(user, row))
            .collect::<Result<_, _>>()?;
        let next_cursor = match conversations.last() {
            Some(last) if more => format!("{}:{}", last.last_activity_ms, last.conversation_id),
            _ => String::new(),
        };
        Ok(pb::ListConversationsResponse {
            conversations,
            next_cursor,
        })
    }

    pub async fn pull(
        &self,
        request: pb::PullMessagesRequest,
    ) -> Result<pb::PullMessagesResponse, ServiceError> {
        let conversation = ConversationId::parse(&request.conversation_id)?;
        self.authorize_read(request.actor_id, &conversation).await?;
        let before = match pb::PullDirection::try_from(request.direction) {
            Ok(pb::PullDirection::Before) => true,
            Ok(pb::PullDirection::After | pb::PullDirection::Unspecified) => false,
            Err(_) => {
                return Err(ServiceError::invalid(
                    "invalid_direction",
                    "direction must be AFTER or BEFORE",
                ));
            }
        };
        // Before seq 0 means "the newest page".
        let seq = if before && request.seq == 0 {
            u64::MAX
        } else {
            request.seq
        };
        let limit = page_limit(request.limit);
        let key = conversation.to_string();
        let max_seq = reads::max_seq(&self.db, &key).await?;
        let mut rows =
            reads::page(&self.db, request.actor_id, &key, seq, before, limit + 1).await?;
        let has_more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok(pb::PullMessagesResponse {
            messages: messages(rows)?,
            has_more,
            max_seq,
        })
    }

    /// Every conversation with unread messages, and its oldest unread messages.
    pub async fn sync_unread(
        &self,
        request: pb::SyncUnreadRequest,
    ) -> Result<pb::SyncUnreadResponse, ServiceError> {
        let user = request.actor_id;
        let limit = page_limit(request.per_conversation_limit);
        let rows = reads::conversations(&self.db, user, None, MAX_SYNC_CONVERSATIONS, true).await?;
        let mut conversations = Vec::with_capacity(rows.len());
        for row in rows {
            let view = conversation_view(user, row)?;
            let id = ConversationId::parse(&view.conversation_id)?;
            if matches!(id, ConversationId::Group(_))
                && self.authorize_read(user, &id).await.is_err()
            {
                continue; // a former member's stale cursor
            }
            let mut page = reads::page(
                &self.db,
                user,
                &view.conversation_id,
                view.read_seq,
                false,
                limit + 1,
            )
            .await?;
            let has_more = page.len() as u64 > limit;
            page.truncate(limit as usize);
            conversations.push(pb::UnreadConversation {
                conversation: Some(view),
                messages: messages(page)?,
                has_more,
            });
        }
        Ok(pb::SyncUnreadResponse { conversations })
    }

    /// Moves my cursor forward (never back, never past the last message) and sends a read
    /// receipt: to the peer and my other sessions for 1:1, to my other sessions in a group
    /// (members ask for read counts instead of getting a receipt per reader).
    pub async fn mark_read(
        &self,
        request: pb::MarkReadRequest,
    ) -> Result<pb::MarkReadResponse, ServiceError> {
        let conversation = ConversationId::parse(&request.conversation_id)?;
        let user = request.actor_id;
        let party = self.authorize_read(user, &conversation).await?;
        let key = conversation.to_string();
        let max_seq = reads::max_seq(&self.db, &key).await?;
        let target = request.seq.min(max_seq);
        let (previous_read_seq, read_seq) = if target == 0 {
            let read_seq = reads::read_seq(&self.db, user, &key).await?;
            (read_seq, read_seq)
        } else if request.report_previous {
            reads::advance_read(&self.db, user, &key, target).await?
        } else {
            // The common case needs no lock: one statement moves the cursor.
            let read_seq = reads::mark_read(&self.db, user, &key, target).await?;
            (0, read_seq)
        };
        if target > 0 {
            // The peer learns of my reading only while we may message each other: an ex-friend
            // or a user I blocked (or who blocked me) gets no receipt. My own sessions always do.
            let to_peer = matches!(party, Party::Direct)
                && self
                    .authorize_signal(user, &conversation, &party)
                    .await
                    .is_ok();
            let recipients = if to_peer {
                Service::audience(&conversation, &party)
            } else {
                vec![user]
            };
            let receipt = Payload::ReadReceipt(ReadReceipt {
                conversation_id: key,
                reader_id: user,
                read_seq,
            });
            self.push(recipients, "", receipt);
        }
        Ok(pb::MarkReadResponse {
            read_seq,
            unread: max_seq.saturating_sub(read_seq),
            previous_read_seq,
        })
    }

    pub async fn delete_for_me(
        &self,
        request: pb::DeleteForMeRequest,
    ) -> Result<pb::DeleteForMeResponse, ServiceError> {
        let conversation = ConversationId::parse(&request.conversation_id)?;
        check_seqs(&request.seqs)?;
        self.authorize_read(request.actor_id, &conversation).await?;
        reads::hide(
            &self.db,
            request.actor_id,
            &conversation.to_string(),
            &request.seqs,
        )
        .await?;
        Ok(pb::DeleteForMeResponse {})
    }

    pub async fn read_counts(
        &self,
        request: pb::ReadCountsRequest,
    ) -> Result<pb::ReadCountsResponse, ServiceError> {
        let conversation = ConversationId::parse(&request.conversation_id)?;
        check_seqs(&request.seqs)?;
        self.authorize_read(request.actor_id, &conversation).await?;
        let counts = reads::read_counts(&self.db, &conversation.to_string(), &request.seqs).await?;
        Ok(pb::ReadCountsResponse {
            counts: counts
                .into_iter()
                .map(|(seq, read_by)| pb::SeqReadCount { seq, read_by })
                .collect(),
        })
    }
}

impl Service {
    /// Tells the others in the conversation that `actor` is typing (best effort, not stored).
    pub async fn typing(
        &self,
        request: pb::TypingRequest,
    ) -> Result<pb::TypingResponse, ServiceError> {
        let conversation = ConversationId::parse(&request.conversation_id)?;
        let actor = request.actor_id;
        let party = self.authorize_read(actor, &conversation).await?;
        self.authorize_signal(actor, &conversation, &party).await?;
        let others: Vec<u64> = Service::audience(&conversation, &party)
            .into_iter()
            .filter(|user| *user != actor)
            .collect();
        let typing = Payload::Typing(chat_proto::push::Typing {
            conversation_id: conversation.to_string(),
            user_id: actor,
        });
        self.push(others, "", typing);
        Ok(pb::TypingResponse {})
    }
}

fn check_seqs(seqs: &[u64]) -> Result<(), ServiceError> {
    if seqs.is_empty() || seqs.len() > MAX_PAGE as usize || seqs.contains(&0) {
        return Err(ServiceError::invalid(
            "invalid_seqs",
            format!("give 1-{MAX_PAGE} seqs, each above 0"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_default_to_50_and_stop_at_200() {
        assert_eq!(page_limit(0), 50);
        assert_eq!(page_limit(7), 7);
        assert_eq!(page_limit(5_000), 200);
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let after = parse_cursor("1700000000000:d:3:9")
            .expect("valid")
            .expect("a cursor");
        assert_eq!(after.last_activity_ms, 1_700_000_000_000);
        assert_eq!(after.id, "d:3:9");
        assert!(parse_cursor("").expect("empty is the first page").is_none());
        for bad in ["x:d:3:9", "17", "17:nope", "17:g:0"] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn seq_lists_are_bounded() {
        assert!(check_seqs(&[1, 2]).is_ok());
        assert!(check_seqs(&[]).is_err());
        assert!(check_seqs(&[0]).is_err());
        assert!(check_seqs(&vec![1; 201]).is_err());
    }
}
