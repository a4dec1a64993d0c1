//! Friends and blocks: requests (one pending per pair; a request to someone who already asked
//! me accepts theirs), answers that happen once, two-sided friendships with a remark on each
//! side, and blocks that stop requests both ways. Every change runs in one transaction.

use chat_proto::account as pb;
use chat_proto::common::{PageRequest, Relation, UserProfile};
use sea_orm::DatabaseConnection;

use crate::accounts::{now_ms, profile};
use chat_common::stamps::{Stamps, Subject};

use crate::error::{AccountError, retrying};
use crate::notify::Notifier;
use crate::store::friends::{self as store, ACCEPTED, CANCELLED, PENDING, REJECTED, RequestRow};
use crate::store::users::Users;
use crate::store::{begin, is_duplicate};
use crate::validate;

const MAX_PAGE: u32 = 100;

/// What sending a request did.
enum Sent {
    New,
    Updated,
    AcceptedTheirs,
}

/// The friends logic, over the account database.
#[derive(Clone)]
pub struct Friends {
    pub db: DatabaseConnection,
    pub users: Users,
    pub notifier: Notifier,
    /// Tells the message service's cache that a relation changed.
    pub stamps: Stamps,
}

fn page_size(page: &Option<PageRequest>) -> u64 {
    match page.as_ref().map(|p| p.limit).unwrap_or(0) {
        0 => 50,
        n => u64::from(n.min(MAX_PAGE)),
    }
}

fn cursor_id(page: &Option<PageRequest>) -> Result<Option<u64>, AccountError> {
    let cursor = page.as_ref().map(|p| p.cursor.as_str()).unwrap_or("");
    if cursor.is_empty() {
        return Ok(None);
    }
    cursor.parse().map(Some).map_err(|_| {
        AccountError::invalid("invalid_cursor", "the cursor is not one this service gave")
    })
}

fn status_of(code: u8) -> pb::FriendRequestStatus {
    match code {
        PENDING => pb::FriendRequestStatus::Pending,
        ACCEPTED => pb::FriendRequestStatus::Accepted,
        REJECTED => pb::FriendRequestStatus::Rejected,
        CANCELLED => pb::FriendRequestStatus::Cancelled,
        _ => pb::FriendRequestStatus::Unspecified,
    }
}

impl Friends {
    async fn profiles(&self, ids: &[u64]) -> Result<Vec<UserProfile>, AccountError> {
        Ok(self.users.by_ids(ids).await?.iter().map(profile).collect())
    }

    /// A request as both sides see it (the requester's remark for the other stays private).
    pub async fn request_view(&self, row: &RequestRow) -> Result<pb::FriendRequest, AccountError> {
        let people = self.profiles(&[row.from_id, row.to_id]).await?;
        let find = |id: u64| people.iter().find(|p| p.user_id == id).cloned();
        Ok(pb::FriendRequest {
            request_id: row.id,
            from: find(row.from_id),
            to: find(row.to_id),
            message: row.message.clone(),
            status: status_of(row.status) as i32,
            created_at_ms: row.created_at_ms,
            updated_at_ms: row.updated_at_ms,
        })
    }

    /// Sends (or updates) a request; accepts theirs when they already asked me.
    pub async fn send_request(
        &self,
        request: pb::SendFriendRequestRequest,
    ) -> Result<pb::FriendRequest, AccountError> {
        let (me, them) = (request.actor_id, request.to_user_id);
        validate::text("message", &request.message, 256)?;
        validate::text("remark", &request.remark, 64)?;
        if me == them {
            return Err(AccountError::invalid(
                "self_request",
                "you cannot befriend yourself",
            ));
        }
        if self.users.by_id(them).await?.is_none() {
            return Err(AccountError::NotFound(format!("no user {them}")));
        }
        let (id, outcome) = retrying(|| self.send_request_once(&request)).await?;
        let row = store::request(&self.db, id)
            .await?
            .ok_or_else(|| AccountError::Internal("request vanished".into()))?;
        let details = serde_json::json!({ "request_id": row.id, "message": row.message });
        match outcome {
            Sent::New => {
                self.notifier
                    .announce(
                        &[them],
                        pb::NotificationKind::FriendRequestReceived,
                        me,
                        0,
                        details,
                    )
                    .await
            }
            Sent::AcceptedTheirs => self.friendship_announced(them, me, details).await,
            Sent::Updated => {}
        }
        self.request_view(&row).await
    }

