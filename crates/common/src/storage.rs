//! Where the bytes of uploads go (ADR 0011): a directory (the default of `cargo xtask up`, and
//! enough for one machine or a shared volume) or any S3-compatible store (MinIO, Garage,
//! RustFS, AWS; tested against `s3s-fs`). The gateways write and read it, the message service's
//! sweeper deletes from it: every process of a cluster must name the same one, with the same
//! flags.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;

/// The flags that choose the storage, shared by the gateway and the message service.
#[derive(Debug, Clone, Args)]
pub struct FileStorageFlags {
    /// Directory the uploaded files are stored under (created when missing; the same for every
    /// gateway of a cluster). Unset, and no --files-s3-bucket: the file routes answer 503
    /// `files_disabled`.
    #[arg(long, env = "CHAT_FILES_DIR")]
    pub files_dir: Option<PathBuf>,

    /// Store uploads in this bucket of an S3-compatible store (MinIO, Garage, RustFS, AWS)
    /// instead of a directory; needs --files-s3-access-key-id and --files-s3-secret-key-file.
    #[arg(
        long,
        env = "CHAT_FILES_S3_BUCKET",
        conflicts_with = "files_dir",
        requires_all = ["files_s3_access_key_id", "files_s3_secret_key_file"]
    )]
    pub files_s3_bucket: Option<String>,

    /// The S3 store's address, such as http://127.0.0.1:9014 (path-style requests; plain http
    /// only when the address says so). Unset: AWS's endpoint for --files-s3-region.
    #[arg(long, env = "CHAT_FILES_S3_ENDPOINT", requires = "files_s3_bucket")]
    pub files_s3_endpoint: Option<String>,

    /// The S3 region (self-hosted stores accept any).
    #[arg(long, env = "CHAT_FILES_S3_REGION", default_value = "us-east-1")]
    pub files_s3_region: String,

    /// The S3 access key id.
    #[arg(
        long,
        env = "CHAT_FILES_S3_ACCESS_KEY_ID",
        requires = "files_s3_bucket"
    )]
    pub files_s3_access_key_id: Option<String>,

    /// A file holding the S3 secret key (read at start-up; a file rather than a flag so that
    /// the secret shows in no process list).
    #[arg(
        long,
        env = "CHAT_FILES_S3_SECRET_KEY_FILE",
        requires = "files_s3_bucket"
    )]
    pub files_s3_secret_key_file: Option<PathBuf>,
}

impl FileStorageFlags {
    /// Where uploads go: the S3 bucket, the directory, or nowhere (clap has made sure that
    /// the bucket comes with its credentials and not with a directory).
    pub fn storage(&self) -> Storage {
        match (&self.files_s3_bucket, &self.files_dir) {
            (Some(bucket), _) => Storage::S3(S3Settings {
                endpoint: self.files_s3_endpoint.clone(),
                bucket: bucket.clone(),
                region: self.files_s3_region.clone(),
                access_key_id: self.files_s3_access_key_id.clone().unwrap_or_default(),
                secret_key_file: self.files_s3_secret_key_file.clone().unwrap_or_default(),
            }),
            (None, Some(dir)) => Storage::Local(dir.clone()),
            (None, None) => Storage::Disabled,
        }
    }
}

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
