//! `/files` (ADR 0011): uploads streamed through the gateway into object storage, downloads
//! streamed back. The bytes stay here; what a file is and who may read it is the message
//! service's (RegisterFile, AuthorizeFile), so every gateway answers alike.

mod disposition;
mod download;
mod range;
mod reader;
mod signed;
mod sniff;
mod thumbnail;
mod upload;
mod url;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chat_common::storage::Storage;
use object_store::ObjectStore;
use serde::Deserialize;

pub use download::serve_file;
pub use signed::UrlSigner;
pub use upload::{NewUpload, store_upload};

use super::RestState;
use super::error::ApiError;

/// What an upload is meant to be: each kind has its own size limit and allowed types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Image,
    Voice,
    File,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Voice => "voice",
            Self::File => "file",
        }
    }
}

/// The largest upload of each kind, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct FileLimits {
    pub image: u64,
    pub voice: u64,
    pub file: u64,
}

impl FileLimits {
    fn of(self, kind: Kind) -> u64 {
        match kind {
            Kind::Image => self.image,
            Kind::Voice => self.voice,
            Kind::File => self.file,
        }
    }
}

/// Where files are stored (none: the routes answer 503), how large they may be, and how
/// downloads are signed for the browser.
pub struct Files {
    store: Option<Arc<dyn ObjectStore>>,
    limits: FileLimits,
    /// None without `--file-url-key-file`: signed addresses answer 503.
    signer: Option<UrlSigner>,
    url_ttl: Duration,
    thumbnails: thumbnail::Thumbnailer,
}

impl Files {
    /// Files in `storage`, of at most `limits` bytes; addresses signed by `signer` last
    /// `url_ttl`.
    pub fn open(
        storage: &Storage,
        limits: FileLimits,
        signer: Option<UrlSigner>,
        url_ttl: Duration,
    ) -> Result<Self, String> {
        Ok(Self {
            store: storage.open()?,
            limits,
            signer,
            url_ttl,
            thumbnails: thumbnail::Thumbnailer::new(),
        })
    }

    /// The largest upload of `kind`, in bytes.
    pub fn limit(&self, kind: Kind) -> u64 {
        self.limits.of(kind)
    }

    fn signer(&self) -> Result<&UrlSigner, ApiError> {
        self.signer.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "signing_disabled",
                "this deployment signs no download addresses (--file-url-key-file)",
            )
        })
    }

    fn store(&self) -> Result<&dyn ObjectStore, ApiError> {
        self.store.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "files_disabled",
                "this deployment stores no files",
            )
        })
    }
}

/// The `/files` routes, to be nested with the other `/api/v1` routes.
pub fn routes() -> Router<Arc<RestState>> {
    Router::new()
        .route("/files", post(upload::upload))
        .route("/files/{id}", get(download::download))
        .route("/files/{id}/thumbnail", get(download::thumbnail))
        .route("/files/{id}/url", post(url::signed_urls))
        // The upload counts the bytes against its kind's limit as they stream; the REST body
        // limit (64 KiB) would refuse nearly every file.
        .layer(DefaultBodyLimit::disable())
}

/// A storage failure: logged, and a plain 500 for the client.
fn storage_error(error: object_store::Error) -> ApiError {
    tracing::error!(%error, "object storage failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the file store failed; the failure is logged",
    )
}
