//! Avatars (ADR 0011): an avatar is an image upload, named in `avatar_url` by its download
//! path. The message service checks the file is the actor's image and keeps it from the
//! clean-up; here the actor's right to change the user or group is checked and the address
//! swapped, answering the upload it replaced so that exactly that one stops being kept.

use chat_common::files::{avatar_file_id, download_path};
use chat_proto::account as pb;
use chat_proto::account::NotificationKind as Kind;
use chat_proto::common::UserProfile;
use serde_json::json;

use crate::accounts::{Accounts, now_ms};
use crate::error::AccountError;
use crate::groups::{Groups, not_found, view};
use crate::store::begin;
use crate::store::groups::{self as store, ADMIN};

/// The address an avatar is stored as: the upload's download path, or empty for none.
fn address(file_id: u64) -> String {
    if file_id == 0 {
        String::new()
    } else {
        download_path(file_id)
    }
}

impl Accounts {
    /// Makes `file_id` (0: none) the actor's avatar; answers the upload it replaced and the
    /// profile as it is now.
    pub async fn set_avatar(
        &self,
        actor: u64,
        file_id: u64,
    ) -> Result<(u64, UserProfile), AccountError> {
        let previous = self
            .users
            .swap_avatar(actor, &address(file_id), now_ms())
            .await?
            .ok_or_else(|| AccountError::NotFound(format!("no user {actor}")))?;
        Ok((avatar_file_id(&previous), self.me(actor).await?))
    }
}

impl Groups {
    /// Makes `file_id` (0: none) the group's avatar, for its owner or an admin; tells the other
    /// members. Answers the upload it replaced and the group as it is now.
    pub async fn set_avatar(
        &self,
        actor: u64,
        group_id: u64,
        file_id: u64,
    ) -> Result<(u64, pb::Group), AccountError> {
        let tx = begin(&self.db).await?;
        let mut group = store::group(&tx, group_id, true)
            .await?
            .ok_or_else(|| not_found(group_id))?;
        let member = self.require_role(&tx, group_id, actor, ADMIN).await?;
        let previous = std::mem::replace(&mut group.avatar_url, address(file_id));
        store::update_group(&tx, &group, now_ms()).await?;
        tx.commit().await?;
        let others = self.members_except(group_id, &[actor]).await;
        self.notifier
            .announce(
                &others,
                Kind::GroupUpdated,
                actor,
                group_id,
                json!({ "avatar_file_id": file_id }),
            )
            .await;
        Ok((avatar_file_id(&previous), view(&group, Some(member.role))))
    }
}

/// The account side of `SetAvatar`: the user's (group 0) or the group's.
pub async fn set(
    accounts: &Accounts,
    groups: &Groups,
    request: pb::SetAvatarRequest,
) -> Result<pb::SetAvatarResponse, AccountError> {
    if request.group_id == 0 {
        let (replaced_file_id, user) = accounts
            .set_avatar(request.actor_id, request.file_id)
            .await?;
        Ok(pb::SetAvatarResponse {
            replaced_file_id,
            user: Some(user),
            group: None,
        })
    } else {
        let (replaced_file_id, group) = groups
            .set_avatar(request.actor_id, request.group_id, request.file_id)
            .await?;
        Ok(pb::SetAvatarResponse {
            replaced_file_id,
            user: None,
            group: Some(group),
        })
    }
}
