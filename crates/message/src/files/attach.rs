//! A message that carries an uploaded file: only the sender's own upload, of the kind the
//! content says, and what the content tells about it (address, size, type, name, dimensions)
//! comes from what was stored, never from the client.

use chat_common::ServiceError;
use chat_common::files::{download_path, thumbnail_path};
use chat_proto::common::MessageContent;
use chat_proto::common::message_content::Body;

use crate::clock::now_ms;
use crate::service::Service;
use crate::store::files::{self, FileRow};

impl Service {
    /// Completes media content that names an uploaded file; the file's id, or None when the
    /// content carries none.
    pub async fn attach(
        &self,
        sender: u64,
        content: &mut MessageContent,
    ) -> Result<Option<u64>, ServiceError> {
        let Some(body) = content.body.as_mut() else {
            return Ok(None);
        };
        let file_id = file_of(body);
        if file_id == 0 {
            return Ok(None);
        }
        let row = self.own_upload(sender, file_id).await?;
        fill(body, &row)?;
        Ok(Some(file_id))
    }

    /// `uploader`'s upload `file_id`, when it may still be put to use: already referenced, or
    /// young enough that the sweeper cannot be removing it.
    pub(super) async fn own_upload(
        &self,
        uploader: u64,
        file_id: u64,
    ) -> Result<FileRow, ServiceError> {
        let row = files::by_id(&self.db, file_id)
            .await?
            // Someone else's file is refused like a missing one, so ids cannot be probed.
            .filter(|row| row.uploader_id == uploader)
            .ok_or_else(|| {
                ServiceError::invalid("unknown_file", format!("you have no file {file_id}"))
            })?;
        // The sweeper removes unreferenced uploads at twice this age, so a send (or an avatar)
        // can never reference a file being swept.
        let sendable_ms =
            i64::try_from(self.rules.file_sendable_for.as_millis()).unwrap_or(i64::MAX);
        if row.referenced == 0 && now_ms() - row.created_at_ms > sendable_ms {
            return Err(ServiceError::invalid(
                "unknown_file",
                format!("file {file_id} was uploaded too long ago to be sent; upload it again"),
            ));
        }
        Ok(row)
    }
}

/// The file id media content names (0 for none).
fn file_of(body: &Body) -> u64 {
    match body {
        Body::Image(image) => image.file_id,
        Body::File(file) => file.file_id,
        Body::Voice(voice) => voice.file_id,
        Body::Text(_) | Body::Custom(_) | Body::Recalled(_) => 0,
    }
}

/// Writes what was stored into the content. A picture must be an image upload and a voice
/// note a voice upload (their types were checked then); a file may be any upload.
fn fill(body: &mut Body, row: &FileRow) -> Result<(), ServiceError> {
    let wrong_kind = |wanted: &str| {
        ServiceError::invalid(
            "wrong_file_kind",
            format!("file {} is a {} upload, not {wanted}", row.id, row.kind),
        )
    };
    match body {
        Body::Image(image) => {
            if row.kind != "image" {
                return Err(wrong_kind("an image"));
            }
            image.url = download_path(row.id);
            image.size_bytes = row.size_bytes;
            image.mime = row.mime.clone();
            image.width = row.width;
            image.height = row.height;
            image.thumbnail_url = if row.thumbnail_key.is_empty() {
                String::new()
            } else {
                thumbnail_path(row.id)
            };
        }
        Body::Voice(voice) => {
            if row.kind != "voice" {
                return Err(wrong_kind("a voice note"));
            }
            voice.url = download_path(row.id);
            voice.size_bytes = row.size_bytes;
            voice.mime = row.mime.clone();
        }
        Body::File(file) => {
            file.url = download_path(row.id);
            file.size_bytes = row.size_bytes;
            file.mime = row.mime.clone();
            file.name = row.name.clone();
        }
        Body::Text(_) | Body::Custom(_) | Body::Recalled(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chat_proto::common::{FileContent, ImageContent, VoiceContent};

    use super::*;

    fn row(kind: &str) -> FileRow {
        FileRow {
            id: 9,
            uploader_id: 1,
            kind: kind.into(),
            mime: "image/png".into(),
            size_bytes: 1234,
            sha256: "a".repeat(64),
            object_key: "files/1/abc".into(),
            name: "cat.png".into(),
            created_at_ms: 0,
            width: 640,
            height: 480,
            thumbnail_key: "files/1/abc.thumb".into(),
            referenced: 0,
        }
    }

    #[test]
    fn an_image_takes_everything_from_the_stored_file() {
        let mut body = Body::Image(ImageContent {
            url: "https://evil.example/x.png".into(),
            size_bytes: 1,
            width: 1,
            height: 1,
            mime: "text/html".into(),
            file_id: 9,
            thumbnail_url: "https://evil.example/t.png".into(),
        });
        fill(&mut body, &row("image")).unwrap();
        assert_eq!(
            body,
            Body::Image(ImageContent {
                url: "/api/v1/files/9".into(),
                size_bytes: 1234,
                width: 640,
                height: 480,
                mime: "image/png".into(),
                file_id: 9,
                thumbnail_url: "/api/v1/files/9/thumbnail".into(),
            })
        );
    }

    #[test]
    fn a_file_takes_its_stored_name_and_a_voice_note_keeps_its_duration() {
        let mut file = Body::File(FileContent {
            name: "other.exe".into(),
            file_id: 9,
            ..FileContent::default()
        });
        fill(&mut file, &row("image")).unwrap();
        let Body::File(file) = file else { panic!() };
        assert_eq!((file.name.as_str(), file.size_bytes), ("cat.png", 1234));

        let mut voice = Body::Voice(VoiceContent {
            duration_ms: 2500,
            file_id: 9,
            ..VoiceContent::default()
        });
        fill(&mut voice, &row("voice")).unwrap();
        let Body::Voice(voice) = voice else { panic!() };
        assert_eq!(
            (voice.duration_ms, voice.url.as_str()),
            (2500, "/api/v1/files/9")
        );
    }

    #[test]
    fn media_of_the_wrong_kind_is_refused() {
        let mut image = Body::Image(ImageContent {
            file_id: 9,
            ..ImageContent::default()
        });
        assert!(fill(&mut image, &row("file")).is_err());
        let mut voice = Body::Voice(VoiceContent {
            file_id: 9,
            ..VoiceContent::default()
        });
        assert!(fill(&mut voice, &row("image")).is_err());
    }
}
