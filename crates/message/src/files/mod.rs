//! Files (ADR 0011): the gateway stores the bytes in object storage, then registers them here
//! within the uploader's quota (this file); a message carries one by id (`attach`), a user or
//! group shows one as its avatar (`avatar`), and every download asks here first (`authorize`).

mod attach;
mod authorize;
mod avatar;
pub mod sweep;

use chat_common::ServiceError;
use chat_common::error::retrying;
use chat_common::files::is_file_name;
use chat_proto::message as pb;

use crate::clock::now_ms;
use crate::service::Service;
use crate::store::files::{self, FileRow, NewFile};

/// The kinds of file, each with its own size limit and allowed types at the gateway.
const KINDS: [&str; 3] = ["image", "voice", "file"];
/// Longest sniffed type (the column is VARCHAR(127); RFC 6838 caps each half at 127).
const MAX_MIME_CHARS: usize = 127;

impl Service {
    pub async fn register_file(
        &self,
        request: pb::RegisterFileRequest,
    ) -> Result<pb::FileInfo, ServiceError> {
        check(&request)?;
        let file = NewFile {
            uploader_id: request.actor_id,
            kind: &request.kind,
            mime: &request.mime,
            size_bytes: request.size_bytes,
            sha256: &request.sha256,
            object_key: &request.object_key,
            name: &request.name,
            created_at_ms: now_ms(),
            width: request.width,
            height: request.height,
            thumbnail_key: &request.thumbnail_key,
        };
        let quota = self.rules.file_quota_bytes;
        let inserted =
            retrying(|| async { Ok(files::insert_within_quota(&self.db, &file, quota).await?) })
                .await?;
        let Some(id) = inserted else {
            return Err(ServiceError::Exhausted {
                code: "quota_exceeded",
                message: format!("your files would take more than {quota} bytes; delete some"),
            });
        };
        Ok(pb::FileInfo {
            file_id: id,
            uploader_id: file.uploader_id,
            kind: request.kind.clone(),
            mime: request.mime.clone(),
            size_bytes: file.size_bytes,
            sha256: request.sha256.clone(),
            object_key: request.object_key.clone(),
            name: request.name.clone(),
            created_at_ms: file.created_at_ms,
            width: request.width,
            height: request.height,
            thumbnail_key: request.thumbnail_key.clone(),
        })
    }
}

/// What the gateways are told about a stored file.
fn info(row: FileRow) -> pb::FileInfo {
    pb::FileInfo {
        file_id: row.id,
        uploader_id: row.uploader_id,
        kind: row.kind,
        mime: row.mime,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        object_key: row.object_key,
        name: row.name,
        created_at_ms: row.created_at_ms,
        width: row.width,
        height: row.height,
        thumbnail_key: row.thumbnail_key,
    }
}

/// The gateway computed these fields; a request that breaks them is a gateway bug, refused
/// before it reaches the table.
fn check(request: &pb::RegisterFileRequest) -> Result<(), ServiceError> {
    let invalid = |what: &str| ServiceError::invalid("invalid_file", what.to_owned());
    if request.actor_id == 0 {
        return Err(invalid("a file needs its uploader"));
    }
    if !KINDS.contains(&request.kind.as_str()) {
        return Err(invalid("kind is one of image, voice, file"));
    }
    let mime = &request.mime;
    if mime.is_empty()
        || mime.len() > MAX_MIME_CHARS
        || !mime.bytes().all(|byte| byte.is_ascii_graphic())
        || !mime.contains('/')
    {
        return Err(invalid("mime is a media type such as image/png"));
    }
    if request.sha256.len() != 64
        || !request
            .sha256
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(invalid("sha256 is 64 lowercase hex digits"));
    }
    let own = format!("files/{}/", request.actor_id);
    let owned = |key: &str| {
        key.starts_with(&own) && key.len() <= 255 && key.bytes().all(|byte| byte.is_ascii_graphic())
    };
    if !owned(&request.object_key) {
        return Err(invalid("the object key lies under files/{uploader}/"));
    }
    if !request.thumbnail_key.is_empty()
        && (request.kind != "image" || !owned(&request.thumbnail_key))
    {
        return Err(invalid(
            "a thumbnail belongs to an image and lies under files/{uploader}/",
        ));
    }
    if request.kind != "image" && (request.width, request.height) != (0, 0) {
        return Err(invalid("only images have dimensions"));
    }
    if !is_file_name(&request.name) {
        return Err(invalid(
            "a file name is 1-255 characters without control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> pb::RegisterFileRequest {
        pb::RegisterFileRequest {
            actor_id: 7,
            kind: "image".into(),
            mime: "image/png".into(),
            size_bytes: 67,
            sha256: "a".repeat(64),
            object_key: "files/7/0123456789abcdef0123456789abcdef".into(),
            name: "cat.png".into(),
            width: 640,
            height: 480,
            thumbnail_key: "files/7/0123456789abcdef0123456789abcdef.thumb".into(),
        }
    }

    #[test]
    fn a_well_formed_registration_passes() {
        assert!(check(&request()).is_ok());
    }

    #[test]
    fn malformed_registrations_are_refused() {
        let cases: [fn(&mut pb::RegisterFileRequest); 9] = [
            |r| r.kind = "video".into(),
            |r| r.mime = "png".into(),
            |r| r.sha256 = "A".repeat(64),
            |r| r.object_key = "files/8/abc".into(),
            |r| r.name = String::new(),
            |r| r.name = "a\nb".into(),
            |r| r.thumbnail_key = "files/8/x.thumb".into(),
            |r| {
                r.kind = "voice".into();
                r.mime = "audio/ogg".into();
            },
            |r| {
                r.kind = "file".into();
                r.thumbnail_key = String::new();
            },
        ];
        for breaks in cases {
            let mut bad = request();
            breaks(&mut bad);
            assert!(check(&bad).is_err(), "{bad:?}");
        }
    }
}
