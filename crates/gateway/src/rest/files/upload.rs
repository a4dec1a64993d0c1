//! `POST /files?kind=image|voice|file&name=...`: the raw body streamed into object storage.
//! Counted against the kind's limit (413 the moment it is passed), hashed and sniffed as it
//! passes, written as a multipart upload so that nothing is visible until it completes, then
//! registered with the message service. Whatever fails on the way leaves nothing stored. The
//! seed's `file/upload` streams its multipart field through the same [`store_upload`].

use std::fmt::Display;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use chat_common::files::is_file_name;
use chat_common::internal::InternalChannel;
use chat_proto::message as pb;
use chat_proto::message::message_client::MessageClient;
use futures::{Stream, StreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::sniff::{SNIFF_BYTES, allowed, sniff};
use crate::limits::Action;
use chat_common::hex::lower as hex;

use super::{Files, Kind, storage_error};
use crate::rest::RestState;
use crate::rest::error::ApiError;
use crate::rest::extract::{Caller, QueryParams};

/// Parts of a multipart upload: S3's smallest, so that the same code serves it later.
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts written at once: with the part being filled, at most three parts of one upload are in
/// memory.
const PARTS_IN_FLIGHT: usize = 2;
/// The name of a file uploaded without one.
const DEFAULT_NAME: &str = "file";

#[derive(Deserialize)]
pub struct UploadQuery {
    kind: Kind,
    name: Option<String>,
}

/// The answer to an upload.
#[derive(Serialize)]
pub struct Uploaded {
    file_id: u64,
    kind: String,
    mime: String,
    size_bytes: u64,
    sha256: String,
    name: String,
}

impl From<pb::FileInfo> for Uploaded {
    fn from(file: pb::FileInfo) -> Self {
        Self {
            file_id: file.file_id,
            kind: file.kind,
            mime: file.mime,
            size_bytes: file.size_bytes,
            sha256: file.sha256,
            name: file.name,
        }
    }
}

pub async fn upload(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    QueryParams(query): QueryParams<UploadQuery>,
    body: Body,
) -> Result<(StatusCode, Json<Uploaded>), ApiError> {
    state
        .limits
        .check(Action::Upload, Some(caller.user_id), &caller.addr)
        .await?;
    let upload = NewUpload {
        uploader: caller.user_id,
        kind: query.kind,
        name: query.name.unwrap_or_else(|| DEFAULT_NAME.to_owned()),
    };
    let file = store_upload(
        &state.files,
        &state.message,
        upload,
        body.into_data_stream(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(file.into())))
}

/// An upload on its way in: whose it is, what it is meant to be, what it is called.
pub struct NewUpload {
    pub uploader: u64,
    pub kind: Kind,
    /// Checked here ([`is_file_name`]): 400 `invalid_name` otherwise.
    pub name: String,
}

/// Streams `body` into storage as `upload` and registers it with the message service: the one
/// path of every upload (our `POST /files`, the seed's `file/upload`), so the limits, the
/// sniffing and the quota are the same whichever API the bytes came through.
pub async fn store_upload<S, E>(
    files: &Files,
    message: &MessageClient<InternalChannel>,
    upload: NewUpload,
    body: S,
) -> Result<pb::FileInfo, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let store = files.store()?;
    let NewUpload {
        uploader,
        kind,
        name,
    } = upload;
    if !is_file_name(&name) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "a file name is 1-255 characters without control characters",
        ));
    }
    let mut intake = Intake {
        body,
        hasher: Sha256::new(),
        size: 0,
        limit: files.limits.of(kind),
        // A picture (at most its kind's limit, 20 MiB by default) is kept to make its
        // thumbnail; every other kind only streams through.
        kept: (kind == Kind::Image).then(Vec::new),
    };
    let head = intake.head().await?;
    let mime = sniff(kind, &head).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            format!(
                "the content is not allowed for kind={}: {}",
                kind.as_str(),
                allowed(kind)
            ),
        )
    })?;
    let location = Path::from(object_key(uploader)?);
    store_all(store, &location, head, &mut intake).await?;
    let picture = match intake.kept.take() {
        Some(bytes) => match picture(files, store, &location, bytes).await {
            Ok(picture) => picture,
            Err(error) => {
                forget(store, &[&location]).await;
                return Err(error);
            }
        },
        None => Picture::default(),
    };
    let registered = message
        .clone()
        .register_file(pb::RegisterFileRequest {
            actor_id: uploader,
            kind: kind.as_str().to_owned(),
            mime: mime.to_owned(),
            size_bytes: intake.size,
            sha256: hex(&intake.hasher.finalize()),
            object_key: location.to_string(),
            name,
            width: picture.width,
            height: picture.height,
            thumbnail_key: picture
                .thumbnail
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        })
        .await;
    match registered {
        Ok(file) => Ok(file.into_inner()),
        Err(status) => {
            // No row will ever name the objects (over quota, or the service failed).
            let mut stored = vec![&location];
            stored.extend(picture.thumbnail.as_ref());
            forget(store, &stored).await;
            Err(status.into())
        }
    }
}

