//! Where the bytes of uploads go: a directory (the default of `cargo xtask up`, and enough for
//! one machine or a shared volume) or any S3-compatible store (MinIO, Garage, RustFS, AWS;
//! tested against `s3s-fs`). Every gateway of a cluster must name the same one.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;

/// An S3-compatible bucket and the credentials to write it.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// `http(s)://host:port`, or None for AWS's own endpoint of the region.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    /// A file holding the secret key, read once here, so that it shows in no process list.
    pub secret_key_file: PathBuf,
}

/// The storage a gateway was configured with.
#[derive(Debug, Clone)]
pub enum Storage {
    /// No uploads: the file routes answer 503 `files_disabled`.
    Disabled,
    /// Under this directory (created when missing).
    Local(PathBuf),
    S3(S3Settings),
}

impl Storage {
    /// Opens the store; None when disabled. The error names the flag at fault.
    pub fn open(&self) -> Result<Option<Arc<dyn ObjectStore>>, String> {
        match self {
            Self::Disabled => Ok(None),
            Self::Local(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|error| format!("--files-dir {}: {error}", dir.display()))?;
                let local = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|error| format!("--files-dir {}: {error}", dir.display()))?;
                Ok(Some(Arc::new(local)))
            }
            Self::S3(settings) => open_s3(settings).map(Some),
        }
    }

    /// For the start-up log line: where files go, without any secret.
    pub fn describe(&self) -> String {
        match self {
            Self::Disabled => "disabled".to_owned(),
            Self::Local(dir) => format!("directory {}", dir.display()),
            Self::S3(settings) => format!(
                "s3 bucket {} at {}",
                settings.bucket,
                settings.endpoint.as_deref().unwrap_or("AWS")
            ),
        }
    }
}

fn open_s3(settings: &S3Settings) -> Result<Arc<dyn ObjectStore>, String> {
    let secret = std::fs::read_to_string(&settings.secret_key_file).map_err(|error| {
        format!(
            "--files-s3-secret-key-file {}: {error}",
            settings.secret_key_file.display()
        )
    })?;
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(format!(
            "--files-s3-secret-key-file {} is empty",
            settings.secret_key_file.display()
        ));
    }
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&settings.bucket)
        .with_region(&settings.region)
        .with_access_key_id(&settings.access_key_id)
        .with_secret_access_key(secret);
    if let Some(endpoint) = &settings.endpoint {
        // Self-hosted stores answer path-style requests (`endpoint/bucket/key`); plain http is
        // for a store on loopback or a private network, and only when the endpoint says so.
        builder = builder
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    let store = builder
        .build()
        .map_err(|error| format!("--files-s3-*: {error}"))?;
    Ok(Arc::new(store))
}
