//! Rules about uploaded files that the gateway (which refuses early) and the message service
//! (which stores them) must agree on.

/// Longest file name, in characters (the `files.name` column is VARCHAR(255)).
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// 1-255 characters, none of them control characters (which would garble headers and logs).
pub fn is_file_name(name: &str) -> bool {
    (1..=MAX_FILE_NAME_CHARS).contains(&name.chars().count()) && !name.chars().any(char::is_control)
}

/// Where a gateway serves a stored file (ADR 0011): the URL the message service puts in the
/// contents that carry it, and the route the gateways answer.
pub fn download_path(file_id: u64) -> String {
    format!("/api/v1/files/{file_id}")
}

/// The upload an avatar address names: the exact [`download_path`] of a file. Older data keeps
/// external http(s) addresses, which name none (0), as does an empty address.
pub fn avatar_file_id(avatar_url: &str) -> u64 {
    avatar_url
        .strip_prefix("/api/v1/files/")
        .filter(|id| !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_digit()))
        .and_then(|id| id.parse().ok())
        .unwrap_or(0)
}

/// Where a gateway serves a stored image's thumbnail.
pub fn thumbnail_path(file_id: u64) -> String {
    format!("/api/v1/files/{file_id}/thumbnail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_counted_in_characters() {
        assert!(is_file_name("猫.png"));
        assert!(is_file_name(&"é".repeat(255)));
        assert!(!is_file_name(&"é".repeat(256)));
        assert!(!is_file_name(""));
        assert!(!is_file_name("a\u{7}b"));
        assert!(!is_file_name("a\nb"));
    }

    #[test]
    fn only_a_download_path_names_an_avatar_upload() {
        assert_eq!(avatar_file_id(&download_path(42)), 42);
        assert_eq!(avatar_file_id(""), 0);
        assert_eq!(avatar_file_id("https://cdn.example/api/v1/files/42"), 0);
        assert_eq!(avatar_file_id("/api/v1/files/42/thumbnail"), 0);
        assert_eq!(avatar_file_id("/api/v1/files/+42"), 0);
        assert_eq!(avatar_file_id("/api/v1/files/"), 0);
        assert_eq!(avatar_file_id("/api/v1/files/99999999999999999999999"), 0);
    }
}