/// What the gateway learnt of an uploaded picture.
#[derive(Default)]
struct Picture {
    width: u32,
    height: u32,
    thumbnail: Option<Path>,
}

/// Decodes the picture stored at `location` (415 when it does not decode) and stores its
/// thumbnail beside it.
async fn picture(
    files: &Files,
    store: &dyn ObjectStore,
    location: &Path,
    bytes: Vec<u8>,
) -> Result<Picture, ApiError> {
    let made = files.thumbnails.make(bytes).await?;
    let thumbnail = Path::from(format!("{location}.thumb"));
    store
        .put(&thumbnail, made.jpeg.into())
        .await
        .map_err(storage_error)?;
    Ok(Picture {
        width: made.width,
        height: made.height,
        thumbnail: Some(thumbnail),
    })
}

/// Deletes objects no row will name.
async fn forget(store: &dyn ObjectStore, locations: &[&Path]) {
    for location in locations {
        if let Err(error) = store.delete(location).await {
            tracing::warn!(%error, %location, "could not delete an unregistered upload");
        }
    }
}

/// `files/{uploader}/{128 random bits in hex}`: unguessable, and grouped by uploader so that
/// one user's files can be listed and removed together.
fn object_key(uploader: u64) -> Result<String, ApiError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|error| {
        tracing::error!(%error, "no randomness for an object key");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the upload could not be named; the failure is logged",
        )
    })?;
    Ok(format!("files/{uploader}/{}", hex(&random)))
}

/// The request body as it arrives, counted against the kind's limit and hashed.
struct Intake<S> {
    body: S,
    hasher: Sha256,
    size: u64,
    limit: u64,
    /// The whole body, when it is wanted after the upload (pictures).
    kept: Option<Vec<u8>>,
}

impl<S, E> Intake<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    /// The next chunk, counted and hashed; None at the end of the body.
    async fn next(&mut self) -> Result<Option<Bytes>, ApiError> {
        let Some(chunk) = self.body.next().await else {
            return Ok(None);
        };
        let chunk = chunk.map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "upload_incomplete",
                format!("the body did not arrive whole: {error}"),
            )
        })?;
        self.size = self.size.saturating_add(chunk.len() as u64);
        if self.size > self.limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "file_too_large",
                format!("a file of this kind is at most {} bytes", self.limit),
            ));
        }
        self.hasher.update(&chunk);
        if let Some(kept) = &mut self.kept {
            kept.extend_from_slice(&chunk);
        }
        Ok(Some(chunk))
    }

    /// The first bytes (at least [`SNIFF_BYTES`] unless the body is shorter), to sniff before
    /// anything is stored.
    async fn head(&mut self) -> Result<Vec<u8>, ApiError> {
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        while head.len() < SNIFF_BYTES {
            match self.next().await? {
                Some(chunk) => head.extend_from_slice(&chunk),
                None => break,
            }
        }
        Ok(head)
    }
}

/// Writes `head` and the rest of the body to `location`; on any failure the multipart upload
/// is aborted, so nothing stays behind. (When the client goes away, hyper drops this future
/// with the upload, whose staging file `LocalFileSystem` removes on drop.)
async fn store_all<S, E>(
    store: &dyn ObjectStore,
    location: &Path,
    head: Vec<u8>,
    intake: &mut Intake<S>,
) -> Result<(), ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let upload = store.put_multipart(location).await.map_err(storage_error)?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
    writer.put(Bytes::from(head));
    if let Err(error) = copy(&mut writer, intake).await {
        if let Err(abort) = writer.abort().await {
            tracing::warn!(error = %abort, %location, "could not abort an upload");
        }
        return Err(error);
    }
    writer.finish().await.map_err(storage_error)?;
    Ok(())
}

async fn copy<S, E>(writer: &mut WriteMultipart, intake: &mut Intake<S>) -> Result<(), ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    while let Some(chunk) = intake.next().await? {
        writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(storage_error)?;
        writer.put(chunk);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_are_the_uploaders_and_random() {
        let one = object_key(7).unwrap();
        assert!(one.starts_with("files/7/"));
        assert_eq!(one.len(), "files/7/".len() + 32);
        assert_ne!(one, object_key(7).unwrap());
    }
}
