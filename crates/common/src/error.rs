//! The error every service answers with, and its one mapping to gRPC statuses. The
//! machine-readable code travels in the `chat-error-code` metadata so that the gateway can put
//! it in the REST (and WebSocket) error body unchanged.

use tonic::Status;
use tonic::metadata::MetadataValue;

/// A service failure, as the caller should see it.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request itself is wrong (a field out of bounds, a malformed value).
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// No valid credentials (wrong password, unknown or revoked token).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller may not do this to this resource.
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist (or the caller may not know it exists).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (a taken username, ...).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A budget of the caller's is spent (a storage quota): not a matter of waiting.
    #[error("{message}")]
    Exhausted { code: &'static str, message: String },
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts; retry in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// A dependency failed.
    #[error("internal error: {0}")]
    Internal(String),
    /// A dependency is out of reach for now; the same request may succeed later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A transaction lost a deadlock; running it again will do.
    #[error("conflicting concurrent change: {0}")]
    Retry(String),
}

impl ServiceError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Invalid { code, .. }
            | Self::Conflict { code, .. }
            | Self::Exhausted { code, .. } => code,
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal(_) | Self::Retry(_) => "internal",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

#[cfg(feature = "mysql")]
impl From<sea_orm::DbErr> for ServiceError {
    fn from(error: sea_orm::DbErr) -> Self {
        if crate::mysql::is_retryable(&error) {
            return Self::Retry(error.to_string());
        }
        Self::Internal(format!("database: {error}"))
    }
}

/// Runs `attempt` again (up to three times) when it lost a deadlock.
pub async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, ServiceError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ServiceError>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(ServiceError::Retry(reason)) if tries < 3 => {
                tries += 1;
                tracing::debug!(%reason, tries, "retrying a transaction");
                // Apart, and not in step: transactions that collided once (a deadlock, the
                // AUTO-INC lock) collide again when retried at the same instant.
                tokio::time::sleep(retry_pause(tries)).await;
            }
            Err(ServiceError::Retry(reason)) => return Err(ServiceError::Internal(reason)),
            outcome => return outcome,
        }
    }
}

/// A random pause of up to 10 ms times `tries` before a retry.
fn retry_pause(tries: u32) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    // Each RandomState is seeded afresh: a cheap random number without a dependency.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(tries);
    std::time::Duration::from_micros(hasher.finish() % (10_000 * u64::from(tries)))
}

#[cfg(feature = "redis")]
impl From<fred::error::Error> for ServiceError {
    fn from(error: fred::error::Error) -> Self {
        Self::Internal(format!("redis: {error}"))
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Self {
        let message = error.to_string();
        let mut status = match &error {
            ServiceError::Invalid { .. } => Status::invalid_argument(message),
            ServiceError::Unauthenticated(_) => Status::unauthenticated(message),
            ServiceError::Forbidden(_) => Status::permission_denied(message),
            ServiceError::NotFound(_) => Status::not_found(message),
            ServiceError::Conflict { .. } => Status::already_exists(message),
            ServiceError::RateLimited { .. } | ServiceError::Exhausted { .. } => {
                Status::resource_exhausted(message)
            }
            ServiceError::Unavailable(_) => {
                tracing::warn!(%error, "request failed");
                Status::unavailable("the service is temporarily unavailable")
            }
            ServiceError::Internal(_) | ServiceError::Retry(_) => {
                tracing::error!(%error, "request failed");
                Status::internal("internal error")
            }
        };
        status
            .metadata_mut()
            .insert("chat-error-code", MetadataValue::from_static(error.code()));
        if let ServiceError::RateLimited { retry_after_s } = error
            && let Ok(value) = retry_after_s.to_string().parse()
        {
            status.metadata_mut().insert("retry-after", value);
        }
        status
    }
}
