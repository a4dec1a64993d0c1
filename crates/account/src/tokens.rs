//! Bearer tokens and the login sessions they open. MySQL holds every login (`login_sessions`,
//! by the SHA-256 of its token only, so a leaked database or Redis dump yields no usable token)
//! and the log of ended ones (`revocations`); Redis caches each token's session in front of it.
//! A lost or flushed Redis costs cache misses, never a signed-out user.
//!
//! The cache cannot bring a revoked login back: a revocation commits in MySQL first, then writes
//! a "revoked" marker over the token's cache entry; a miss fills the cache only where nothing
//! is (`SET NX`), so a fill that read the row before the revocation cannot overwrite the marker
//! the revocation wrote after it.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chat_common::throttle::Throttle;
use chat_proto::account as pb;
use fred::prelude::{KeysInterface, Pool};
use fred::types::{Expiration, SetOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};
use sha2::{Digest, Sha256};

use crate::auth::random_bytes;
use crate::error::{AccountError, retrying};
use crate::store::begin;
use crate::store::users::statement;

/// The cache's value for a token that is not (or no longer) valid.
const REVOKED: &str = "-";
/// How long a cache entry filled from MySQL, or a revoked marker, lives: short, so that the
/// cache never holds what MySQL no longer says for long.
const FILL_TTL_S: i64 = 300;
/// Most entries of the revocation log one call answers.
const MAX_REVOCATIONS: u32 = 1000;

/// A signed-in session, as a token resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user_id: u64,
    pub session_id: String,
    pub expires_at_ms: i64,
}

#[derive(FromQueryResult)]
struct SessionRow {
    user_id: u64,
    session_id: String,
    expires_at_ms: i64,
}

#[derive(FromQueryResult)]
struct LiveRow {
    token_hash: String,
    user_id: u64,
    session_id: String,
    expires_at_ms: i64,
}

#[derive(FromQueryResult)]
struct RevocationRow {
    id: u64,
    user_id: u64,
    session_id: String,
}

#[derive(FromQueryResult)]
struct LastId {
    last_id: Option<u64>,
}

fn token_hash(token: &str) -> String {
    chat_common::hex::lower(&Sha256::digest(token.as_bytes()))
}

/// Issues, checks and ends tokens.
#[derive(Clone)]
pub struct Tokens {
    db: DatabaseConnection,
    redis: Pool,
    prefix: String,
    ttl: Duration,
}

impl Tokens {
    pub fn new(db: DatabaseConnection, redis: Pool, cluster: &str, ttl: Duration) -> Self {
        Self {
            db,
            redis,
            prefix: format!("{cluster}:account:token:"),
            ttl,
        }
    }

    fn cache_key(&self, hash: &str) -> String {
        format!("{}{hash}", self.prefix)
    }

