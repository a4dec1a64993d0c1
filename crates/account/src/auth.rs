//! Passwords: argon2id hashes, computed on the blocking pool a bounded number at a time.
//! (Tokens and login sessions are in `tokens`.)

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::AccountError;

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], AccountError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|error| AccountError::Internal(format!("randomness: {error}")))?;
    Ok(bytes)
}

/// Argon2 holds 19 MiB for each hash it runs: at most this many run at once (two per core),
/// so a burst of registrations or logins queues instead of growing memory without bound
/// (a benchmark's setup once took the service to 2.2 GiB).
async fn hashing_permit() -> Result<tokio::sync::SemaphorePermit<'static>, AccountError> {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores * 2)
    });
    permits
        .acquire()
        .await
        .map_err(|error| AccountError::Internal(format!("hashing permits: {error}")))
}

/// Hashes a password with argon2id (on the blocking pool: it is deliberately slow).
pub async fn hash_password(password: String) -> Result<String, AccountError> {
    let salt_bytes = random_bytes::<16>()?;
    let _permit = hashing_permit().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|error| AccountError::Internal(format!("salt: {error}")))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| AccountError::Internal(format!("argon2: {error}")))
    })
    .await
    .map_err(|error| AccountError::Internal(format!("hashing task: {error}")))?
}

/// Whether `password` matches `hash`. Without a hash (unknown user) a dummy one is checked, so
/// that a failed login takes as long whether or not the username exists.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, AccountError> {
    let known = hash.is_some();
    let hash = match hash {
        Some(hash) => hash,
        None => dummy_hash().await?,
    };
    let _permit = hashing_permit().await?;
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|error| AccountError::Internal(format!("verification task: {error}")))?;
    Ok(known && matches)
}

async fn dummy_hash() -> Result<String, AccountError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password("not a real password".to_owned()).await?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            verify_password("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(!verify_password("correct horse".into(), None).await.unwrap());
    }
}
