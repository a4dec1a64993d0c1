//! The Account gRPC service: thin glue from each RPC to the logic that serves it. RPCs of the
//! social layer not yet built answer UNIMPLEMENTED (generated default stubs).

use chat_proto::account as pb;
use chat_proto::account::account_server::Account;
use chat_proto::common::UserProfile;
use chat_proto::push::SessionRevoked;
use chat_proto::push::push::Payload;
use tonic::{Request, Response, Status};

use crate::accounts::Accounts;
use crate::avatars;
use crate::friends::Friends;
use crate::groups::Groups;
use crate::notify::Notifier;
use crate::presence::Presence;
use crate::store::friends::{ACCEPTED, CANCELLED, REJECTED};

/// The gRPC face of the account service.
pub struct AccountApi {
    pub accounts: Accounts,
    pub friends: Friends,
    pub groups: Groups,
    pub notifier: Notifier,
    pub presence: Presence,
}

impl AccountApi {
    /// Ends the user's open connections of the given login sessions (or all but `keep`): their
    /// tokens are already revoked, so a reconnect is refused.
    async fn revoke(&self, user_id: u64, end: Vec<String>, keep: Vec<String>, reason: &str) {
        let revoked = SessionRevoked {
            user_id,
            keep_session_ids: keep,
            reason: reason.to_owned(),
            end_session_ids: end,
        };
        self.notifier
            .publish(
                vec![(vec![user_id], Payload::SessionRevoked(revoked))],
                "revocation",
            )
            .await;
    }

    async fn answer(
        &self,
        request: pb::AnswerFriendRequestRequest,
        status: u8,
    ) -> Result<pb::FriendRequest, Status> {
        let row = self.friends.answer(request, status).await?;
        Ok(self.friends.request_view(&row).await?)
    }
}

