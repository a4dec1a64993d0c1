//! What can go wrong in the account service, and its one mapping to gRPC statuses. The
//! machine-readable code travels in the `chat-error-code` metadata so the gateway can put it
//! in the REST error body unchanged.

use tonic::Status;
use tonic::metadata::MetadataValue;

/// An account-service failure.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
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
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts; retry in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// A dependency failed.
    #[error("internal error: {0}")]
    Internal(String),
    /// A transaction lost a deadlock; running it again will do.
    #[error("conflicting concurrent change: {0}")]
    Retry(String),
}

impl AccountError {
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
            Self::Invalid { code, .. } | Self::Conflict { code, .. } => code,
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal(_) | Self::Retry(_) => "internal",
        }
    }
}

impl From<sea_orm::DbErr> for AccountError {
    fn from(error: sea_orm::DbErr) -> Self {
        if crate::store::is_retryable(&error) {
            return Self::Retry(error.to_string());
        }
        Self::Internal(format!("database: {error}"))
    }
}

/// Runs `attempt` again (up to three times) when it lost a deadlock.
pub async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, AccountError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AccountError>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(AccountError::Retry(reason)) if tries < 3 => {
                tries += 1;
                tracing::debug!(%reason, tries, "retrying a transaction");
            }
            Err(AccountError::Retry(reason)) => return Err(AccountError::Internal(reason)),
            outcome => return outcome,
        }
    }
}

impl From<fred::error::Error> for AccountError {
    fn from(error: fred::error::Error) -> Self {
        Self::Internal(format!("redis: {error}"))
    }
}

impl From<AccountError> for Status {
    fn from(error: AccountError) -> Self {
        let message = error.to_string();
        let mut status = match &error {
            AccountError::Invalid { .. } => Status::invalid_argument(message),
            AccountError::Unauthenticated(_) => Status::unauthenticated(message),
            AccountError::Forbidden(_) => Status::permission_denied(message),
            AccountError::NotFound(_) => Status::not_found(message),
            AccountError::Conflict { .. } => Status::already_exists(message),
            AccountError::RateLimited { .. } => Status::resource_exhausted(message),
            AccountError::Internal(_) | AccountError::Retry(_) => {
                tracing::error!(%error, "account request failed");
                Status::internal("internal error")
            }
        };
        status
            .metadata_mut()
            .insert("chat-error-code", MetadataValue::from_static(error.code()));
        if let AccountError::RateLimited { retry_after_s } = error
            && let Ok(value) = retry_after_s.to_string().parse()
        {
            status.metadata_mut().insert("retry-after", value);
        }
        status
    }
}