    /// Issues a new token for `user_id`: (token, session). Stored in MySQL before it is
    /// answered; cached on the way out.
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
        self.db
            .execute_raw(statement(
                "INSERT INTO login_sessions
                    (token_hash, session_id, user_id, created_at_ms, expires_at_ms)
                 VALUES (?, ?, ?, ?, ?)",
                [
                    hash.clone().into(),
                    session.session_id.clone().into(),
                    user_id.into(),
                    now_ms.into(),
                    session.expires_at_ms.into(),
                ],
            ))
            .await?;
        self.cache(&hash, &cached_form(&session), FILL_TTL_S, None)
            .await;
        Ok((token, session))
    }

    /// The session a token belongs to, if it is valid: from the cache, else from MySQL (and
    /// then cached).
    pub async fn authenticate(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Option<Session>, AccountError> {
        if !token.starts_with("ct1.") || token.len() > 64 {
            return Ok(None);
        }
        let hash = token_hash(token);
        match self
            .redis
            .get::<Option<String>, _>(self.cache_key(&hash))
            .await
        {
            Ok(Some(value)) if value == REVOKED => return Ok(None),
            Ok(Some(value)) => {
                if let Some(session) =
                    parse_session(&value).filter(|session| session.expires_at_ms > now_ms)
                {
                    return Ok(Some(session));
                }
            }
            Ok(None) => {}
            Err(error) => {
                static UNREACHABLE: Throttle = Throttle::new(Duration::from_secs(10));
                if let Some(held_back) = UNREACHABLE.allow() {
                    tracing::warn!(%error, held_back, "token cache unreachable; asking MySQL");
                }
            }
        }
        let row = SessionRow::find_by_statement(statement(
            "SELECT user_id, session_id, expires_at_ms FROM login_sessions
             WHERE token_hash = ? AND revoked_at_ms = 0 AND expires_at_ms > ?",
            [hash.clone().into(), now_ms.into()],
        ))
        .one(&self.db)
        .await?;
        let session = row.map(|row| Session {
            user_id: row.user_id,
            session_id: row.session_id,
            expires_at_ms: row.expires_at_ms,
        });
        let value = session.as_ref().map_or(REVOKED.to_owned(), cached_form);
        let ttl_s = session.as_ref().map_or(FILL_TTL_S, |session| {
            ((session.expires_at_ms - now_ms) / 1000).clamp(1, FILL_TTL_S)
        });
        self.cache(&hash, &value, ttl_s, Some(SetOptions::NX)).await;
        Ok(session)
    }

    /// Ends the session of `token` at once; returns it if it was live.
    pub async fn revoke(&self, token: &str, now_ms: i64) -> Result<Option<Session>, AccountError> {
        let hash = token_hash(token);
        let ended =
            retrying(|| self.revoke_where("token_hash = ?", vec![hash.clone().into()], now_ms))
                .await?;
        Ok(ended.into_iter().next())
    }

    /// Ends every live session of `user_id` except `keep_session_id` (none when empty);
    /// returns the ended sessions' ids.
    pub async fn revoke_others(
        &self,
        user_id: u64,
        keep_session_id: &str,
        now_ms: i64,
    ) -> Result<Vec<String>, AccountError> {
        let ended = retrying(|| {
            self.revoke_where(
                "user_id = ? AND session_id <> ?",
                vec![user_id.into(), keep_session_id.into()],
                now_ms,
            )
        })
        .await?;
        Ok(ended
            .into_iter()
            .map(|session| session.session_id)
            .collect())
    }

    /// In one transaction: marks the live sessions matching `condition` (with `values` for its
    /// placeholders) revoked and logs each in `revocations`; then marks their cache entries
    /// revoked. Returns the ended sessions.
    async fn revoke_where(
        &self,
        condition: &str,
        mut values: Vec<sea_orm::Value>,
        now_ms: i64,
    ) -> Result<Vec<Session>, AccountError> {
        let tx = begin(&self.db).await?;
        values.push(now_ms.into());
        let live = LiveRow::find_by_statement(statement(
            &format!(
                "SELECT token_hash, user_id, session_id, expires_at_ms FROM login_sessions
                 WHERE {condition} AND revoked_at_ms = 0 AND expires_at_ms > ? FOR UPDATE"
            ),
            values,
        ))
        .all(&tx)
        .await?;
        for row in &live {
            tx.execute_raw(statement(
                "UPDATE login_sessions SET revoked_at_ms = ? WHERE token_hash = ?",
                [now_ms.into(), row.token_hash.clone().into()],
            ))
            .await?;
            tx.execute_raw(statement(
                "INSERT INTO revocations (user_id, session_id, revoked_at_ms) VALUES (?, ?, ?)",
                [
                    row.user_id.into(),
                    row.session_id.clone().into(),
                    now_ms.into(),
                ],
            ))
            .await?;
        }
        tx.commit().await?;
        let mut ended = Vec::with_capacity(live.len());
        for row in live {
            self.cache(&row.token_hash, REVOKED, FILL_TTL_S, None).await;
            ended.push(Session {
                user_id: row.user_id,
                session_id: row.session_id,
                expires_at_ms: row.expires_at_ms,
            });
        }
        Ok(ended)
    }

    /// Writes a cache entry; a failure is logged only (MySQL has the truth).
    async fn cache(&self, hash: &str, value: &str, ttl_s: i64, options: Option<SetOptions>) {
        let written: Result<(), _> = self
            .redis
            .set(
                self.cache_key(hash),
                value,
                Some(Expiration::EX(ttl_s)),
                options,
                false,
            )
            .await;
        if let Err(error) = written {
            static UNWRITTEN: Throttle = Throttle::new(Duration::from_secs(10));
            if let Some(held_back) = UNWRITTEN.allow() {
                tracing::warn!(%error, held_back, "token cache not written");
            }
        }
    }

    /// The revocation log after `after_id` (see `ListRevocations`).
    pub async fn revocations(
        &self,
        after_id: u64,
        limit: u32,
    ) -> Result<pb::ListRevocationsResponse, AccountError> {
        if after_id == 0 {
            let last = LastId::find_by_statement(statement(
                "SELECT MAX(id) AS last_id FROM revocations",
                [],
            ))
            .one(&self.db)
            .await?
            .and_then(|row| row.last_id)
            .unwrap_or(0);
            return Ok(pb::ListRevocationsResponse {
                revocations: Vec::new(),
                last_id: last,
                has_more: false,
            });
        }
        let limit = match limit {
            0 => MAX_REVOCATIONS,
            n => n.min(MAX_REVOCATIONS),
        };
        let rows = RevocationRow::find_by_statement(statement(
            "SELECT id, user_id, session_id FROM revocations WHERE id > ? ORDER BY id LIMIT ?",
            [after_id.into(), (u64::from(limit) + 1).into()],
        ))
        .all(&self.db)
        .await?;
        let has_more = rows.len() > limit as usize;
        let revocations: Vec<pb::Revocation> = rows
            .into_iter()
            .take(limit as usize)
            .map(|row| pb::Revocation {
                id: row.id,
                user_id: row.user_id,
                session_id: row.session_id,
            })
            .collect();
        let last_id = revocations.last().map_or(after_id, |last| last.id);
        Ok(pb::ListRevocationsResponse {
            revocations,
            last_id,
            has_more,
        })
    }

    /// Deletes logins expired and log entries older than `keep` (a day, say): gateways read
    /// the log within seconds, and an expired token is refused by its expiry alone.
    pub async fn prune(&self, now_ms: i64, keep: Duration) -> Result<u64, AccountError> {
        let before = now_ms - keep.as_millis() as i64;
        let sessions = self
            .db
            .execute_raw(statement(
                "DELETE FROM login_sessions WHERE expires_at_ms < ? LIMIT 10000",
                [before.into()],
            ))
            .await?;
        let log = self
            .db
            .execute_raw(statement(
                "DELETE FROM revocations WHERE revoked_at_ms < ? LIMIT 10000",
                [before.into()],
            ))
            .await?;
        Ok(sessions.rows_affected() + log.rows_affected())
    }
}