    async fn send_request_once(
        &self,
        request: &pb::SendFriendRequestRequest,
    ) -> Result<(u64, Sent), AccountError> {
        let (me, them) = (request.actor_id, request.to_user_id);
        let now = now_ms();
        let tx = begin(&self.db).await?;
        if store::is_blocked(&tx, me, them).await? || store::is_blocked(&tx, them, me).await? {
            return Err(AccountError::Forbidden(
                "you cannot send this user a request".into(),
            ));
        }
        if store::are_friends(&tx, me, them).await? {
            return Err(AccountError::conflict(
                "already_friends",
                "you are friends already",
            ));
        }
        let sent = match store::pending_between(&tx, me, them).await? {
            Some(theirs) if theirs.from_id == them => {
                store::answer(&tx, theirs.id, ACCEPTED, now).await?;
                store::befriend(&tx, me, &request.remark, them, &theirs.remark, now).await?;
                (theirs.id, Sent::AcceptedTheirs)
            }
            Some(mine) => {
                store::update_pending(&tx, mine.id, &request.message, &request.remark, now).await?;
                (mine.id, Sent::Updated)
            }
            None => {
                match store::insert_request(&tx, me, them, &request.message, &request.remark, now)
                    .await
                {
                    Ok(id) => (id, Sent::New),
                    // Both asked at the same instant: the other transaction's request won.
                    Err(error) if is_duplicate(&error) => {
                        return Err(AccountError::conflict(
                            "request_pending",
                            "a request between you is pending; try again",
                        ));
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        };
        tx.commit().await?;
        Ok(sent)
    }

    pub async fn list_requests(
        &self,
        request: pb::ListFriendRequestsRequest,
    ) -> Result<pb::ListFriendRequestsResponse, AccountError> {
        let incoming = request.direction() != pb::RequestDirection::Outgoing;
        let limit = page_size(&request.page);
        let before = cursor_id(&request.page)?.unwrap_or(u64::MAX);
        let rows =
            store::list_requests(&self.db, request.actor_id, incoming, before, limit + 1).await?;
        let more = rows.len() as u64 > limit;
        let mut requests = Vec::new();
        for row in rows.iter().take(limit as usize) {
            requests.push(self.request_view(row).await?);
        }
        let next_cursor = match (more, requests.last()) {
            (true, Some(last)) => last.request_id.to_string(),
            _ => String::new(),
        };
        Ok(pb::ListFriendRequestsResponse {
            requests,
            next_cursor,
        })
    }

    /// Accepts, rejects or cancels a pending request: only its recipient may accept or reject,
    /// only its sender may cancel, and only once.
    pub async fn answer(
        &self,
        request: pb::AnswerFriendRequestRequest,
        status: u8,
    ) -> Result<RequestRow, AccountError> {
        validate::text("remark", &request.remark, 64)?;
        let row = retrying(|| self.answer_once(&request, status)).await?;
        let details = serde_json::json!({ "request_id": row.id });
        match status {
            ACCEPTED => {
                self.friendship_announced(row.from_id, request.actor_id, details)
                    .await
            }
            REJECTED => {
                self.notifier
                    .announce(
                        &[row.from_id],
                        pb::NotificationKind::FriendRequestRejected,
                        request.actor_id,
                        0,
                        details,
                    )
                    .await
            }
            _ => {}
        }
        Ok(row)
    }

    /// A request was accepted: its sender is told who accepted, and the one who accepted is
    /// told of the new friend too, so that every session of both learns of the friendship
    /// (a client with no friend list of its own, like the seed's, lists conversations from
    /// these).
    async fn friendship_announced(&self, sender: u64, accepter: u64, details: serde_json::Value) {
        self.notifier
            .announce(
                &[sender],
                pb::NotificationKind::FriendRequestAccepted,
                accepter,
                0,
                details.clone(),
            )
            .await;
        self.notifier
            .announce(
                &[accepter],
                pb::NotificationKind::FriendAdded,
                sender,
                0,
                details,
            )
            .await;
    }

    async fn answer_once(
        &self,
        request: &pb::AnswerFriendRequestRequest,
        status: u8,
    ) -> Result<RequestRow, AccountError> {
        let me = request.actor_id;
        let tx = begin(&self.db).await?;
        let row = store::request_for_update(&tx, request.request_id).await?;
        let allowed = row.as_ref().is_some_and(|row| {
            if status == CANCELLED {
                row.from_id == me
            } else {
                row.to_id == me
            }
        });
        // Someone else's request is as invisible as a missing one.
        let Some(row) = row.filter(|_| allowed) else {
            return Err(AccountError::NotFound(format!(
                "no friend request {}",
                request.request_id
            )));
        };
        if row.status != PENDING {
            return Err(AccountError::conflict(
                "not_pending",
                "this request was already answered",
            ));
        }
        let now = now_ms();
        if status == ACCEPTED {
            if store::is_blocked(&tx, row.from_id, row.to_id).await?
                || store::is_blocked(&tx, row.to_id, row.from_id).await?
            {
                return Err(AccountError::Forbidden("a block stands between you".into()));
            }
            store::befriend(&tx, me, &request.remark, row.from_id, &row.remark, now).await?;
        }
        store::answer(&tx, row.id, status, now).await?;
        tx.commit().await?;
        store::request(&self.db, row.id)
            .await?
            .ok_or_else(|| AccountError::Internal("request vanished".into()))
    }

    pub async fn friend(&self, me: u64, friend_id: u64) -> Result<pb::Friend, AccountError> {
        let row = store::friend(&self.db, me, friend_id)
            .await?
            .ok_or_else(|| {
                AccountError::NotFound(format!("user {friend_id} is not your friend"))
            })?;
        Ok(pb::Friend {
            user: self.profiles(&[friend_id]).await?.into_iter().next(),
            remark: row.remark,
            since_ms: row.since_ms,
        })
    }

    pub async fn list_friends(
        &self,
        request: pb::ListFriendsRequest,
    ) -> Result<pb::ListFriendsResponse, AccountError> {
        let limit = page_size(&request.page);
        let after = cursor_id(&request.page)?.unwrap_or(0);
        let rows = store::list_friends(&self.db, request.actor_id, after, limit + 1).await?;
        let more = rows.len() as u64 > limit;
        let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
        let ids: Vec<u64> = rows.iter().map(|row| row.friend_id).collect();
        let people = self.profiles(&ids).await?;
        let friends = rows
            .iter()
            .map(|row| pb::Friend {
                user: people.iter().find(|p| p.user_id == row.friend_id).cloned(),
                remark: row.remark.clone(),
                since_ms: row.since_ms,
            })
            .collect();
        let next_cursor = match (more, ids.last()) {
            (true, Some(last)) => last.to_string(),
            _ => String::new(),
        };
        Ok(pb::ListFriendsResponse {
            friends,
            next_cursor,
        })
    }

    pub async fn set_remark(
        &self,
        request: pb::SetFriendRemarkRequest,
    ) -> Result<pb::Friend, AccountError> {
        validate::text("remark", &request.remark, 64)?;
        if !store::set_remark(
            &self.db,
            request.actor_id,
            request.friend_id,
            &request.remark,
        )
        .await?
        {
            return Err(AccountError::NotFound(format!(
                "user {} is not your friend",
                request.friend_id
            )));
        }
        self.friend(request.actor_id, request.friend_id).await
    }

    pub async fn delete_friend(&self, me: u64, friend_id: u64) -> Result<(), AccountError> {
        if !store::unfriend(&self.db, me, friend_id).await? {
            return Err(AccountError::NotFound(format!(
                "user {friend_id} is not your friend"
            )));
        }
        self.relation_changed(me, friend_id).await
    }

    /// After a committed change that takes a permission away: caches of "may message" must
    /// refetch. A failure is an error to the caller, who may retry (the change itself stands
    /// and repeating it is harmless); caches also expire on their own.
    async fn relation_changed(&self, a: u64, b: u64) -> Result<(), AccountError> {
        Ok(self.stamps.touch(Subject::Pair(a, b)).await?)
    }

    /// Blocks a user: pending requests between us end, and no new ones can be sent either way.
    pub async fn block(&self, me: u64, user: u64) -> Result<(), AccountError> {
        if me == user {
            return Err(AccountError::invalid(
                "self_block",
                "you cannot block yourself",
            ));
        }
        if self.users.by_id(user).await?.is_none() {
            return Err(AccountError::NotFound(format!("no user {user}")));
        }
        retrying(|| async {
            let tx = begin(&self.db).await?;
            store::block(&tx, me, user, now_ms()).await?;
            store::cancel_between(&tx, me, user, now_ms()).await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        self.relation_changed(me, user).await
    }

    pub async fn unblock(&self, me: u64, user: u64) -> Result<(), AccountError> {
        if !store::unblock(&self.db, me, user).await? {
            return Err(AccountError::NotFound(format!(
                "user {user} is not blocked"
            )));
        }
        Ok(())
    }

    pub async fn list_blocked(
        &self,
        request: pb::ListBlockedRequest,
    ) -> Result<pb::ListBlockedResponse, AccountError> {
        let limit = page_size(&request.page);
        let after = cursor_id(&request.page)?.unwrap_or(0);
        let ids = store::blocked_ids(&self.db, request.actor_id, after, limit + 1).await?;
        let more = ids.len() as u64 > limit;
        let ids: Vec<u64> = ids.into_iter().take(limit as usize).collect();
        let next_cursor = match (more, ids.last()) {
            (true, Some(last)) => last.to_string(),
            _ => String::new(),
        };
        Ok(pb::ListBlockedResponse {
            users: self.profiles(&ids).await?,
            next_cursor,
        })
    }

    pub async fn are_friends(
        &self,
        a: u64,
        b: u64,
    ) -> Result<pb::AreFriendsResponse, AccountError> {
        let friends = store::are_friends(&self.db, a, b).await?;
        let blocked =
            store::is_blocked(&self.db, a, b).await? || store::is_blocked(&self.db, b, a).await?;
        Ok(pb::AreFriendsResponse { friends, blocked })
    }

    pub async fn is_blocked(&self, blocker: u64, user: u64) -> Result<bool, AccountError> {
        Ok(store::is_blocked(&self.db, blocker, user).await?)
    }

    pub async fn friend_ids(&self, user: u64) -> Result<Vec<u64>, AccountError> {
        Ok(store::friend_ids(&self.db, user).await?)
    }

    /// The caller's relation to each of `others` (blocks first, then friendship, then requests).
    pub async fn relations(
        &self,
        me: u64,
        others: &[u64],
    ) -> Result<Vec<(u64, Relation)>, AccountError> {
        let flags = store::relations(&self.db, me, others).await?;
        Ok(others
            .iter()
            .map(|other| {
                let relation = if *other == me {
                    Relation::Self_
                } else {
                    match flags.iter().find(|(id, _)| id == other).map(|(_, f)| *f) {
                        Some([_, _, _, true, _]) => Relation::Blocked,
                        Some([_, _, _, _, true]) => Relation::BlockedBy,
                        Some([true, ..]) => Relation::Friend,
                        Some([_, true, ..]) => Relation::RequestSent,
                        Some([_, _, true, ..]) => Relation::RequestReceived,
                        _ => Relation::None,
                    }
                };
                (*other, relation)
            })
            .collect())
    }
}
