//! Sending a message, its result, and group read counts.

use chat_proto::common as pb_common;
use chat_proto::message as pb;
use serde::{Deserialize, Serialize};

use crate::{Content, ConversationKind, WireError};

/// A message a client wants to send. Client input: it converts into the proto request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    pub kind: ConversationKind,
    /// The peer's user id for `direct`, the group id for `group`.
    pub target_id: u64,
    /// The client's own id for the message (1-64 characters, unique per sender); a retry with
    /// the same id returns the first result instead of sending twice.
    pub client_msg_id: String,
    pub content: Content,
}

impl SendRequest {
    /// The proto request on behalf of `actor_id`. `origin_session_id` names the sender's
    /// WebSocket session (so that it does not get its own message pushed back); empty when the
    /// message comes over REST. Refuses content only the server may set.
    pub fn into_proto(
        self,
        actor_id: u64,
        origin_session_id: String,
    ) -> Result<pb::SendRequest, WireError> {
        Ok(pb::SendRequest {
            actor_id,
            kind: pb_common::ConversationKind::from(self.kind) as i32,
            target_id: self.target_id,
            client_msg_id: self.client_msg_id,
            content: Some(self.content.try_into()?),
            origin_session_id,
        })
    }
}

/// Where a sent message landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResult {
    pub message_id: u64,
    pub conversation_id: String,
    pub seq: u64,
    pub server_time_ms: i64,
    /// True when this answers a retry of a message already stored.
    pub duplicate: bool,
}

impl From<pb::SendResponse> for SendResult {
    fn from(reply: pb::SendResponse) -> Self {
        Self {
            message_id: reply.message_id,
            conversation_id: reply.conversation_id,
            seq: reply.seq,
            server_time_ms: reply.server_time_ms,
            duplicate: reply.duplicate,
        }
    }
}

/// How many members (the sender excluded) have read up to a group message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqReadCount {
    pub seq: u64,
    pub read_by: u32,
}

impl From<pb::SeqReadCount> for SeqReadCount {
    fn from(count: pb::SeqReadCount) -> Self {
        Self {
            seq: count.seq,
            read_by: count.read_by,
        }
    }
}

#[cfg(test)]
mod tests {
    use chat_proto::common::message_content::Body;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_send_request_becomes_the_proto_request_of_the_caller() {
        let request: SendRequest = serde_json::from_value(json!({
            "kind": "group",
            "target_id": 56,
            "client_msg_id": "c-1",
            "content": {"type": "text", "text": "hi all"},
        }))
        .unwrap();
        let proto = request.into_proto(12, String::new()).unwrap();
        assert_eq!(proto.actor_id, 12);
        assert_eq!(proto.kind, pb_common::ConversationKind::Group as i32);
        assert_eq!(proto.target_id, 56);
        assert_eq!(proto.client_msg_id, "c-1");
        assert_eq!(proto.origin_session_id, "");
        assert_eq!(
            proto.content.and_then(|content| content.body),
            Some(Body::Text(pb_common::TextContent {
                text: "hi all".into()
            }))
        );
    }

    #[test]
    fn a_send_request_with_a_recall_marker_is_refused() {
        let request: SendRequest = serde_json::from_value(json!({
            "kind": "direct",
            "target_id": 34,
            "client_msg_id": "c-2",
            "content": {"type": "recalled", "recalled_at_ms": 1, "recalled_seq": 1},
        }))
        .unwrap();
        assert_eq!(
            request.into_proto(12, String::new()),
            Err(WireError::ServerOnlyContent("recalled"))
        );
    }

    #[test]
    fn a_send_request_needs_every_field_and_a_known_kind() {
        let complete = json!({
            "kind": "direct",
            "target_id": 34,
            "client_msg_id": "c-3",
            "content": {"type": "text", "text": "x"},
        });
        for field in ["kind", "target_id", "client_msg_id", "content"] {
            let mut partial = complete.clone();
            partial.as_object_mut().unwrap().remove(field);
            assert!(serde_json::from_value::<SendRequest>(partial).is_err());
        }
        let mut channel = complete;
        channel["kind"] = json!("channel");
        let error = serde_json::from_value::<SendRequest>(channel).unwrap_err();
        assert!(error.to_string().contains("unknown variant `channel`"));
    }

    #[test]
    fn results_and_counts_have_the_documented_shape() {
        let result = SendResult::from(pb::SendResponse {
            message_id: 9001,
            conversation_id: "g:56".into(),
            seq: 4,
            server_time_ms: 1_700_000_000_000,
            duplicate: true,
        });
        assert_eq!(
            serde_json::to_value(&result).unwrap(),
            json!({"message_id": 9001, "conversation_id": "g:56", "seq": 4, "server_time_ms": 1_700_000_000_000_i64, "duplicate": true})
        );
        let count = SeqReadCount::from(pb::SeqReadCount { seq: 4, read_by: 2 });
        assert_eq!(
            serde_json::to_value(count).unwrap(),
            json!({"seq": 4, "read_by": 2})
        );
    }
}
