//! Accounts and sessions: register, log in and out, authenticate, profiles, passwords, lookups
//! and search. Every method takes the acting user from the gateway's authentication, never from
//! client-supplied names.

use chat_common::files::avatar_file_id;
use chat_proto::account as pb;
use chat_proto::common::{Relation, UserProfile};

use crate::auth;
use crate::error::AccountError;
use crate::limits::LoginLimits;
use crate::store::is_duplicate;
use crate::store::users::{ProfileChange, UserRow, Users};
use crate::tokens::{Session, Tokens};
use crate::validate;

/// Most users one lookup may name, and most search hits a page may hold.
const MAX_LOOKUP: usize = 200;
const MAX_SEARCH_PAGE: u32 = 50;

pub use chat_common::clock::now_ms;

/// The public view of a user.
pub fn profile(row: &UserRow) -> UserProfile {
    UserProfile {
        user_id: row.id,
        username: row.username.clone(),
        nickname: row.nickname.clone(),
        avatar_url: row.avatar_url.clone(),
        avatar_file_id: avatar_file_id(&row.avatar_url),
        bio: row.bio.clone(),
        last_seen_ms: row.last_seen_ms,
        online: false,
    }
}

/// The account logic, over its stores.
#[derive(Clone)]
pub struct Accounts {
    pub users: Users,
    pub tokens: Tokens,
    pub limits: LoginLimits,
}

impl Accounts {
    pub async fn register(
        &self,
        request: pb::RegisterUserRequest,
    ) -> Result<UserProfile, AccountError> {
        validate::username(&request.username)?;
        validate::password(&request.password)?;
        let nickname = match request.nickname.trim() {
            "" => request.username.clone(),
            given => given.to_owned(),
        };
        validate::text("nickname", &nickname, 64)?;
        let hash = auth::hash_password(request.password).await?;
        let now = now_ms();
        let id = match self
            .users
            .insert(&request.username, &hash, &nickname, now)
            .await
        {
            Ok(id) => id,
            Err(error) if is_duplicate(&error) => {
                return Err(AccountError::conflict(
                    "username_taken",
                    "this username is taken",
                ));
            }
            Err(error) => return Err(error.into()),
        };
        let row = self
            .users
            .by_id(id)
            .await?
            .ok_or_else(|| AccountError::Internal("the new user vanished".into()))?;
        tracing::info!(user_id = id, "user registered");
        Ok(profile(&row))
    }

    /// Checks the password; on success issues a token. Failures say nothing about whether the
    /// username exists, and are rate-limited per username and per client address.
    pub async fn login(
        &self,
        request: pb::LoginRequest,
    ) -> Result<pb::LoginResponse, AccountError> {
        let addr = if request.client_addr.is_empty() {
            "unknown"
        } else {
            request.client_addr.as_str()
        };
        self.limits.check(&request.username, addr).await?;
        let user = if validate::username(&request.username).is_ok() {
            self.users.by_username(&request.username).await?
        } else {
            None
        };
        let hash = user.as_ref().map(|row| row.password_hash.clone());
        if !auth::verify_password(request.password, hash).await? {
            self.limits.record_failure(&request.username, addr).await?;
            return Err(AccountError::Unauthenticated(
                "invalid username or password".into(),
            ));
        }
        let user = user.ok_or_else(|| AccountError::Internal("verified without a user".into()))?;
        self.limits.record_success(&request.username, addr).await?;
        let (token, session) = self.tokens.issue(user.id, now_ms()).await?;
        Ok(pb::LoginResponse {
            token,
            expires_at_ms: session.expires_at_ms,
            user: Some(profile(&user)),
        })
    }

    /// Revokes the token; returns its session, if it was live.
    pub async fn logout(&self, token: &str) -> Result<Option<Session>, AccountError> {
        self.tokens.revoke(token, now_ms()).await
    }

    pub async fn authenticate(&self, token: &str) -> Result<(Session, UserRow), AccountError> {
        let invalid =
            || AccountError::Unauthenticated("the token is invalid, expired or revoked".into());
        let session = self
            .tokens
            .authenticate(token, now_ms())
            .await?
            .ok_or_else(invalid)?;
        let user = self
            .users
            .by_id(session.user_id)
            .await?
            .ok_or_else(invalid)?;
        Ok((session, user))
    }

    async fn user(&self, id: u64) -> Result<UserRow, AccountError> {
        self.users
            .by_id(id)
            .await?
            .ok_or_else(|| AccountError::NotFound(format!("no user {id}")))
    }

