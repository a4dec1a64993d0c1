//! The message service's logic, over its parts: the access cache, the group-commit writer, the
//! database (for reads) and the push path. Sends and recalls are in `send.rs`, reads and cursors
//! in `sync.rs`.

use std::sync::Arc;
use std::time::Duration;

use chat_common::ServiceError;
use chat_proto::push::push::Payload;
use sea_orm::DatabaseConnection;

use crate::access::{Access, GroupMembers};
use crate::clock::now_ms;
use crate::content::ContentLimits;
use crate::conversation::ConversationId;
use crate::pushes::Pushes;
use crate::writer::Writer;

/// Rules a deployment may tune.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub content: ContentLimits,
    /// How long after sending a sender may recall a message.
    pub recall_window: Duration,
    /// Most bytes of files one user may have stored.
    pub file_quota_bytes: u64,
    /// How long after its upload a file no message carries yet may still be sent (the
    /// sweeper removes such files after twice this).
    pub file_sendable_for: Duration,
}

/// Everything a request needs.
#[derive(Clone)]
pub struct Service {
    pub db: DatabaseConnection,
    pub access: Access,
    pub writer: Writer,
    pub pushes: Pushes,
    pub rules: Rules,
}

/// Who takes part in a conversation, as far as reading it goes.
pub enum Party {
    Direct,
    Group(Arc<GroupMembers>),
}

impl Service {
    /// Ok when `user` may read `conversation` (and so mark it read): one of the two ends of a
    /// 1:1 conversation, or a current member of the group.
    pub async fn authorize_read(
        &self,
        user: u64,
        conversation: &ConversationId,
    ) -> Result<Party, ServiceError> {
        match *conversation {
            ConversationId::Direct { .. } if conversation.is_participant(user) => Ok(Party::Direct),
            // Someone else's conversation is as invisible as a missing one.
            ConversationId::Direct { .. } => Err(ServiceError::NotFound(format!(
                "no conversation {conversation}"
            ))),
            ConversationId::Group(group) => {
                Ok(Party::Group(self.access.member_of(group, user).await?))
            }
        }
    }

    /// Ok when `actor` may put a signal (typing, a read receipt) on the others' screens in
    /// `conversation`, which `authorize_read` already let them see: the rules of sending, since
    /// a signal reaches the peer like a message does. Friends that did not block each other for
    /// 1:1; unmuted members for a group.
    pub async fn authorize_signal(
        &self,
        actor: u64,
        conversation: &ConversationId,
        party: &Party,
    ) -> Result<(), ServiceError> {
        match (*conversation, party) {
            (ConversationId::Direct { low, high }, _) => {
                let peer = if low == actor { high } else { low };
                self.access.may_message(actor, peer).await
            }
            (ConversationId::Group(_), Party::Group(members)) => {
                members.ensure_unmuted(actor, now_ms())
            }
            (ConversationId::Group(_), Party::Direct) => Ok(()),
        }
    }

    /// Everyone who should see what happens in `conversation`.
    pub fn audience(conversation: &ConversationId, party: &Party) -> Vec<u64> {
        match (conversation, party) {
            (ConversationId::Direct { low, high }, _) => vec![*low, *high],
            (_, Party::Group(members)) => members.ids.clone(),
            (ConversationId::Group(_), Party::Direct) => Vec::new(),
        }
    }

    /// Pushes `payload` to those of `recipients` who are online, through their gateways
    /// (best effort, never waits).
    pub fn push(&self, recipients: Vec<u64>, exclude_session_id: &str, payload: Payload) {
        self.pushes.push(recipients, exclude_session_id, payload);
    }
}
