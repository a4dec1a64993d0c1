//! `POST /files/{id}/url`: signed addresses of a file (and of its thumbnail) for the caller,
//! for `<img src>` and `<audio src>`, which cannot carry a bearer token.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chat_common::clock::now_ms;
use chat_common::files::{download_path, thumbnail_path};
use chat_proto::message as pb;
use serde::Serialize;

use crate::rest::RestState;
use crate::rest::error::ApiError;
use crate::rest::extract::{Caller, IdPath};

#[derive(Serialize)]
pub struct SignedUrls {
    /// `/api/v1/files/{id}?u=&exp=&sig=`.
    url: String,
    /// The same for the thumbnail; absent when the file has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnail_url: Option<String>,
    expires_at_ms: i64,
}

pub async fn signed_urls(
    State(state): State<Arc<RestState>>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<SignedUrls>, ApiError> {
    let signer = state.files.signer()?;
    // Only for who may read it now (404 otherwise); every use is authorized again.
    let file = state
        .message
        .clone()
        .authorize_file(pb::AuthorizeFileRequest {
            actor_id: caller.user_id,
            file_id: id,
        })
        .await?
        .into_inner();
    let ttl_ms = i64::try_from(state.files.url_ttl.as_millis()).unwrap_or(i64::MAX);
    let expires_at_ms = now_ms().saturating_add(ttl_ms);
    let sign = |path: String| {
        let query = signer.sign(&path, caller.user_id, expires_at_ms);
        format!("{path}?{query}")
    };
    Ok(Json(SignedUrls {
        url: sign(download_path(id)),
        thumbnail_url: (!file.thumbnail_key.is_empty()).then(|| sign(thumbnail_path(id))),
        expires_at_ms,
    }))
}
