//! Pushes to sessions speaking the seed's WebSocket dialect: the same pushes our sessions get
//! (from RocketMQ, through the gateway's deliverer), rendered as the seed's frames. Messages
//! become frame 2 (never to their own sender: the seed client does not expect its messages
//! back) and move the reader's cursor, so that `selectNotReadMsg` does not answer them again;
//! notifications become frames 4-8, with what the seed shows of them looked up first.
//!
//! Frames 5-7 (an answer to my friend request, a new friend, a group I was added to) are how
//! the seed client fills its conversation list, and it has no pull for them: so they are not
//! rendered from the push itself but taken from the account service (`TakeNotifications`,
//! channel `seed`), which answers each once per user. A push of such a kind, and every seed
//! connect, takes whatever is untaken: a client that was away gets what it missed, and no
//! frame reaches the user's seed sessions twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use chat_common::internal::InternalChannel;
use chat_proto::account as pb;
use chat_proto::account::account_client::AccountClient;
use chat_proto::common::{self as pb_common, PageRequest};
use chat_proto::message::message_client::MessageClient;
use chat_proto::message::{MarkReadRequest, PullDirection};
use chat_proto::push::push::Payload;
use serde::Deserialize;

use super::frames::{self, ApplicationFrame, ApplicationResultFrame, GroupChangedFrame, encode};
use super::friends::SeedFriend;
use super::groups::SeedGroup;
use super::msg::SeedMessage;
use crate::ws::hub::{Outbound, SessionRef};

/// The kinds rendered as frames 5-7, taken once per user rather than from each push.
const TAKEN: [pb::NotificationKind; 4] = [
    pb::NotificationKind::FriendRequestAccepted,
    pb::NotificationKind::FriendRequestRejected,
    pb::NotificationKind::FriendAdded,
    pb::NotificationKind::GroupAdded,
];
/// The account service's cursor of what seed sessions were given.
const CHANNEL: &str = "seed";
/// Notifications per take, and takes per catch-up (the rest wait for the next push or
/// connect).
const TAKE: u32 = 100;
const MAX_TAKES: usize = 10;
/// `applyStatus` of frame 5.
const ACCEPTED: u8 = 1;
const REJECTED: u8 = 2;

/// What a seed session's pushes need.
pub struct SeedPushes {
    account: AccountClient<InternalChannel>,
    message: MessageClient<InternalChannel>,
}

/// The details our notifications carry (`payload_json`), as far as the seed shows them.
#[derive(Deserialize, Default)]
struct Details {
    #[serde(default)]
    request_id: u64,
    #[serde(default)]
    message: String,
}

impl SeedPushes {
    pub fn new(
        account: AccountClient<InternalChannel>,
        message: MessageClient<InternalChannel>,
    ) -> Self {
        Self { account, message }
    }

    /// Delivers `payload` to `sessions`, all of them seed sessions. Recalls, receipts, presence
    /// and typing have no seed frame and are dropped.
    pub fn deliver(self: &Arc<Self>, payload: &Payload, sessions: &[SessionRef]) {
        match payload {
            Payload::Message(message) => self.chat_message(message, sessions),
            Payload::Notification(notification) => {
                for session in sessions {
                    let (this, notification, session) =
                        (self.clone(), notification.clone(), session.clone());
                    tokio::spawn(async move { this.notification(&notification, &session).await });
                }
            }
            _ => {}
        }
    }

    /// Frame 2 to every seed session of each recipient but the sender.
    fn chat_message(self: &Arc<Self>, message: &pb_common::ChatMessage, sessions: &[SessionRef]) {
        let mut by_user: BTreeMap<u64, Vec<SessionRef>> = BTreeMap::new();
        for session in sessions {
            if session.user_id != message.sender_id {
                by_user
                    .entry(session.user_id)
                    .or_default()
                    .push(session.clone());
            }
        }
        for (viewer, sessions) in by_user {
            if message.kind == pb_common::ConversationKind::Direct as i32 {
                let (this, message) = (self.clone(), message.clone());
                tokio::spawn(async move { this.direct_message(&message, viewer, &sessions).await });
            } else {
                self.group_message(message, viewer, &sessions);
            }
        }
    }

    /// Group pulls go by the client's own `msgId`, not by our cursor: push, then move the
    /// cursor as our clients' reads do.
    fn group_message(
        &self,
        message: &pb_common::ChatMessage,
        viewer: u64,
        sessions: &[SessionRef],
    ) {
        let Some(seed) = SeedMessage::for_viewer(message, viewer) else {
            return;
        };
        let frame = encode(frames::CHAT_MESSAGE, &seed);
        let offered = sessions
            .iter()
            .filter(|session| session.offer(Outbound::Text(frame.clone())))
            .count();
        if offered == 0 {
            return;
        }
        let mut client = self.message.clone();
        let read = MarkReadRequest {
            actor_id: viewer,
            conversation_id: message.conversation_id.clone(),
            seq: message.seq,
            report_previous: false,
        };
        tokio::spawn(async move {
            if let Err(status) = client.mark_read(read).await {
                tracing::warn!(%status, "could not move a seed reader's cursor past a push");
            }
        });
    }

