//! The type of an upload, from its first bytes only: the client's `Content-Type` and the name's
//! extension are never trusted, since the type decides how a browser treats the download.

use super::Kind;

/// Enough for every signature `infer` knows (the deepest, such as tar's, sit within 8 KiB).
pub const SNIFF_BYTES: usize = 8 * 1024;

/// What a `file` whose type nobody knows is served as.
const UNKNOWN: &str = "application/octet-stream";

/// Raster formats every browser shows; SVG (which can carry scripts) is not among them.
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// An EBML header: WebM and Matroska both start with it.
const EBML_MAGIC: [u8; 4] = [0x1a, 0x45, 0xdf, 0xa3];

/// The type of an upload of `kind` that starts with `head`, or None when it is not allowed for
/// the kind.
pub fn sniff(kind: Kind, head: &[u8]) -> Option<&'static str> {
    let found = infer::get(head).map(|found| found.mime_type());
    match kind {
        Kind::Image => found.filter(|mime| IMAGE_TYPES.contains(mime)),
        Kind::Voice => voice_type(head, found),
        Kind::File => Some(found.unwrap_or(UNKNOWN)),
    }
}

/// Browsers record voice as WebM (Chrome, Firefox), MP4 (Safari) or Ogg; phones send MP4 or
/// MP3. `infer` names WebM only when its doctype lies in the first 256 bytes, and as video, so
/// an EBML header is taken as WebM audio on its own.
fn voice_type(head: &[u8], found: Option<&'static str>) -> Option<&'static str> {
    if head.starts_with(&EBML_MAGIC) {
        return Some("audio/webm");
    }
    match found? {
        "audio/ogg" | "audio/opus" => Some("audio/ogg"),
        "audio/m4a" => Some("audio/mp4"),
        "audio/mpeg" => Some("audio/mpeg"),
        _ => None,
    }
}

/// What the kind allows, for the 415's message.
pub fn allowed(kind: Kind) -> &'static str {
    match kind {
        Kind::Image => "an image is a PNG, JPEG, GIF or WebP",
        Kind::Voice => "a voice note is WebM, Ogg, MP4 (m4a) or MP3 audio",
        Kind::File => "any file is allowed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

    #[test]
    fn images_are_the_four_raster_formats() {
        assert_eq!(sniff(Kind::Image, &PNG), Some("image/png"));
        assert_eq!(
            sniff(Kind::Image, &[0xff, 0xd8, 0xff, 0xe0]),
            Some("image/jpeg")
        );
        assert_eq!(sniff(Kind::Image, b"GIF89a......"), Some("image/gif"));
        assert_eq!(sniff(Kind::Image, b"hello, world"), None);
        assert_eq!(
            sniff(Kind::Image, b"<svg xmlns=\"http://www.w3.org/2000/svg\">"),
            None
        );
        assert_eq!(sniff(Kind::Image, &[]), None);
    }

    #[test]
    fn voice_takes_the_recorders_containers() {
        let mut webm = EBML_MAGIC.to_vec();
        webm.resize(64, 0);
        assert_eq!(sniff(Kind::Voice, &webm), Some("audio/webm"));
        assert_eq!(sniff(Kind::Voice, b"OggS\0\x02......"), Some("audio/ogg"));
        assert_eq!(
            sniff(Kind::Voice, b"\0\0\0\x20ftypM4A \0\0\0\0"),
            Some("audio/mp4")
        );
        assert_eq!(
            sniff(Kind::Voice, b"ID3\x04\0\0\0\0\0\0"),
            Some("audio/mpeg")
        );
        assert_eq!(sniff(Kind::Voice, &PNG), None);
    }

    #[test]
    fn any_file_goes_with_a_type_or_without() {
        assert_eq!(sniff(Kind::File, &PNG), Some("image/png"));
        assert_eq!(sniff(Kind::File, b"plain text"), Some(UNKNOWN));
        assert_eq!(sniff(Kind::File, &[]), Some(UNKNOWN));
    }
}
