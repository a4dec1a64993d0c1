//! What a client may send: the client message id and the content, checked before anything is
//! stored. Media names an uploaded file (completed from what was stored, in `files::attach`) or
//! an external URL.

use chat_common::ServiceError;
use chat_proto::common::MessageContent;
use chat_proto::common::message_content::Body;

/// Size limits of message content.
#[derive(Debug, Clone, Copy)]
pub struct ContentLimits {
    /// Most bytes of text (UTF-8).
    pub text_bytes: usize,
    /// Most bytes of custom JSON.
    pub custom_bytes: usize,
}

const MAX_URL: usize = 2048;
const MAX_NAME: usize = 255;
const MAX_MIME: usize = 127;
const MAX_CLIENT_ID: usize = 64;
/// The longest voice note, in milliseconds (an hour; the seed's client records far less).
const MAX_VOICE_MS: u32 = 3_600_000;

/// Client ids starting with this are the server's own (recall events).
pub const RESERVED_PREFIX: char = '#';

/// A client message id: 1-64 printable ASCII characters without spaces, not starting with `#`.
pub fn check_client_msg_id(id: &str) -> Result<(), ServiceError> {
    let printable = id.bytes().all(|b| b.is_ascii_graphic());
    if id.is_empty() || id.len() > MAX_CLIENT_ID || !printable || id.starts_with(RESERVED_PREFIX) {
        return Err(ServiceError::invalid(
            "invalid_client_msg_id",
            "client_msg_id must be 1-64 printable ASCII characters without spaces, not starting with #",
        ));
    }
    Ok(())
}

/// Checks content a client sends.
pub fn check(content: Option<&MessageContent>, limits: ContentLimits) -> Result<(), ServiceError> {
    let body = content
        .and_then(|content| content.body.as_ref())
        .ok_or_else(|| ServiceError::invalid("invalid_content", "a message needs content"))?;
    match body {
        Body::Text(text) => {
            if text.text.trim().is_empty() {
                return Err(ServiceError::invalid("invalid_content", "text is empty"));
            }
            at_most("text", text.text.len(), limits.text_bytes)
        }
        Body::Image(image) => {
            media(image.file_id, &image.url)?;
            if image.file_id == 0 && !image.thumbnail_url.is_empty() {
                url(&image.thumbnail_url)?;
            }
            mime(&image.mime)
        }
        Body::File(file) => {
            media(file.file_id, &file.url)?;
            mime(&file.mime)?;
            if file.name.len() > MAX_NAME {
                return Err(ServiceError::invalid(
                    "invalid_content",
                    format!("a file name is at most {MAX_NAME} bytes"),
                ));
            }
            Ok(())
        }
        Body::Voice(voice) => {
            media(voice.file_id, &voice.url)?;
            if voice.duration_ms > MAX_VOICE_MS {
                return Err(ServiceError::invalid(
                    "invalid_content",
                    format!("a voice note lasts at most {MAX_VOICE_MS} ms"),
                ));
            }
            mime(&voice.mime)
        }
        Body::Custom(custom) => {
            at_most("custom JSON", custom.json.len(), limits.custom_bytes)?;
            serde_json::from_str::<serde_json::Value>(&custom.json)
                .map(drop)
                .map_err(|error| {
                    ServiceError::invalid(
                        "invalid_content",
                        format!("custom content is not JSON: {error}"),
                    )
                })
        }
        Body::Recalled(_) => Err(ServiceError::invalid(
            "invalid_content",
            "recalled content is set by the server; use recall",
        )),
    }
}

fn at_most(what: &str, bytes: usize, limit: usize) -> Result<(), ServiceError> {
    if bytes > limit {
        return Err(ServiceError::invalid(
            "content_too_large",
            format!("{what} is {bytes} bytes; the limit is {limit}"),
        ));
    }
    Ok(())
}

/// Media names an uploaded file (whose address the server fills in) or an external URL.
fn media(file_id: u64, address: &str) -> Result<(), ServiceError> {
    if file_id != 0 {
        return Ok(());
    }
    url(address)
}

fn url(url: &str) -> Result<(), ServiceError> {
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let clean = !url
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control());
    if !scheme_ok || !clean || url.len() > MAX_URL {
        return Err(ServiceError::invalid(
            "invalid_content",
            format!("media needs an http(s) URL of at most {MAX_URL} bytes"),
        ));
    }
    Ok(())
}

