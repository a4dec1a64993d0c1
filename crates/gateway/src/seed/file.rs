//! `file/upload` and `file/download`: the seed client's voice notes on our object storage
//! (ADR 0011). An upload is a `voice` upload through the same path as our `POST /files?kind=voice`
//! (the multipart field streams through, counted, hashed and sniffed, never held whole), and is
//! answered with the address of [`super::file_url`]; a download is our `GET /files/{id}`, with
//! the same rights (the uploader, and the readers of a conversation where a message carries it).

use crate::limits::Action;
use chat_wire::seed::requests::DownloadQuery;
use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chat_common::files::is_file_name;

use super::SeedState;
use super::auth::SeedCaller;
use super::envelope::{Done, Envelope, SeedError, SeedResult, code};
use crate::rest::error::ApiError;
use crate::rest::files::{Kind, NewUpload, serve_file, store_upload};
use chat_wire::seed::file_url::{key_file_id, voice_url};

/// The multipart field the seed client puts its recording in.
const FIELD: &str = "file";
/// What an upload is called when its part names no usable file name.
const DEFAULT_NAME: &str = "voice";

/// `file/upload`: `data` is the voice note's address. Whatever refuses the upload (no `file`
/// field, not audio, too large, over the quota, a form cut short) is code 510 with the reason;
/// only an outage keeps its 5xx, as on every seed call.
pub async fn upload(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    form: Result<Multipart, MultipartRejection>,
) -> SeedResult<String> {
    state
        .limits
        .check(Action::Upload, Some(caller.user_id), &caller.addr)
        .await?;
    let mut form = form.map_err(|rejection| upload_failed(rejection.body_text()))?;
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|error| upload_failed(format!("the form did not arrive whole: {error}")))?
            .ok_or_else(|| upload_failed(format!("the form has no `{FIELD}` field")))?;
        // Other fields are skipped (read past, not kept) by the next `next_field`.
        if field.name() != Some(FIELD) {
            continue;
        }
        let name = field
            .file_name()
            .filter(|name| is_file_name(name))
            .unwrap_or(DEFAULT_NAME)
            .to_owned();
        let upload = NewUpload {
            uploader: caller.user_id,
            kind: Kind::Voice,
            name,
        };
        let file = store_upload(&state.files, &state.message, upload, field)
            .await
            .map_err(refused)?;
        return Ok(Done(voice_url(file.file_id)));
    }
}

/// Code 510, the seed's "upload failed", over HTTP 200.
fn upload_failed(remark: impl Into<String>) -> SeedError {
    SeedError::new(code::UPLOAD_FAILED, remark)
}

/// An upload our file path refused: a refusal (4xx) is 510; an outage stays what it is.
fn refused(error: ApiError) -> SeedError {
    if error.status.is_client_error() {
        upload_failed(error.message)
    } else {
        SeedError::from(error)
    }
}

/// `file/download?fileName=`: the raw bytes (with our download's headers, `Range` included).
/// The client reads the answer as a blob whatever it is, so a failure must not be HTTP 200: it
/// is the envelope with a 4xx (401 for a missing or invalid token, 404 for a file the caller may
/// not read or a key that names none, as our downloads answer).
pub async fn download(
    State(state): State<Arc<SeedState>>,
    caller: Result<SeedCaller, SeedError>,
    query: Result<Query<DownloadQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, DownloadError> {
    let caller = caller?;
    let key = query
        .ok()
        .and_then(|Query(query)| query.file_name)
        .ok_or_else(|| SeedError::bad_request("send the fileName query parameter"))?;
    let id = key_file_id(&key)
        .ok_or_else(|| SeedError::new(code::NOT_FOUND, "no voice note has this fileName"))?;
    serve_file(&state.files, &state.message, caller.user_id, id, &headers)
        .await
        .map_err(|error| DownloadError(error.into()))
}

/// A failed download: the envelope, over a status that fails the client's call.
pub struct DownloadError(SeedError);

impl From<SeedError> for DownloadError {
    fn from(error: SeedError) -> Self {
        Self(error)
    }
}

impl IntoResponse for DownloadError {
    fn into_response(self) -> Response {
        let SeedError {
            http,
            code: envelope_code,
            remark,
        } = self.0;
        let body = Envelope {
            code: envelope_code,
            data: Option::<()>::None,
            remark,
        };
        (download_status(http, envelope_code), Json(body)).into_response()
    }
}

/// The HTTP status of a failed download: outages keep theirs; refusals, which the envelope
/// carries over HTTP 200 elsewhere, get the 4xx they stand for.
fn download_status(http: StatusCode, envelope_code: u16) -> StatusCode {
    if http != StatusCode::OK {
        return http;
    }
    match envelope_code {
        code::TOKEN_INVALID | code::TOKEN_MISSING => StatusCode::UNAUTHORIZED,
        code::BAD_REQUEST => StatusCode::BAD_REQUEST,
        code::RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
        // Not allowed reads as not there, as for our downloads.
        _ => StatusCode::NOT_FOUND,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_510_and_outages_keep_their_status() {
        for status in [
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::BAD_REQUEST,
        ] {
            let error = refused(ApiError::new(status, "x", "why"));
            assert_eq!(
                (error.http, error.code, error.remark.as_str()),
                (StatusCode::OK, code::UPLOAD_FAILED, "why")
            );
        }
        let error = refused(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "x", "down"));
        assert_eq!(error.http, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn a_failed_download_is_never_http_200() {
        assert_eq!(
            download_status(StatusCode::OK, code::TOKEN_MISSING),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            download_status(StatusCode::OK, code::NOT_FOUND),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            download_status(StatusCode::OK, code::FORBIDDEN),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            download_status(StatusCode::SERVICE_UNAVAILABLE, code::UNAVAILABLE),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
