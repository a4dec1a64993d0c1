//! `Content-Disposition` of a download: `inline` only for what browsers show as media (raster
//! images, audio), `attachment` for everything that could run or render as a document; the
//! name both as safe ASCII and RFC 5987 encoded, so that no name can break out of the header.

/// The header value for a file of type `mime` named `name`.
pub fn content_disposition(mime: &str, name: &str) -> String {
    let disposition = if is_media(mime) {
        "inline"
    } else {
        "attachment"
    };
    format!(
        "{disposition}; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_name(name),
        percent_encoded(name)
    )
}

/// SVG is an image that can carry scripts: not media here.
fn is_media(mime: &str) -> bool {
    (mime.starts_with("image/") && mime != "image/svg+xml") || mime.starts_with("audio/")
}

/// The name with everything but letters, digits and a few plain marks replaced by `_`
/// (quotes, backslashes, separators and non-ASCII included).
fn ascii_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_()+,".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match safe.trim() {
        "" => "file".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

/// RFC 5987 `value-chars`: attr-chars as they are, every other byte of the UTF-8 as %XX.
fn percent_encoded(name: &str) -> String {
    name.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_is_inline_and_the_rest_an_attachment() {
        assert!(content_disposition("image/png", "a.png").starts_with("inline;"));
        assert!(content_disposition("audio/webm", "a").starts_with("inline;"));
        assert!(content_disposition("image/svg+xml", "a.svg").starts_with("attachment;"));
        assert!(content_disposition("text/html", "a.html").starts_with("attachment;"));
        assert!(content_disposition("application/octet-stream", "a").starts_with("attachment;"));
    }

    #[test]
    fn names_cannot_break_out_of_the_header() {
        assert_eq!(
            content_disposition("image/png", "évil\"; x=\\y.png"),
            "inline; filename=\"_vil__ x__y.png\"; filename*=UTF-8''%C3%A9vil%22%3B%20x%3D%5Cy.png"
        );
        assert_eq!(
            content_disposition("text/plain", "猫"),
            "attachment; filename=\"_\"; filename*=UTF-8''%E7%8C%AB"
        );
    }
}