fn mime(mime: &str) -> Result<(), ServiceError> {
    if mime.len() > MAX_MIME || mime.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(ServiceError::invalid(
            "invalid_content",
            format!("a MIME type is at most {MAX_MIME} bytes without spaces"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_proto::common::{
        CustomContent, FileContent, ImageContent, RecalledContent, TextContent, VoiceContent,
    };

    const LIMITS: ContentLimits = ContentLimits {
        text_bytes: 8,
        custom_bytes: 16,
    };

    fn content(body: Body) -> MessageContent {
        MessageContent { body: Some(body) }
    }

    fn text(text: &str) -> MessageContent {
        content(Body::Text(TextContent { text: text.into() }))
    }

    fn code(result: Result<(), ServiceError>) -> String {
        match result {
            Err(ServiceError::Invalid { code, .. }) => code.to_owned(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn text_within_the_limit_passes() {
        assert!(check(Some(&text("hello")), LIMITS).is_ok());
        assert!(check(Some(&text("12345678")), LIMITS).is_ok());
    }

    #[test]
    fn text_over_the_limit_or_blank_is_refused() {
        assert_eq!(
            code(check(Some(&text("123456789")), LIMITS)),
            "content_too_large"
        );
        assert_eq!(code(check(Some(&text("  ")), LIMITS)), "invalid_content");
        assert_eq!(code(check(None, LIMITS)), "invalid_content");
        assert_eq!(
            code(check(Some(&MessageContent { body: None }), LIMITS)),
            "invalid_content"
        );
    }

    #[test]
    fn media_needs_an_http_url() {
        let image = |url: &str| {
            content(Body::Image(ImageContent {
                url: url.into(),
                ..Default::default()
            }))
        };
        assert!(check(Some(&image("https://cdn.example/a.png")), LIMITS).is_ok());
        assert_eq!(
            code(check(Some(&image("javascript:alert(1)")), LIMITS)),
            "invalid_content"
        );
        assert_eq!(
            code(check(Some(&image("https://a b")), LIMITS)),
            "invalid_content"
        );
        let long_name = content(Body::File(FileContent {
            url: "https://cdn.example/f".into(),
            name: "n".repeat(300),
            ..Default::default()
        }));
        assert_eq!(code(check(Some(&long_name), LIMITS)), "invalid_content");
    }

    #[test]
    fn media_naming_a_file_needs_no_url_and_voice_notes_are_bounded() {
        let uploaded = content(Body::Image(ImageContent {
            file_id: 5,
            thumbnail_url: "javascript:x".into(),
            ..Default::default()
        }));
        // The server overwrites both addresses of an uploaded file.
        assert!(check(Some(&uploaded), LIMITS).is_ok());
        let external_thumbnail = content(Body::Image(ImageContent {
            url: "https://cdn.example/a.png".into(),
            thumbnail_url: "javascript:x".into(),
            ..Default::default()
        }));
        assert_eq!(
            code(check(Some(&external_thumbnail), LIMITS)),
            "invalid_content"
        );
        let voice = |duration_ms| {
            content(Body::Voice(VoiceContent {
                file_id: 5,
                duration_ms,
                ..Default::default()
            }))
        };
        assert!(check(Some(&voice(MAX_VOICE_MS)), LIMITS).is_ok());
        assert_eq!(
            code(check(Some(&voice(MAX_VOICE_MS + 1)), LIMITS)),
            "invalid_content"
        );
    }

    #[test]
    fn custom_content_must_be_json_within_the_limit() {
        let custom = |json: &str| content(Body::Custom(CustomContent { json: json.into() }));
        assert!(check(Some(&custom(r#"{"a":1}"#)), LIMITS).is_ok());
        assert_eq!(
            code(check(Some(&custom("{nope")), LIMITS)),
            "invalid_content"
        );
        assert_eq!(
            code(check(
                Some(&custom(&format!("\"{}\"", "x".repeat(20)))),
                LIMITS
            )),
            "content_too_large"
        );
    }

    #[test]
    fn clients_cannot_send_recalled_content() {
        let recalled = content(Body::Recalled(RecalledContent::default()));
        assert_eq!(code(check(Some(&recalled), LIMITS)), "invalid_content");
    }

    #[test]
    fn client_ids_are_short_printable_and_not_reserved() {
        assert!(check_client_msg_id("a1-b2_c3.d4:e5").is_ok());
        for bad in ["", "has space", "#recall", "é", &"x".repeat(65)] {
            assert!(check_client_msg_id(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
