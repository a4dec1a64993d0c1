//! Stored messages and their proto form.

use chat_common::ServiceError;
use chat_proto::common::{ChatMessage, MessageContent};
use prost::Message as _;
use sea_orm::FromQueryResult;

use crate::conversation::ConversationId;

/// The columns of a `messages` row, in [`MESSAGE_COLUMNS`] order.
#[derive(Debug, FromQueryResult)]
pub struct MessageRow {
    pub conversation_id: String,
    pub seq: u64,
    pub id: u64,
    pub sender_id: u64,
    pub client_msg_id: String,
    pub content: Vec<u8>,
    pub server_time_ms: i64,
}

pub const MESSAGE_COLUMNS: &str =
    "m.conversation_id, m.seq, m.id, m.sender_id, m.client_msg_id, m.content, m.server_time_ms";

/// The proto form of a stored message; a row that does not decode is an internal error (the
/// service wrote it).
pub fn to_proto(row: MessageRow) -> Result<ChatMessage, ServiceError> {
    let conversation = ConversationId::parse(&row.conversation_id).map_err(|_| {
        ServiceError::Internal(format!("stored conversation id {:?}", row.conversation_id))
    })?;
    let content = MessageContent::decode(row.content.as_slice()).map_err(|error| {
        ServiceError::Internal(format!("stored content of {}: {error}", row.id))
    })?;
    Ok(message(
        conversation,
        row.seq,
        row.id,
        row.sender_id,
        row.client_msg_id,
        content,
        row.server_time_ms,
    ))
}

/// A message as delivered: the target is the peer (1:1, seen from the sender) or the group.
pub fn message(
    conversation: ConversationId,
    seq: u64,
    message_id: u64,
    sender_id: u64,
    client_msg_id: String,
    content: MessageContent,
    server_time_ms: i64,
) -> ChatMessage {
    ChatMessage {
        message_id,
        conversation_id: conversation.to_string(),
        kind: conversation.kind() as i32,
        seq,
        sender_id,
        client_msg_id,
        content: Some(content),
        server_time_ms,
        target_id: conversation.target_for(sender_id),
    }
}