    /// A direct message is handed over by whichever moves the reader's cursor past it first:
    /// this push (to every seed session of the reader), or a `selectNotReadMsg` (which answers
    /// only what its own move passed). When the move passes messages before this one (sent
    /// while the client was connecting, and not pulled yet), they go first, so none is skipped.
    async fn direct_message(
        &self,
        message: &pb_common::ChatMessage,
        viewer: u64,
        sessions: &[SessionRef],
    ) {
        let moved = self
            .message
            .clone()
            .mark_read(MarkReadRequest {
                actor_id: viewer,
                conversation_id: message.conversation_id.clone(),
                seq: message.seq,
                report_previous: true,
            })
            .await;
        let mut messages = match moved {
            Ok(moved) => {
                let previous = moved.into_inner().previous_read_seq;
                if previous >= message.seq {
                    return;
                }
                self.between(&message.conversation_id, viewer, previous, message.seq)
                    .await
            }
            Err(status) => {
                // Shown twice (pushed now, pulled later) rather than lost.
                tracing::warn!(%status, "could not move a seed reader's cursor; pushing anyway");
                Vec::new()
            }
        };
        messages.push(message.clone());
        for message in messages
            .iter()
            .filter(|message| message.sender_id != viewer)
        {
            if let Some(seed) = SeedMessage::for_viewer(message, viewer) {
                let frame = encode(frames::CHAT_MESSAGE, &seed);
                for session in sessions {
                    session.offer(Outbound::Text(frame.clone()));
                }
            }
        }
    }

    /// The messages of a conversation after `after` and before `before`, oldest first (at most
    /// a few pages: a longer gap is what a pull is for, and the cursor has passed it, so it is
    /// logged).
    async fn between(
        &self,
        conversation_id: &str,
        viewer: u64,
        mut after: u64,
        before: u64,
    ) -> Vec<pb_common::ChatMessage> {
        let mut out = Vec::new();
        for _ in 0..super::MAX_PAGES {
            if after + 1 >= before {
                return out;
            }
            let page = super::pull::page(
                &self.message,
                viewer,
                conversation_id,
                after,
                PullDirection::After,
            )
            .await;
            let page = match page {
                Ok(page) => page,
                Err(status) => {
                    tracing::warn!(%status, "could not read what a seed push passed over");
                    return out;
                }
            };
            let Some(last) = page.messages.last().map(|message| message.seq) else {
                return out;
            };
            out.extend(page.messages.into_iter().filter(|m| m.seq < before));
            if !page.has_more {
                return out;
            }
            after = last;
        }
        tracing::warn!(
            conversation_id,
            viewer,
            "a seed push passed over more than it re-sent"
        );
        out
    }

    async fn notification(&self, notification: &pb::Notification, session: &SessionRef) {
        let kind = pb::NotificationKind::try_from(notification.kind)
            .unwrap_or(pb::NotificationKind::Unspecified);
        if TAKEN.contains(&kind) {
            return self.catch_up(session).await;
        }
        let rendered = match kind {
            pb::NotificationKind::FriendRequestReceived => {
                self.application(notification, session.user_id).await
            }
            pb::NotificationKind::GroupMemberJoined
            | pb::NotificationKind::GroupMemberLeft
            | pb::NotificationKind::GroupMemberKicked => Ok(vec![encode(
                frames::GROUP_MEMBERS_CHANGED,
                &GroupChangedFrame {
                    id: notification.group_id,
                },
            )]),
            _ => Ok(Vec::new()),
        };
        offer_all(session, rendered, kind);
    }

    /// Hands `session` the notifications of the [`TAKEN`] kinds that no seed session of its
    /// user was given yet, as frames 5-7.
    pub async fn catch_up(&self, session: &SessionRef) {
        let kinds: Vec<i32> = TAKEN.iter().map(|kind| *kind as i32).collect();
        for _ in 0..MAX_TAKES {
            // What a take answers is nobody else's to deliver: take nothing for a session
            // already gone.
            if session.ended.is_cancelled() {
                return;
            }
            let taken = self
                .account
                .clone()
                .take_notifications(pb::TakeNotificationsRequest {
                    actor_id: session.user_id,
                    channel: CHANNEL.into(),
                    kinds: kinds.clone(),
                    limit: TAKE,
                })
                .await;
            let taken = match taken {
                Ok(taken) => taken.into_inner(),
                Err(status) => {
                    tracing::warn!(%status, "could not take a seed session's notifications");
                    return;
                }
            };
            for notification in &taken.notifications {
                let kind = pb::NotificationKind::try_from(notification.kind)
                    .unwrap_or(pb::NotificationKind::Unspecified);
                let rendered = self.taken(notification, kind, session.user_id).await;
                offer_all(session, rendered, kind);
            }
            if !taken.has_more {
                return;
            }
        }
    }

