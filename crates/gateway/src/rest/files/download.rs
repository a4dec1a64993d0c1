//! `GET /files/{id}` and `GET /files/{id}/thumbnail`, with a bearer token or a signed address:
//! the message service decides whether that user may read the file (404 when not, as for ids
//! that name nothing), then the object streams from storage, whole or one `Range`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chat_common::files::{download_path, thumbnail_path};
use chat_common::internal::InternalChannel;
use chat_proto::message as pb;
use chat_proto::message::message_client::MessageClient;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStoreExt};

use super::disposition::content_disposition;
use super::range::{Wanted, wanted};
use super::reader::Reader;
use super::{Files, storage_error};
use crate::rest::RestState;
use crate::rest::error::ApiError;
use crate::rest::extract::IdPath;

/// The file as uploaded.
pub async fn download(
    State(state): State<Arc<RestState>>,
    IdPath(id): IdPath,
    reader: Reader,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = reader.user(&state, &download_path(id))?;
    serve_file(&state.files, &state.message, user, id, &headers).await
}

/// File `id` for `user`, when the message service says they may read it (404 otherwise): the
/// one download path of both APIs (ours above, the seed's `file/download`).
pub async fn serve_file(
    files: &Files,
    message: &MessageClient<InternalChannel>,
    user: u64,
    id: u64,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let file = authorized(message, user, id).await?;
    let stored = Stored {
        key: file.object_key,
        mime: file.mime,
        name: file.name,
        size: file.size_bytes,
    };
    serve(files, id, stored, headers).await
}

/// The JPEG the gateway made of an uploaded image (404 when it made none).
pub async fn thumbnail(
    State(state): State<Arc<RestState>>,
    IdPath(id): IdPath,
    reader: Reader,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = reader.user(&state, &thumbnail_path(id))?;
    let file = authorized(&state.message, user, id).await?;
    if file.thumbnail_key.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("file {id} has no thumbnail"),
        ));
    }
    let location = Path::from(file.thumbnail_key.as_str());
    let meta = state
        .files
        .store()?
        .head(&location)
        .await
        .map_err(storage_error)?;
    let stored = Stored {
        key: file.thumbnail_key,
        mime: "image/jpeg".to_owned(),
        name: "thumbnail.jpg".to_owned(),
        size: meta.size,
    };
    serve(&state.files, id, stored, &headers).await
}

/// The file, when `user` may read it.
async fn authorized(
    message: &MessageClient<InternalChannel>,
    user: u64,
    id: u64,
) -> Result<pb::FileInfo, ApiError> {
    Ok(message
        .clone()
        .authorize_file(pb::AuthorizeFileRequest {
            actor_id: user,
            file_id: id,
        })
        .await?
        .into_inner())
}

/// An object to serve, and what to call it.
struct Stored {
    key: String,
    mime: String,
    name: String,
    size: u64,
}

async fn serve(
    files: &Files,
    id: u64,
    file: Stored,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let store = files.store()?;
    let size = file.size;
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok());
    let (status, part) = match wanted(range, size) {
        Wanted::Whole => (StatusCode::OK, None),
        Wanted::Part { start, end } => (StatusCode::PARTIAL_CONTENT, Some((start, end))),
        Wanted::Unsatisfiable => return Ok(unsatisfiable(size)),
    };
    let options = GetOptions {
        range: part.map(|(start, end)| GetRange::Bounded(start..end + 1)),
        ..GetOptions::default()
    };
    let object = store
        .get_opts(&Path::from(file.key.as_str()), options)
        .await
        .map_err(storage_error)?;
    let length = part.map_or(size, |(start, end)| end - start + 1);
    let mime = HeaderValue::from_str(&file.mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, mime)
        .header(header::CONTENT_LENGTH, length)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(
            header::CONTENT_DISPOSITION,
            content_disposition(&file.mime, &file.name),
        )
        .header(header::CACHE_CONTROL, "private, max-age=0")
        .header(header::ACCEPT_RANGES, "bytes");
    if let Some((start, end)) = part {
        response = response.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"));
    }
    response
        .body(Body::from_stream(object.into_stream()))
        .map_err(|error| {
            tracing::error!(%error, file = id, "could not build a download");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the download could not be answered; the failure is logged",
            )
        })
}

/// 416, naming the size so that the client can ask again.
fn unsatisfiable(size: u64) -> Response {
    let mut response = ApiError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
        format!("the file has {size} bytes"),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, value);
    }
    response
}
