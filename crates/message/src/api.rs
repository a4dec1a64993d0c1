//! The gRPC face of the message service: each RPC hands its request to the [`Service`].

use chat_common::Shutdown;
use chat_proto::message as pb;
use chat_proto::message::message_server::Message;
use tonic::{Request, Response, Status, Streaming};

use crate::send_stream;
use crate::service::Service;

/// The Message gRPC service.
pub struct MessageApi {
    pub service: Service,
    /// Ends open send streams, which would otherwise hold the graceful shutdown forever.
    pub shutdown: Shutdown,
}

#[tonic::async_trait]
impl Message for MessageApi {
    async fn send_stream(
        &self,
        request: Request<Streaming<pb::SendStreamRequest>>,
    ) -> Result<Response<send_stream::Replies>, Status> {
        Ok(Response::new(send_stream::serve(
            self.service.clone(),
            request.into_inner(),
            self.shutdown.clone(),
        )))
    }

    async fn send(
        &self,
        request: Request<pb::SendRequest>,
    ) -> Result<Response<pb::SendResponse>, Status> {
        Ok(Response::new(
            self.service.send(request.into_inner()).await?,
        ))
    }

    async fn list_conversations(
        &self,
        request: Request<pb::ListConversationsRequest>,
    ) -> Result<Response<pb::ListConversationsResponse>, Status> {
        Ok(Response::new(
            self.service
                .list_conversations(request.into_inner())
                .await?,
        ))
    }

    async fn pull_messages(
        &self,
        request: Request<pb::PullMessagesRequest>,
    ) -> Result<Response<pb::PullMessagesResponse>, Status> {
        Ok(Response::new(
            self.service.pull(request.into_inner()).await?,
        ))
    }

    async fn sync_unread(
        &self,
        request: Request<pb::SyncUnreadRequest>,
    ) -> Result<Response<pb::SyncUnreadResponse>, Status> {
        Ok(Response::new(
            self.service.sync_unread(request.into_inner()).await?,
        ))
    }

    async fn mark_read(
        &self,
        request: Request<pb::MarkReadRequest>,
    ) -> Result<Response<pb::MarkReadResponse>, Status> {
        Ok(Response::new(
            self.service.mark_read(request.into_inner()).await?,
        ))
    }

    async fn recall(
        &self,
        request: Request<pb::RecallRequest>,
    ) -> Result<Response<pb::RecallResponse>, Status> {
        Ok(Response::new(
            self.service.recall(request.into_inner()).await?,
        ))
    }

    async fn delete_for_me(
        &self,
        request: Request<pb::DeleteForMeRequest>,
    ) -> Result<Response<pb::DeleteForMeResponse>, Status> {
        Ok(Response::new(
            self.service.delete_for_me(request.into_inner()).await?,
        ))
    }

    async fn read_counts(
        &self,
        request: Request<pb::ReadCountsRequest>,
    ) -> Result<Response<pb::ReadCountsResponse>, Status> {
        Ok(Response::new(
            self.service.read_counts(request.into_inner()).await?,
        ))
    }

    async fn typing(
        &self,
        request: Request<pb::TypingRequest>,
    ) -> Result<Response<pb::TypingResponse>, Status> {
        Ok(Response::new(
            self.service.typing(request.into_inner()).await?,
        ))
    }

    async fn register_file(
        &self,
        request: Request<pb::RegisterFileRequest>,
    ) -> Result<Response<pb::FileInfo>, Status> {
        Ok(Response::new(
            self.service.register_file(request.into_inner()).await?,
        ))
    }

    async fn authorize_file(
        &self,
        request: Request<pb::AuthorizeFileRequest>,
    ) -> Result<Response<pb::FileInfo>, Status> {
        Ok(Response::new(
            self.service.authorize_file(request.into_inner()).await?,
        ))
    }

    async fn set_avatar(
        &self,
        request: Request<chat_proto::account::SetAvatarRequest>,
    ) -> Result<Response<chat_proto::account::SetAvatarResponse>, Status> {
        Ok(Response::new(
            self.service.set_avatar(request.into_inner()).await?,
        ))
    }
}