/// Prunes the login tables every `every` until shutdown (entries older than a day).
pub fn spawn_pruner(
    tokens: Tokens,
    every: Duration,
    shutdown: chat_common::Shutdown,
) -> tokio::task::JoinHandle<()> {
    const KEEP: Duration = Duration::from_secs(24 * 3600);
    tokio::spawn(async move {
        let mut ticks = shutdown.ticks(every);
        while ticks.next().await {
            match tokens.prune(chat_common::clock::now_ms(), KEEP).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "pruned expired logins and old revocations"),
                Err(error) => tracing::warn!(%error, "pruning logins failed"),
            }
        }
    })
}

fn cached_form(session: &Session) -> String {
    format!(
        "{}:{}:{}",
        session.user_id, session.session_id, session.expires_at_ms
    )
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

    #[test]
    fn sessions_read_back_from_their_cached_form() {
        let session = Session {
            user_id: 42,
            session_id: "abcdef0123456789".into(),
            expires_at_ms: 1700,
        };
        assert_eq!(parse_session(&cached_form(&session)), Some(session));
        assert_eq!(parse_session("garbage"), None);
        assert_eq!(parse_session(REVOKED), None);
    }

    #[test]
    fn token_hashes_are_hex_sha256() {
        let hash = token_hash("ct1.x");
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
