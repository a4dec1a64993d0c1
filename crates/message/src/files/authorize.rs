//! Who may download a file: its uploader, and whoever may read a conversation in which a
//! message that was not recalled carries it (`authorize_read`: the two ends of a 1:1
//! conversation, the current members of a group, so a kick or a leave takes effect at once);
//! and an avatar, by every signed-in user.

use chat_common::ServiceError;
use chat_proto::message as pb;

use super::avatar::is_avatar_ref;
use super::info;
use crate::conversation::ConversationId;
use crate::service::Service;
use crate::store::files;

/// Conversations looked at per download: a file forwarded into more is rare, and one readable
/// conversation is enough.
const MAX_CONVERSATIONS: u64 = 64;

impl Service {
    pub async fn authorize_file(
        &self,
        request: pb::AuthorizeFileRequest,
    ) -> Result<pb::FileInfo, ServiceError> {
        // Someone else's file is as invisible as a missing one.
        let hidden = || ServiceError::NotFound(format!("no file {}", request.file_id));
        let row = files::by_id(&self.db, request.file_id)
            .await?
            .ok_or_else(hidden)?;
        if row.uploader_id == request.actor_id {
            return Ok(info(row));
        }
        for conversation in
            files::conversations_of(&self.db, request.file_id, MAX_CONVERSATIONS).await?
        {
            // An avatar is shown to everyone who sees its user or group: any signed-in user.
            if is_avatar_ref(&conversation) {
                return Ok(info(row));
            }
            let Ok(conversation) = ConversationId::parse(&conversation) else {
                tracing::warn!(%conversation, file = request.file_id, "a file ref names no conversation");
                continue;
            };
            match self.authorize_read(request.actor_id, &conversation).await {
                Ok(_) => return Ok(info(row)),
                Err(ServiceError::NotFound(_) | ServiceError::Forbidden(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Err(hidden())
    }
}