    pub async fn me(&self, actor_id: u64) -> Result<UserProfile, AccountError> {
        Ok(profile(&self.user(actor_id).await?))
    }

    pub async fn update_profile(
        &self,
        request: pb::UpdateProfileRequest,
    ) -> Result<UserProfile, AccountError> {
        if let Some(nickname) = &request.nickname {
            validate::text("nickname", nickname, 64)?;
            if nickname.trim().is_empty() {
                return Err(AccountError::invalid(
                    "invalid_field",
                    "nickname cannot be empty",
                ));
            }
        }
        if let Some(url) = &request.avatar_url {
            validate::url("avatar_url", url)?;
        }
        if let Some(bio) = &request.bio {
            validate::text("bio", bio, 512)?;
        }
        let change = ProfileChange {
            nickname: request.nickname.map(|n| n.trim().to_owned()),
            avatar_url: request.avatar_url,
            bio: request.bio,
        };
        self.user(request.actor_id).await?;
        self.users
            .update_profile(request.actor_id, &change, now_ms())
            .await?;
        self.me(request.actor_id).await
    }

    /// Changes the password after checking the old one, and ends every other session.
    pub async fn change_password(
        &self,
        request: pb::ChangePasswordRequest,
    ) -> Result<usize, AccountError> {
        validate::password(&request.new_password)?;
        let user = self.user(request.actor_id).await?;
        if !auth::verify_password(request.old_password, Some(user.password_hash)).await? {
            return Err(AccountError::Forbidden(
                "the current password is wrong".into(),
            ));
        }
        let hash = auth::hash_password(request.new_password).await?;
        self.users
            .set_password_hash(user.id, &hash, now_ms())
            .await?;
        let ended = self
            .tokens
            .revoke_others(user.id, &request.keep_session_id, now_ms())
            .await?
            .len();
        tracing::info!(
            user_id = user.id,
            ended,
            "password changed; other sessions ended"
        );
        Ok(ended)
    }

    pub async fn get_users(&self, ids: &[u64]) -> Result<Vec<UserProfile>, AccountError> {
        if ids.len() > MAX_LOOKUP {
            return Err(AccountError::invalid(
                "too_many_ids",
                format!("at most {MAX_LOOKUP} ids at once"),
            ));
        }
        Ok(self.users.by_ids(ids).await?.iter().map(profile).collect())
    }

    /// Users matching `query`, each with the caller's relation to them.
    pub async fn search(
        &self,
        request: pb::SearchUsersRequest,
    ) -> Result<pb::SearchUsersResponse, AccountError> {
        let query = request.query.trim();
        if query.is_empty() || query.chars().count() > 64 {
            return Err(AccountError::invalid(
                "invalid_query",
                "a search needs 1-64 characters",
            ));
        }
        let page = request.page.unwrap_or_default();
        let limit = match page.limit {
            0 => 20,
            n => n.min(MAX_SEARCH_PAGE),
        };
        let after = parse_cursor(&page.cursor)?;
        let mut hits = self
            .users
            .search(query, after, u64::from(limit) + 1)
            .await?;
        let more = hits.len() > limit as usize;
        hits.truncate(limit as usize);
        let next_cursor = match (more, hits.last()) {
            (true, Some((rank, row))) => format!("{rank}:{}", row.id),
            _ => String::new(),
        };
        let hits = hits
            .into_iter()
            .map(|(_, row)| pb::UserSearchHit {
                relation: if row.id == request.actor_id {
                    Relation::Self_
                } else {
                    Relation::None
                } as i32,
                user: Some(profile(&row)),
            })
            .collect();
        Ok(pb::SearchUsersResponse { hits, next_cursor })
    }
}

fn parse_cursor(cursor: &str) -> Result<Option<(u8, u64)>, AccountError> {
    if cursor.is_empty() {
        return Ok(None);
    }
    let bad = || AccountError::invalid("invalid_cursor", "the cursor is not one this service gave");
    let (rank, id) = cursor.split_once(':').ok_or_else(bad)?;
    Ok(Some((
        rank.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    )))
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(parse_cursor("").unwrap(), None);
        assert_eq!(parse_cursor("1:42").unwrap(), Some((1, 42)));
        assert!(parse_cursor("x").is_err());
        assert!(parse_cursor("1:-3").is_err());
    }
}
