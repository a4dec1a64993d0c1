//! One page of a conversation as the viewer may read it, for the seed's pulls and pushes.

use chat_common::internal::InternalChannel;
use chat_proto::message as pb;
use chat_proto::message::message_client::MessageClient;

/// Messages per page asked of the message service (its largest).
pub const MESSAGE_PAGE: u32 = 200;

/// The page (and whether there is more) after (or before) `seq` of `conversation_id`, as `user_id` reads it.
pub async fn page(
    message: &MessageClient<InternalChannel>,
    user_id: u64,
    conversation_id: &str,
    seq: u64,
    direction: pb::PullDirection,
) -> Result<pb::PullMessagesResponse, tonic::Status> {
    Ok(message
        .clone()
        .pull_messages(pb::PullMessagesRequest {
            actor_id: user_id,
            conversation_id: conversation_id.to_owned(),
            seq,
            direction: direction as i32,
            limit: MESSAGE_PAGE,
        })
        .await?
        .into_inner())
}
