//! The body of a chat message: `{"type": "text", "text": "hi"}` and its siblings.

use chat_proto::common as pb;
use chat_proto::common::message_content::Body;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::WireError;

/// What a message says, tagged by `"type"`. Optional numbers default to 0 and optional strings
/// to `""`, so that clients may leave out what they do not know (a voice note's mime type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    /// Plain text.
    Text { text: String },
    /// A picture: an upload named by `file_id` (the server fills in the rest from what it
    /// stored, `thumbnail_url` included), or an external `url`.
    Image {
        #[serde(default)]
        url: String,
        #[serde(default)]
        size_bytes: u64,
        #[serde(default)]
        width: u32,
        #[serde(default)]
        height: u32,
        #[serde(default)]
        mime: String,
        #[serde(default, skip_serializing_if = "is_zero")]
        file_id: u64,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        thumbnail_url: String,
    },
    /// A file: an upload named by `file_id`, or an external `url`.
    File {
        #[serde(default)]
        url: String,
        #[serde(default)]
        size_bytes: u64,
        #[serde(default)]
        name: String,
        #[serde(default)]
        mime: String,
        #[serde(default, skip_serializing_if = "is_zero")]
        file_id: u64,
    },
    /// A voice note: an upload named by `file_id`, or an external `url`; the duration is the
    /// client's.
    Voice {
        #[serde(default)]
        url: String,
        #[serde(default)]
        size_bytes: u64,
        #[serde(default)]
        duration_ms: u32,
        #[serde(default)]
        mime: String,
        #[serde(default, skip_serializing_if = "is_zero")]
        file_id: u64,
    },
    /// Application-defined JSON, carried as a value rather than a string so that clients need
    /// not parse twice.
    Custom { data: Value },
    /// What a recalled message shows, and the recall event that announces it. Server-set only.
    Recalled {
        recalled_at_ms: i64,
        recalled_seq: u64,
    },
}

/// Leaves `file_id` out of media that names no upload, as messages before uploads had none.
fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Parses stored custom content. Exposed so that whoever validates custom content on send can
/// use the very parser (and depth limit) that later reads it back, and the two cannot disagree.
pub fn parse_custom_json(raw: &str) -> Result<Value, WireError> {
    serde_json::from_str(raw).map_err(|error| WireError::InvalidCustomJson(error.to_string()))
}

/// Server output: what a stored message holds. A message without content is a server bug and
/// an error rather than an empty text, so that it is noticed.
impl TryFrom<pb::MessageContent> for Content {
    type Error = WireError;

    fn try_from(content: pb::MessageContent) -> Result<Self, Self::Error> {
        let body = content.body.ok_or(WireError::Missing("message content"))?;
        Ok(match body {
            Body::Text(text) => Self::Text { text: text.text },
            Body::Image(image) => Self::Image {
                url: image.url,
                size_bytes: image.size_bytes,
                width: image.width,
                height: image.height,
                mime: image.mime,
                file_id: image.file_id,
                thumbnail_url: image.thumbnail_url,
            },
            Body::File(file) => Self::File {
                url: file.url,
                size_bytes: file.size_bytes,
                name: file.name,
                mime: file.mime,
                file_id: file.file_id,
            },
            Body::Voice(voice) => Self::Voice {
                url: voice.url,
                size_bytes: voice.size_bytes,
                duration_ms: voice.duration_ms,
                mime: voice.mime,
                file_id: voice.file_id,
            },
            Body::Custom(custom) => Self::Custom {
                data: parse_custom_json(&custom.json)?,
            },
            Body::Recalled(recalled) => Self::Recalled {
                recalled_at_ms: recalled.recalled_at_ms,
                recalled_seq: recalled.recalled_seq,
            },
        })
    }
}

/// Client input: what a sender may put in a message. A recall marker is refused here, at the
/// edge, with a message the client can act on, rather than deep inside the message service.
impl TryFrom<Content> for pb::MessageContent {
    type Error = WireError;

