//! Avatars (ADR 0011): one of the actor's image uploads becomes the avatar of the actor or of a
//! group. The file is kept alive by a `file_refs` row naming the owner (`avatar:u:{id}` or
//! `avatar:g:{id}`, seq 0) instead of a conversation, and every signed-in user may download it.
//!
//! The row is written before the account service swaps the address and the replaced avatar's
//! row removed after, so a file is never the avatar without its row: a failed swap takes back
//! only a row it added, and the account answers exactly which upload was replaced, so two
//! racing changes each release the one they displaced.

use chat_common::ServiceError;
use chat_proto::account as pb;
use tonic::Status;

use crate::service::Service;
use crate::store::files;

/// What `file_refs.conversation_id` holds for an avatar.
const PREFIX: &str = "avatar:";

/// Whether a `file_refs` row keeps an avatar rather than naming a conversation.
pub(super) fn is_avatar_ref(conversation_id: &str) -> bool {
    conversation_id.starts_with(PREFIX)
}

/// The `file_refs` owner of the actor's avatar (group 0) or the group's.
fn owner(actor: u64, group_id: u64) -> String {
    if group_id == 0 {
        format!("{PREFIX}u:{actor}")
    } else {
        format!("{PREFIX}g:{group_id}")
    }
}

impl Service {
    /// Account errors (not the owner, no such group) come back as the account service gave
    /// them, code and all.
    pub async fn set_avatar(
        &self,
        request: pb::SetAvatarRequest,
    ) -> Result<pb::SetAvatarResponse, Status> {
        let (actor, file_id) = (request.actor_id, request.file_id);
        let owner = owner(actor, request.group_id);
        let mut claimed = false;
        if file_id != 0 {
            let row = self.own_upload(actor, file_id).await?;
            if row.kind != "image" {
                return Err(ServiceError::invalid(
                    "wrong_file_kind",
                    format!("file {file_id} is a {} upload, not an image", row.kind),
                )
                .into());
            }
            claimed = files::claim_avatar(&self.db, file_id, &owner)
                .await
                .map_err(ServiceError::from)?;
        }
        let swapped = self.access.account().set_avatar(request).await;
        let response = match swapped {
            Ok(response) => response.into_inner(),
            Err(status) => {
                if claimed
                    && let Err(error) = files::release_avatar(&self.db, file_id, &owner).await
                {
                    // The file stays kept (and public) until replaced again; nothing is lost.
                    tracing::warn!(%error, file_id, %owner, "could not take back an avatar claim");
                }
                return Err(status);
            }
        };
        let replaced = response.replaced_file_id;
        if replaced != 0
            && replaced != file_id
            && let Err(error) = files::release_avatar(&self.db, replaced, &owner).await
        {
            tracing::warn!(%error, file_id = replaced, %owner, "could not release a replaced avatar");
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatar_owners_are_not_conversations() {
        assert_eq!(owner(7, 0), "avatar:u:7");
        assert_eq!(owner(7, 3), "avatar:g:3");
        assert!(is_avatar_ref(&owner(7, 0)));
        assert!(!is_avatar_ref("d:1:2"));
        assert!(crate::conversation::ConversationId::parse(&owner(7, 3)).is_err());
        // The file_refs column is VARCHAR(48).
        assert!(owner(u64::MAX, 0).len() <= 48);
    }
}
