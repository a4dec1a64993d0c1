//! `/files` (ADR 0011): uploads streamed through the gateway into object storage, downloads
//! streamed back. The bytes stay here; what a file is and who may read it is the message
//! service's (RegisterFile, AuthorizeFile), so every gateway answers alike.

mod disposition;
mod download;
mod range;
mod sniff;
mod upload;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use serde::Deserialize;

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

/// Where files are stored (none: the routes answer 503) and how large they may be.
pub struct Files {
    store: Option<Arc<dyn ObjectStore>>,
    limits: FileLimits,
}

impl Files {
    /// Files on the local filesystem under `dir` (created when missing), or no files at all.
    pub fn open(dir: Option<&Path>, limits: FileLimits) -> Result<Self, String> {
        let store = match dir {
            None => None,
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|error| format!("--files-dir {}: {error}", dir.display()))?;
                let local = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|error| format!("--files-dir {}: {error}", dir.display()))?;
                Some(Arc::new(local) as Arc<dyn ObjectStore>)
            }
        };
        Ok(Self { store, limits })
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