    fn try_from(content: Content) -> Result<Self, Self::Error> {
        let body = match content {
            Content::Text { text } => Body::Text(pb::TextContent { text }),
            Content::Image {
                url,
                size_bytes,
                width,
                height,
                mime,
                file_id,
                thumbnail_url,
            } => Body::Image(pb::ImageContent {
                url,
                size_bytes,
                width,
                height,
                mime,
                file_id,
                thumbnail_url,
            }),
            Content::File {
                url,
                size_bytes,
                name,
                mime,
                file_id,
            } => Body::File(pb::FileContent {
                url,
                size_bytes,
                name,
                mime,
                file_id,
            }),
            Content::Voice {
                url,
                size_bytes,
                duration_ms,
                mime,
                file_id,
            } => Body::Voice(pb::VoiceContent {
                url,
                size_bytes,
                duration_ms,
                mime,
                file_id,
            }),
            // A `Value` always serialises (its map keys are strings), so Display cannot fail.
            Content::Custom { data } => Body::Custom(pb::CustomContent {
                json: data.to_string(),
            }),
            Content::Recalled { .. } => return Err(WireError::ServerOnlyContent("recalled")),
        };
        Ok(Self { body: Some(body) })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn from_json(value: Value) -> Result<Content, serde_json::Error> {
        serde_json::from_value(value)
    }

    fn round_trip(content: Content) -> Content {
        let proto = pb::MessageContent::try_from(content).unwrap();
        Content::try_from(proto).unwrap()
    }

    #[test]
    fn text_has_the_documented_shape() {
        let text = Content::Text { text: "hi".into() };
        assert_eq!(
            serde_json::to_value(&text).unwrap(),
            json!({"type": "text", "text": "hi"})
        );
        assert_eq!(
            from_json(json!({"type": "text", "text": "hi"})).unwrap(),
            text
        );
    }

    #[test]
    fn every_sendable_kind_survives_the_trip_through_proto() {
        let contents = [
            json!({"type": "text", "text": "hello"}),
            json!({"type": "image", "url": "https://x/a.png", "size_bytes": 10, "width": 3, "height": 4, "mime": "image/png"}),
            json!({"type": "file", "url": "https://x/a.pdf", "size_bytes": 5, "name": "a.pdf", "mime": "application/pdf"}),
            json!({"type": "voice", "url": "https://x/a.ogg", "size_bytes": 7, "duration_ms": 1500, "mime": "audio/ogg"}),
            json!({"type": "image", "url": "/api/v1/files/3", "size_bytes": 10, "width": 3, "height": 4, "mime": "image/png", "file_id": 3, "thumbnail_url": "/api/v1/files/3/thumbnail"}),
            json!({"type": "voice", "url": "/api/v1/files/4", "size_bytes": 7, "duration_ms": 1500, "mime": "audio/webm", "file_id": 4}),
            json!({"type": "custom", "data": {"card": [1, 2, {"k": null}], "big": u64::MAX}}),
        ];
        for value in contents {
            let content = from_json(value.clone()).unwrap();
            assert_eq!(round_trip(content.clone()), content);
            assert_eq!(serde_json::to_value(&content).unwrap(), value);
        }
    }

    #[test]
    fn absent_optional_fields_default_to_zero_and_empty() {
        let image = from_json(json!({"type": "image", "url": "u"})).unwrap();
        assert_eq!(
            image,
            Content::Image {
                url: "u".into(),
                size_bytes: 0,
                width: 0,
                height: 0,
                mime: String::new(),
                file_id: 0,
                thumbnail_url: String::new(),
            }
        );
        let voice = from_json(json!({"type": "voice", "url": "u"})).unwrap();
        assert_eq!(
            serde_json::to_value(&voice).unwrap(),
            json!({"type": "voice", "url": "u", "size_bytes": 0, "duration_ms": 0, "mime": ""})
        );
    }

    #[test]
    fn unknown_or_missing_type_is_refused() {
        let unknown = from_json(json!({"type": "sticker", "id": 3})).unwrap_err();
        assert!(unknown.to_string().contains("unknown variant `sticker`"));
        let missing = from_json(json!({"text": "hi"})).unwrap_err();
        assert!(missing.to_string().contains("missing field `type`"));
    }

    #[test]
    fn required_fields_are_required() {
        assert!(from_json(json!({"type": "text"})).is_err());
        // Media needs a url or a file_id: the message service decides, as only it knows files.
        assert!(from_json(json!({"type": "file", "name": "a"})).is_ok());
        assert!(from_json(json!({"type": "file", "file_id": -1})).is_err());
        assert!(from_json(json!({"type": "custom"})).is_err());
        assert!(from_json(json!({"type": "image", "url": "u", "width": -1})).is_err());
    }

    #[test]
    fn custom_data_is_a_json_value_and_travels_as_a_json_string() {
        let content = from_json(json!({"type": "custom", "data": {"a": [1, "b"]}})).unwrap();
        let proto = pb::MessageContent::try_from(content).unwrap();
        assert_eq!(
            proto.body,
            Some(Body::Custom(pb::CustomContent {
                json: r#"{"a":[1,"b"]}"#.into()
            }))
        );
        let null = from_json(json!({"type": "custom", "data": null})).unwrap();
        assert_eq!(round_trip(null.clone()), null);
    }

    /// Found by the `content` fuzz target: without serde_json's `float_roundtrip`, 2542e225 was
    /// read one bit off, and the stored number read back as yet another.
    #[test]
    fn numbers_in_custom_content_are_stored_and_shown_as_sent() {
        let content: Content =
            serde_json::from_str(r#"{"type": "custom", "data": [2542e225, 0.1, 1e-7]}"#).unwrap();
        let Content::Custom { data } = &content else {
            panic!("custom")
        };
        assert_eq!(data[0].as_f64(), Some(2.542e228));
        assert_eq!(round_trip(content.clone()), content);
    }

    #[test]
    fn a_client_cannot_send_a_recall_marker() {
        let recalled =
            from_json(json!({"type": "recalled", "recalled_at_ms": 5, "recalled_seq": 2})).unwrap();
        let error = pb::MessageContent::try_from(recalled).unwrap_err();
        assert_eq!(error, WireError::ServerOnlyContent("recalled"));
        assert!(error.to_string().contains("set by the server"));
    }

    #[test]
    fn a_recall_marker_from_the_server_is_shown() {
        let proto = pb::MessageContent {
            body: Some(Body::Recalled(pb::RecalledContent {
                recalled_at_ms: 1_700_000_000_000,
                recalled_seq: 41,
            })),
        };
        let content = Content::try_from(proto).unwrap();
        assert_eq!(
            serde_json::to_value(&content).unwrap(),
            json!({"type": "recalled", "recalled_at_ms": 1_700_000_000_000_i64, "recalled_seq": 41})
        );
    }

    #[test]
    fn stored_custom_content_that_is_not_json_is_an_error() {
        let proto = pb::MessageContent {
            body: Some(Body::Custom(pb::CustomContent {
                json: "{not json".into(),
            })),
        };
        assert!(matches!(
            Content::try_from(proto),
            Err(WireError::InvalidCustomJson(_))
        ));
    }

    #[test]
    fn content_without_a_body_is_an_error() {
        let error = Content::try_from(pb::MessageContent { body: None }).unwrap_err();
        assert_eq!(error, WireError::Missing("message content"));
    }
}
