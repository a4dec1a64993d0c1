//! The address of a voice note on the seed path, `/api/v1/file/chat/{file_id}`, in both
//! directions. `file/upload` answers it, the client sends it back as a voice message's `content`,
//! and it asks `file/download?fileName=` for the part after `/chat` (`/{file_id}`). Our file ids
//! are the whole key: nothing in the address names an object in storage, and who may read it is
//! decided on each download as for our own `GET /files/{id}`.
//!
//! `/chat` appears once in the address, so however the client cuts it (after `/chat` or after
//! `/chat/`) the key is the id; the address is relative, as the client's other calls are, and
//! carries no extension because a voice note may be WebM, Ogg, MP4 or MP3 (an upload from one of
//! our clients shows on the seed path too).

/// What every voice note address starts with.
pub const PREFIX: &str = "/api/v1/file/chat/";

/// The address the seed client keeps for upload `file_id`.
pub fn voice_url(file_id: u64) -> String {
    format!("{PREFIX}{file_id}")
}

/// What a voice message's `content` names.
#[derive(Debug, PartialEq, Eq)]
pub enum VoiceContent {
    /// One of our uploads (an address [`voice_url`] made).
    Upload(u64),
    /// Anything else: an address of the seed's own store, or of anywhere, kept as it is.
    Foreign,
    /// Our prefix without a file id after it: refused rather than stored as a foreign address
    /// that would look like ours and download nothing.
    Malformed,
}

/// What `content` of a voice message names.
pub fn voice_content(content: &str) -> VoiceContent {
    match content.trim().strip_prefix(PREFIX) {
        None => VoiceContent::Foreign,
        Some(rest) => file_id(rest).map_or(VoiceContent::Malformed, VoiceContent::Upload),
    }
}

/// The upload a `file/download?fileName=` key names: the id with or without a leading `/`, or
/// the whole address, so that it does not matter where the client cut it.
pub fn key_file_id(key: &str) -> Option<u64> {
    let key = key.trim();
    let rest = key
        .strip_prefix(PREFIX)
        .or_else(|| key.strip_prefix('/'))
        .unwrap_or(key);
    file_id(rest)
}

/// A file id as [`voice_url`] writes it: digits only (no sign, no spaces, no extension, no
/// leading zero), at least 1.
fn file_id(text: &str) -> Option<u64> {
    if text.is_empty() || text.starts_with('0') || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_and_its_key_name_the_same_upload() {
        let url = voice_url(42);
        assert_eq!(url, "/api/v1/file/chat/42");
        assert_eq!(voice_content(&url), VoiceContent::Upload(42));
        // The client's key is what follows `/chat`.
        let key = &url[url.find("/chat").map(|at| at + "/chat".len()).unwrap()..];
        assert_eq!(key, "/42");
        assert_eq!(key_file_id(key), Some(42));
    }

    #[test]
    fn keys_are_taken_with_or_without_their_slash_or_whole() {
        assert_eq!(key_file_id("42"), Some(42));
        assert_eq!(key_file_id("/42"), Some(42));
        assert_eq!(key_file_id("/api/v1/file/chat/42"), Some(42));
        assert_eq!(key_file_id(" /42 "), Some(42));
        assert_eq!(key_file_id(&u64::MAX.to_string()), Some(u64::MAX));
    }

    #[test]
    fn keys_that_are_not_exactly_an_id_name_nothing() {
        for key in [
            "",
            "/",
            "//42",
            "0",
            "/0",
            "+42",
            "-42",
            "42.webm",
            "/42/",
            "4 2",
            "files/7/abcdef",
            "/api/v1/files/42",
            "/api/v1/file/chat/",
            "18446744073709551616",
            // Found by the `seed_fields` fuzz target: another spelling of upload 9.
            "09",
            "/007",
        ] {
            assert_eq!(key_file_id(key), None, "{key:?}");
        }
    }

    #[test]
    fn contents_are_ours_foreign_or_malformed() {
        assert_eq!(
            voice_content("/api/v1/file/chat/7"),
            VoiceContent::Upload(7)
        );
        assert_eq!(
            voice_content("http://minio:9000/chat/2024/a.webm"),
            VoiceContent::Foreign
        );
        // Our own download path is not the seed's address: a seed client could not fetch it.
        assert_eq!(voice_content("/api/v1/files/7"), VoiceContent::Foreign);
        assert_eq!(voice_content(""), VoiceContent::Foreign);
        for malformed in [
            "/api/v1/file/chat/",
            "/api/v1/file/chat/x",
            "/api/v1/file/chat/7.webm",
            "/api/v1/file/chat/0",
            "/api/v1/file/chat/7/8",
            "/api/v1/file/chat/07",
        ] {
            assert_eq!(
                voice_content(malformed),
                VoiceContent::Malformed,
                "{malformed}"
            );
        }
    }
}