#[tonic::async_trait]
impl Account for AccountApi {
    async fn register_user(
        &self,
        request: Request<pb::RegisterUserRequest>,
    ) -> Result<Response<pb::RegisterUserResponse>, Status> {
        let user = self.accounts.register(request.into_inner()).await?;
        Ok(Response::new(pb::RegisterUserResponse { user: Some(user) }))
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        Ok(Response::new(
            self.accounts.login(request.into_inner()).await?,
        ))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        if let Some(session) = self.accounts.logout(&request.into_inner().token).await? {
            self.revoke(
                session.user_id,
                vec![session.session_id],
                vec![],
                "signed out",
            )
            .await;
        }
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn authenticate(
        &self,
        request: Request<pb::AuthenticateRequest>,
    ) -> Result<Response<pb::AuthenticateResponse>, Status> {
        let (session, user) = self
            .accounts
            .authenticate(&request.into_inner().token)
            .await?;
        Ok(Response::new(pb::AuthenticateResponse {
            user_id: user.id,
            username: user.username,
            expires_at_ms: session.expires_at_ms,
            session_id: session.session_id,
        }))
    }

    async fn list_revocations(
        &self,
        request: Request<pb::ListRevocationsRequest>,
    ) -> Result<Response<pb::ListRevocationsResponse>, Status> {
        let request = request.into_inner();
        Ok(Response::new(
            self.accounts
                .tokens
                .revocations(request.after_id, request.limit)
                .await?,
        ))
    }

    async fn get_me(
        &self,
        request: Request<pb::GetMeRequest>,
    ) -> Result<Response<UserProfile>, Status> {
        Ok(Response::new(
            self.accounts.me(request.into_inner().actor_id).await?,
        ))
    }

    async fn update_profile(
        &self,
        request: Request<pb::UpdateProfileRequest>,
    ) -> Result<Response<UserProfile>, Status> {
        Ok(Response::new(
            self.accounts.update_profile(request.into_inner()).await?,
        ))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        let request = request.into_inner();
        let (user, keep) = (request.actor_id, request.keep_session_id.clone());
        self.accounts.change_password(request).await?;
        let keep = if keep.is_empty() { vec![] } else { vec![keep] };
        self.revoke(user, vec![], keep, "the password was changed")
            .await;
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn report_presence(
        &self,
        request: Request<pb::ReportPresenceRequest>,
    ) -> Result<Response<pb::ReportPresenceResponse>, Status> {
        let known = self.presence.report(request.into_inner()).await?;
        Ok(Response::new(pb::ReportPresenceResponse { known }))
    }

    async fn get_users(
        &self,
        request: Request<pb::GetUsersRequest>,
    ) -> Result<Response<pb::GetUsersResponse>, Status> {
        let users = self
            .accounts
            .get_users(&request.into_inner().user_ids)
            .await?;
        Ok(Response::new(pb::GetUsersResponse { users }))
    }

    async fn search_users(
        &self,
        request: Request<pb::SearchUsersRequest>,
    ) -> Result<Response<pb::SearchUsersResponse>, Status> {
        let actor = request.get_ref().actor_id;
        let mut reply = self.accounts.search(request.into_inner()).await?;
        let ids: Vec<u64> = reply
            .hits
            .iter()
            .filter_map(|hit| hit.user.as_ref().map(|u| u.user_id))
            .collect();
        let relations = self.friends.relations(actor, &ids).await?;
        for (hit, (_, relation)) in reply.hits.iter_mut().zip(relations) {
            hit.relation = relation as i32;
        }
        Ok(Response::new(reply))
    }

    async fn send_friend_request(
        &self,
        request: Request<pb::SendFriendRequestRequest>,
    ) -> Result<Response<pb::FriendRequest>, Status> {
        Ok(Response::new(
            self.friends.send_request(request.into_inner()).await?,
        ))
    }

    async fn list_friend_requests(
        &self,
        request: Request<pb::ListFriendRequestsRequest>,
    ) -> Result<Response<pb::ListFriendRequestsResponse>, Status> {
        Ok(Response::new(
            self.friends.list_requests(request.into_inner()).await?,
        ))
    }

    async fn accept_friend_request(
        &self,
        request: Request<pb::AnswerFriendRequestRequest>,
    ) -> Result<Response<pb::Friend>, Status> {
        let request = request.into_inner();
        let me = request.actor_id;
        let row = self.friends.answer(request, ACCEPTED).await?;
        Ok(Response::new(self.friends.friend(me, row.from_id).await?))
    }

    async fn reject_friend_request(
        &self,
        request: Request<pb::AnswerFriendRequestRequest>,
    ) -> Result<Response<pb::FriendRequest>, Status> {
        Ok(Response::new(
            self.answer(request.into_inner(), REJECTED).await?,
        ))
    }

    async fn cancel_friend_request(
        &self,
        request: Request<pb::AnswerFriendRequestRequest>,
    ) -> Result<Response<pb::FriendRequest>, Status> {
        Ok(Response::new(
            self.answer(request.into_inner(), CANCELLED).await?,
        ))
    }

    async fn list_friends(
        &self,
        request: Request<pb::ListFriendsRequest>,
    ) -> Result<Response<pb::ListFriendsResponse>, Status> {
        let mut friends = self.friends.list_friends(request.into_inner()).await?;
        let mut profiles: Vec<&mut UserProfile> = friends
            .friends
            .iter_mut()
            .filter_map(|friend| friend.user.as_mut())
            .collect();
        self.presence.mark_online(&mut profiles).await?;
        Ok(Response::new(friends))
    }

    async fn set_friend_remark(
        &self,
        request: Request<pb::SetFriendRemarkRequest>,
    ) -> Result<Response<pb::Friend>, Status> {
        Ok(Response::new(
            self.friends.set_remark(request.into_inner()).await?,
        ))
    }

    async fn delete_friend(
        &self,
        request: Request<pb::DeleteFriendRequest>,
    ) -> Result<Response<pb::DeleteFriendResponse>, Status> {
        let request = request.into_inner();
        self.friends
            .delete_friend(request.actor_id, request.friend_id)
            .await?;
        Ok(Response::new(pb::DeleteFriendResponse {}))
    }

    async fn block_user(
        &self,
        request: Request<pb::BlockUserRequest>,
    ) -> Result<Response<pb::BlockUserResponse>, Status> {
        let request = request.into_inner();
        self.friends
            .block(request.actor_id, request.user_id)
            .await?;
        Ok(Response::new(pb::BlockUserResponse {}))
    }

    async fn unblock_user(
        &self,
        request: Request<pb::BlockUserRequest>,
    ) -> Result<Response<pb::BlockUserResponse>, Status> {
        let request = request.into_inner();
        self.friends
            .unblock(request.actor_id, request.user_id)
            .await?;
        Ok(Response::new(pb::BlockUserResponse {}))
    }

    async fn list_blocked(
        &self,
        request: Request<pb::ListBlockedRequest>,
    ) -> Result<Response<pb::ListBlockedResponse>, Status> {
        Ok(Response::new(
            self.friends.list_blocked(request.into_inner()).await?,
        ))
    }

    async fn are_friends(
        &self,
        request: Request<pb::AreFriendsRequest>,
    ) -> Result<Response<pb::AreFriendsResponse>, Status> {
        let request = request.into_inner();
        Ok(Response::new(
            self.friends
                .are_friends(request.user_a, request.user_b)
                .await?,
        ))
    }

    async fn is_blocked(
        &self,
        request: Request<pb::IsBlockedRequest>,
    ) -> Result<Response<pb::IsBlockedResponse>, Status> {
        let request = request.into_inner();
        let blocked = self
            .friends
            .is_blocked(request.blocker_id, request.user_id)
            .await?;
        Ok(Response::new(pb::IsBlockedResponse { blocked }))
    }

    async fn friend_ids(
        &self,
        request: Request<pb::FriendIdsRequest>,
    ) -> Result<Response<pb::FriendIdsResponse>, Status> {
        let friend_ids = self
            .friends
            .friend_ids(request.into_inner().user_id)
            .await?;
        Ok(Response::new(pb::FriendIdsResponse { friend_ids }))
    }

    async fn set_avatar(
        &self,
        request: Request<pb::SetAvatarRequest>,
    ) -> Result<Response<pb::SetAvatarResponse>, Status> {
        Ok(Response::new(
            avatars::set(&self.accounts, &self.groups, request.into_inner()).await?,
        ))
    }

    async fn create_group(
        &self,
        request: Request<pb::CreateGroupRequest>,
    ) -> Result<Response<pb::Group>, Status> {
        Ok(Response::new(
            self.groups.create(request.into_inner()).await?,
        ))
    }

    async fn get_group(
        &self,
        request: Request<pb::GetGroupRequest>,
    ) -> Result<Response<pb::Group>, Status> {
        let request = request.into_inner();
        Ok(Response::new(
            self.groups.get(request.actor_id, request.group_id).await?,
        ))
    }

    async fn update_group(
        &self,
        request: Request<pb::UpdateGroupRequest>,
    ) -> Result<Response<pb::Group>, Status> {
        Ok(Response::new(
            self.groups.update(request.into_inner()).await?,
        ))
    }

    async fn dissolve_group(
        &self,
        request: Request<pb::DissolveGroupRequest>,
    ) -> Result<Response<pb::DissolveGroupResponse>, Status> {
        let request = request.into_inner();
        self.groups
            .dissolve(request.actor_id, request.group_id)
            .await?;
        Ok(Response::new(pb::DissolveGroupResponse {}))
    }

    async fn list_my_groups(
        &self,
        request: Request<pb::ListMyGroupsRequest>,
    ) -> Result<Response<pb::ListMyGroupsResponse>, Status> {
        Ok(Response::new(
            self.groups.my_groups(request.into_inner()).await?,
        ))
    }

    async fn list_group_members(
        &self,
        request: Request<pb::ListGroupMembersRequest>,
    ) -> Result<Response<pb::ListGroupMembersResponse>, Status> {
        Ok(Response::new(
            self.groups.members(request.into_inner()).await?,
        ))
    }

    async fn invite_to_group(
        &self,
        request: Request<pb::InviteToGroupRequest>,
    ) -> Result<Response<pb::InviteToGroupResponse>, Status> {
        let added_user_ids = self.groups.invite(request.into_inner()).await?;
        Ok(Response::new(pb::InviteToGroupResponse { added_user_ids }))
    }

    async fn join_group(
        &self,
        request: Request<pb::JoinGroupRequest>,
    ) -> Result<Response<pb::JoinGroupResponse>, Status> {
        Ok(Response::new(self.groups.join(request.into_inner()).await?))
    }

    async fn list_join_requests(
        &self,
        request: Request<pb::ListJoinRequestsRequest>,
    ) -> Result<Response<pb::ListJoinRequestsResponse>, Status> {
        Ok(Response::new(
            self.groups.join_requests(request.into_inner()).await?,
        ))
    }

    async fn approve_join_request(
        &self,
        request: Request<pb::AnswerJoinRequestRequest>,
    ) -> Result<Response<pb::JoinRequest>, Status> {
        let request = request.into_inner();
        let row = self
            .groups
            .answer_join(request.actor_id, request.join_request_id, true)
            .await?;
        Ok(Response::new(self.groups.join_request_view(&row).await?))
    }

    async fn reject_join_request(
        &self,
        request: Request<pb::AnswerJoinRequestRequest>,
    ) -> Result<Response<pb::JoinRequest>, Status> {
        let request = request.into_inner();
        let row = self
            .groups
            .answer_join(request.actor_id, request.join_request_id, false)
            .await?;
        Ok(Response::new(self.groups.join_request_view(&row).await?))
    }

    async fn leave_group(
        &self,
        request: Request<pb::LeaveGroupRequest>,
    ) -> Result<Response<pb::LeaveGroupResponse>, Status> {
        let request = request.into_inner();
        self.groups
            .leave(request.actor_id, request.group_id)
            .await?;
        Ok(Response::new(pb::LeaveGroupResponse {}))
    }

    async fn kick_member(
        &self,
        request: Request<pb::KickMemberRequest>,
    ) -> Result<Response<pb::KickMemberResponse>, Status> {
        let request = request.into_inner();
        self.groups
            .kick(request.actor_id, request.group_id, request.user_id)
            .await?;
        Ok(Response::new(pb::KickMemberResponse {}))
    }

    async fn set_admin(
        &self,
        request: Request<pb::SetAdminRequest>,
    ) -> Result<Response<pb::GroupMember>, Status> {
        Ok(Response::new(
            self.groups.set_admin(request.into_inner()).await?,
        ))
    }

    async fn mute_member(
        &self,
        request: Request<pb::MuteMemberRequest>,
    ) -> Result<Response<pb::GroupMember>, Status> {
        Ok(Response::new(self.groups.mute(request.into_inner()).await?))
    }

    async fn transfer_ownership(
        &self,
        request: Request<pb::TransferOwnershipRequest>,
    ) -> Result<Response<pb::Group>, Status> {
        Ok(Response::new(
            self.groups.transfer(request.into_inner()).await?,
        ))
    }

    async fn group_members(
        &self,
        request: Request<pb::GroupMembersRequest>,
    ) -> Result<Response<pb::GroupMembersResponse>, Status> {
        Ok(Response::new(
            self.groups.member_ids(request.into_inner()).await?,
        ))
    }

    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        Ok(Response::new(
            self.notifier.list(request.into_inner()).await?,
        ))
    }

    async fn take_notifications(
        &self,
        request: Request<pb::TakeNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        Ok(Response::new(
            self.notifier.take(request.into_inner()).await?,
        ))
    }
}
