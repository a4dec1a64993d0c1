//! Credentials: argon2id password hashes, and bearer tokens of which only a hash is stored
//! (Redis, with expiry), so a leaked database or Redis dump yields no usable token.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fred::prelude::{KeysInterface, Pool, SetsInterface};
use fred::types::Expiration;
use sha2::{Digest, Sha256};

use crate::error::AccountError;

fn random_bytes<const N: usize>() -> Result<[u8; N], AccountError> {
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

/// A signed-in session, as a token resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user_id: u64,
    pub session_id: String,
    pub expires_at_ms: i64,
}

/// Bearer tokens in Redis: `<cluster>:account:token:<sha256>` holds the session, and each user's
/// set of token hashes lets a password change end every other session.
#[derive(Clone)]
pub struct Tokens {
    redis: Pool,
    prefix: String,
    ttl: Duration,
}

fn token_hash(token: &str) -> String {
    chat_common::hex::lower(&Sha256::digest(token.as_bytes()))
}

impl Tokens {
    pub fn new(redis: Pool, cluster: &str, ttl: Duration) -> Self {
        Self {
            redis,
            prefix: format!("{cluster}:account:"),
            ttl,
        }
    }

    fn token_key(&self, hash: &str) -> String {
        format!("{}token:{hash}", self.prefix)
    }

    fn sessions_key(&self, user_id: u64) -> String {
        format!("{}sessions:{user_id}", self.prefix)
    }

    /// Issues a new token for `user_id`: (token, session).
    pub async fn issue(
        &self,
        user_id: u64,
        now_ms: i64,
    ) -> Result<(String, Session), AccountError> {
        let token = format!("ct1.{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()?));
        let hash = token_hash(&token);
        let session = Session {
            user_id,
            session_id: hash[..16].to_owned(),
            expires_at_ms: now_ms + self.ttl.as_millis() as i64,
        };
        let value = format!(
            "{}:{}:{}",
            session.user_id, session.session_id, session.expires_at_ms
        );
        let ttl_s = self.ttl.as_secs().max(1) as i64;
        let _: () = self
            .redis
            .set(
                self.token_key(&hash),
                value,
                Some(Expiration::EX(ttl_s)),
                None,
                false,
            )
            .await?;
        let sessions = self.sessions_key(user_id);
        let _: () = self.redis.sadd(&sessions, hash).await?;
        let _: () = self.redis.expire(&sessions, ttl_s, None).await?;
        Ok((token, session))
    }

    /// The session a token belongs to, if it is valid.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Session>, AccountError> {
        if !token.starts_with("ct1.") || token.len() > 64 {
            return Ok(None);
        }
        let stored: Option<String> = self.redis.get(self.token_key(&token_hash(token))).await?;
        Ok(stored.and_then(|value| parse_session(&value)))
    }

    /// Ends the session of `token` at once.
    pub async fn revoke(&self, token: &str) -> Result<Option<Session>, AccountError> {
        let hash = token_hash(token);
        let session = self.authenticate(token).await?;
        let _: () = self.redis.del(self.token_key(&hash)).await?;
        if let Some(session) = &session {
            let _: () = self
                .redis
                .srem(self.sessions_key(session.user_id), hash)
                .await?;
        }
        Ok(session)
    }

    /// Ends every session of `user_id` except `keep_session_id`; returns how many ended.
    pub async fn revoke_others(
        &self,
        user_id: u64,
        keep_session_id: &str,
    ) -> Result<usize, AccountError> {
        let sessions = self.sessions_key(user_id);
        let hashes: Vec<String> = self.redis.smembers(&sessions).await?;
        let mut ended = 0;
        for hash in hashes
            .into_iter()
            .filter(|hash| !hash.starts_with(keep_session_id) || keep_session_id.is_empty())
        {
            let _: () = self.redis.del(self.token_key(&hash)).await?;
            let _: () = self.redis.srem(&sessions, hash).await?;
            ended += 1;
        }
        Ok(ended)
    }
}

fn parse_session(value: &str) -> Option<Session> {
    let mut parts = value.splitn(3, ':');
    Some(Session {
        user_id: parts.next()?.parse().ok()?,
        session_id: parts.next()?.to_owned(),
        expires_at_ms: parts.next()?.parse().ok()?,
    })
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

    #[test]
    fn sessions_parse_from_their_stored_form() {
        assert_eq!(
            parse_session("42:abcdef0123456789:1700"),
            Some(Session {
                user_id: 42,
                session_id: "abcdef0123456789".into(),
                expires_at_ms: 1700
            })
        );
        assert_eq!(parse_session("garbage"), None);
    }

    #[test]
    fn token_hashes_are_hex_sha256() {
        let hash = token_hash("ct1.x");
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