    /// The frames of a taken notification.
    async fn taken(
        &self,
        notification: &pb::Notification,
        kind: pb::NotificationKind,
        viewer: u64,
    ) -> Result<Vec<bytes::Bytes>, tonic::Status> {
        match kind {
            pb::NotificationKind::FriendRequestAccepted => {
                let mut out = vec![self.answer(notification, viewer, ACCEPTED).await?];
                out.extend(self.new_friend(notification.actor_id, viewer).await?);
                Ok(out)
            }
            pb::NotificationKind::FriendRequestRejected => {
                Ok(vec![self.answer(notification, viewer, REJECTED).await?])
            }
            pb::NotificationKind::FriendAdded => {
                self.new_friend(notification.actor_id, viewer).await
            }
            pb::NotificationKind::GroupAdded => self.added_to_group(notification, viewer).await,
            _ => Ok(Vec::new()),
        }
    }

    /// Frame 4: the proposer, by name.
    async fn application(
        &self,
        notification: &pb::Notification,
        viewer: u64,
    ) -> Result<Vec<bytes::Bytes>, tonic::Status> {
        let details = details(notification);
        let users = self
            .account
            .clone()
            .get_users(pb::GetUsersRequest {
                actor_id: viewer,
                user_ids: vec![notification.actor_id],
            })
            .await?
            .into_inner()
            .users;
        let name = users
            .into_iter()
            .next()
            .map(|user| user.nickname)
            .unwrap_or_default();
        Ok(vec![encode(
            frames::FRIEND_APPLICATION,
            &ApplicationFrame {
                id: details.request_id,
                proposer_id: notification.actor_id,
                proposer_name: name,
                proposer_remark: details.message,
                target_user: viewer,
                apply_pass: 0,
            },
        )])
    }

    /// Frame 5, to the proposer: how the target answered (`applyStatus` 1 or 2).
    async fn answer(
        &self,
        notification: &pb::Notification,
        viewer: u64,
        apply_status: u8,
    ) -> Result<bytes::Bytes, tonic::Status> {
        let details = details(notification);
        let sent = self
            .account
            .clone()
            .list_friend_requests(pb::ListFriendRequestsRequest {
                actor_id: viewer,
                direction: pb::RequestDirection::Outgoing as i32,
                page: Some(PageRequest {
                    cursor: String::new(),
                    limit: super::PAGE,
                }),
            })
            .await?
            .into_inner();
        let remark = sent
            .requests
            .into_iter()
            .find(|request| request.request_id == details.request_id)
            .map(|request| request.message)
            .unwrap_or_default();
        Ok(encode(
            frames::APPLICATION_RESULT,
            &ApplicationResultFrame {
                proposer_id: viewer,
                proposer_remark: remark,
                apply_status,
                target_user: notification.actor_id,
            },
        ))
    }

    /// Frame 6: `friend` as a row of the viewer's friend list; none when they are no longer
    /// friends (the friendship ended before the frame was taken).
    async fn new_friend(
        &self,
        friend: u64,
        viewer: u64,
    ) -> Result<Vec<bytes::Bytes>, tonic::Status> {
        let row = super::friends::list_all(&self.account, viewer)
            .await?
            .iter()
            .filter_map(SeedFriend::from_proto)
            .find(|row| row.friend_id == friend);
        Ok(row
            .map(|row| encode(frames::NEW_FRIENDSHIP, &row))
            .into_iter()
            .collect())
    }

    /// Frame 7: the group, by name; none when it is gone or the viewer left it since.
    async fn added_to_group(
        &self,
        notification: &pb::Notification,
        viewer: u64,
    ) -> Result<Vec<bytes::Bytes>, tonic::Status> {
        let group = self
            .account
            .clone()
            .get_group(pb::GetGroupRequest {
                actor_id: viewer,
                group_id: notification.group_id,
            })
            .await;
        let group = match group {
            Ok(group) => group.into_inner(),
            Err(status) if status.code() == tonic::Code::NotFound => return Ok(Vec::new()),
            Err(status) => return Err(status),
        };
        if group.my_role == pb::GroupRole::Unspecified as i32 {
            return Ok(Vec::new());
        }
        Ok(vec![encode(
            frames::ADDED_TO_GROUP,
            &SeedGroup {
                id: group.group_id,
                group_name: group.name,
                group_remark: group.description,
            },
        )])
    }
}

/// Offers what was rendered, or logs why nothing was.
fn offer_all(
    session: &SessionRef,
    rendered: Result<Vec<bytes::Bytes>, tonic::Status>,
    kind: pb::NotificationKind,
) {
    match rendered {
        Ok(frames) => {
            for frame in frames {
                session.offer(Outbound::Text(frame));
            }
        }
        Err(status) => {
            tracing::warn!(%status, ?kind, "a notification for a seed session was not rendered");
        }
    }
}

fn details(notification: &pb::Notification) -> Details {
    serde_json::from_str(&notification.payload_json).unwrap_or_default()
}
