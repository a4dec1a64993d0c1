//! Encoding and decoding push envelopes as RocketMQ message bodies (protobuf).

use prost::Message as _;

use chat_proto::push::PushEnvelope;

/// A body that is not a push envelope.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("malformed push envelope: {0}")]
    Malformed(#[from] prost::DecodeError),
    #[error("push envelope for tag `{found}` arrived at `{expected}`")]
    WrongTag { expected: String, found: String },
}

/// The message body for `envelope`.
pub fn encode(envelope: &PushEnvelope) -> Vec<u8> {
    envelope.encode_to_vec()
}

/// Decodes a body and checks that it was meant for `expected_tag`.
pub fn decode(body: &[u8], expected_tag: &str) -> Result<PushEnvelope, EnvelopeError> {
    let envelope = PushEnvelope::decode(body)?;
    if envelope.tag != expected_tag {
        return Err(EnvelopeError::WrongTag {
            expected: expected_tag.to_owned(),
            found: envelope.tag,
        });
    }
    Ok(envelope)
}

#[cfg(test)]
mod tests {
    use chat_proto::common::{ChatMessage, ConversationKind};
    use chat_proto::push::{Push, push::Payload};

    use super::*;

    fn envelope_for(tag: &str) -> PushEnvelope {
        PushEnvelope {
            tag: tag.to_owned(),
            table_epoch: 7,
            produced_at_ms: 1_700_000_000_000,
            pushes: vec![Push {
                recipient_ids: vec![1, 1025],
                exclude_session_id: String::new(),
                payload: Some(Payload::Message(ChatMessage {
                    message_id: 42,
                    conversation_id: "d:1:1025".to_owned(),
                    kind: ConversationKind::Direct as i32,
                    seq: 3,
                    sender_id: 1,
                    ..Default::default()
                })),
            }],
            trace_context: Default::default(),
        }
    }

    #[test]
    fn envelopes_survive_a_round_trip() {
        let sent = envelope_for("gw-1");
        let received = decode(&encode(&sent), "gw-1").unwrap();
        assert_eq!(received, sent);
    }

    #[test]
    fn an_envelope_for_another_tag_is_refused() {
        let error = decode(&encode(&envelope_for("gw-2")), "gw-1").unwrap_err();
        assert!(matches!(error, EnvelopeError::WrongTag { .. }), "{error}");
    }

    #[test]
    fn garbage_is_reported_as_malformed() {
        let error = decode(&[0xff, 0xff, 0xff], "gw-0").unwrap_err();
        assert!(matches!(error, EnvelopeError::Malformed(_)), "{error}");
    }
}
