//! Pushes to sessions speaking the seed's WebSocket dialect: the same pushes our sessions get
//! (from RocketMQ, through the gateway's deliverer), rendered as the seed's frames. Messages
//! become frame 2 (never to their own sender: the seed client does not expect its messages
//! back) and move the reader's cursor, so that `selectNotReadMsg` does not answer them again;
//! notifications become frames 4-8, with what the seed shows of them looked up first.

use std::sync::Arc;

use chat_proto::account as pb;
use chat_proto::account::account_client::AccountClient;
use chat_proto::common::{self as pb_common, PageRequest};
use chat_proto::message::MarkReadRequest;
use chat_proto::message::message_client::MessageClient;
use chat_proto::push::push::Payload;
use serde::Deserialize;
use tonic::transport::Channel;

use super::frames::{self, ApplicationFrame, ApplicationResultFrame, GroupChangedFrame, encode};
use super::friends::SeedFriend;
use super::groups::SeedGroup;
use super::msg::SeedMessage;
use crate::ws::hub::{Outbound, SessionRef};

/// What a seed session's pushes need.
pub struct SeedPushes {
    account: AccountClient<Channel>,
    message: MessageClient<Channel>,
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
    pub fn new(account: AccountClient<Channel>, message: MessageClient<Channel>) -> Self {
        Self { account, message }
    }

    /// Delivers `payload` to `session`, a seed session. Recalls, receipts, presence and typing
    /// have no seed frame and are dropped.
    pub fn deliver(self: &Arc<Self>, payload: &Payload, session: &SessionRef) {
        match payload {
            Payload::Message(message) => self.chat_message(message, session),
            Payload::Notification(notification) => {
                let (this, notification, session) =
                    (self.clone(), notification.clone(), session.clone());
                tokio::spawn(async move { this.notification(&notification, &session).await });
            }
            _ => {}
        }
    }

    fn chat_message(&self, message: &pb_common::ChatMessage, session: &SessionRef) {
        let viewer = session.user_id;
        if message.sender_id == viewer {
            return;
        }
        let Some(seed) = SeedMessage::for_viewer(message, viewer) else {
            return;
        };
        if !session.offer(Outbound::Text(encode(frames::CHAT_MESSAGE, &seed))) {
            return;
        }
        let mut client = self.message.clone();
        let read = MarkReadRequest {
            actor_id: viewer,
            conversation_id: message.conversation_id.clone(),
            seq: message.seq,
        };
        tokio::spawn(async move {
            if let Err(status) = client.mark_read(read).await {
                tracing::warn!(%status, "could not move a seed reader's cursor past a push");
            }
        });
    }

    async fn notification(&self, notification: &pb::Notification, session: &SessionRef) {
        let kind = pb::NotificationKind::try_from(notification.kind)
            .unwrap_or(pb::NotificationKind::Unspecified);
        let rendered = match kind {
            pb::NotificationKind::FriendRequestReceived => {
                self.application(notification, session.user_id).await
            }
            pb::NotificationKind::FriendRequestAccepted => {
                self.accepted(notification, session.user_id).await
            }
            pb::NotificationKind::GroupAdded => {
                self.added_to_group(notification, session.user_id).await
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

    /// Frames 5 and 6, to the proposer: the outcome, then the new friend.
    async fn accepted(
        &self,
        notification: &pb::Notification,
        viewer: u64,
    ) -> Result<Vec<bytes::Bytes>, tonic::Status> {
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
        let mut out = vec![encode(
            frames::APPLICATION_RESULT,
            &ApplicationResultFrame {
                proposer_id: viewer,
                proposer_remark: remark,
                apply_status: 1,
                target_user: notification.actor_id,
            },
        )];
        let friend = super::friends::list_all(&self.account, viewer)
            .await?
            .iter()
            .filter_map(SeedFriend::from_proto)
            .find(|friend| friend.friend_id == notification.actor_id);
        if let Some(friend) = friend {
            out.push(encode(frames::NEW_FRIENDSHIP, &friend));
        }
        Ok(out)
    }

    /// Frame 7: the group, by name.
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
            .await?
            .into_inner();
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

fn details(notification: &pb::Notification) -> Details {
    serde_json::from_str(&notification.payload_json).unwrap_or_default()
}
