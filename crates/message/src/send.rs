//! Sending and recalling messages.

use std::time::Instant;

use chat_common::ServiceError;
use chat_proto::common::ConversationKind;
use chat_proto::common::message_content::Body;
use chat_proto::message as pb;
use chat_proto::push::RecallEvent;
use chat_proto::push::push::Payload;

use crate::clock::now_ms;
use crate::content;
use crate::conversation::ConversationId;
use crate::service::{Party, Service};
use crate::writer::{self, Draft, Queued, RecallDraft, Writer};

/// A send that passed its checks, and when it arrived.
pub struct Checked {
    draft: Draft,
    started: Instant,
}

impl Checked {
    /// Queues the send in its shard; the returned answer resolves once it is committed.
    pub async fn enqueue(self, writer: &Writer) -> Result<Sent, ServiceError> {
        let queued = Instant::now();
        let answer = writer.enqueue(self.draft).await?;
        Ok(Sent {
            answer,
            started: self.started,
            queued,
        })
    }
}

/// A queued send, waiting for its commit.
pub struct Sent {
    answer: Queued,
    started: Instant,
    queued: Instant,
}

impl Sent {
    /// The answer, once committed (the writer has already queued its push).
    pub async fn committed(self) -> Result<pb::SendResponse, ServiceError> {
        let committed = self.answer.await.map_err(|_| writer::stopped())??;
        // Split so that an operator sees whether a slow send waited for MySQL or for a core.
        metrics::histogram!("chat_message_commit_wait_seconds")
            .record(self.queued.elapsed().as_secs_f64());
        if !committed.duplicate {
            metrics::counter!("chat_messages_stored_total").increment(1);
        }
        metrics::histogram!("chat_message_send_seconds")
            .record(self.started.elapsed().as_secs_f64());
        let message = committed.message;
        Ok(pb::SendResponse {
            message_id: message.message_id,
            conversation_id: message.conversation_id,
            seq: message.seq,
            server_time_ms: message.server_time_ms,
            duplicate: committed.duplicate,
        })
    }
}

impl Service {
    /// Stores a message (answering once committed) and pushes it to everyone in the
    /// conversation, the sender's other sessions included.
    pub async fn send(&self, request: pb::SendRequest) -> Result<pb::SendResponse, ServiceError> {
        self.check_send(request)
            .await?
            .enqueue(&self.writer)
            .await?
            .committed()
            .await
    }

    /// Validates a send and authorizes its sender; what comes out only needs storing.
    pub async fn check_send(&self, request: pb::SendRequest) -> Result<Checked, ServiceError> {
        let started = Instant::now();
        content::check_client_msg_id(&request.client_msg_id)?;
        content::check(request.content.as_ref(), self.rules.content)?;
        let (conversation, party) = self.authorize_send(&request).await?;
        let mut content = request.content.unwrap_or_default();
        // After the sender's rights: a stranger learns nothing about file ids.
        let file_id = self.attach(request.actor_id, &mut content).await?;
        let audience = Service::audience(&conversation, &party);
        let group = match party {
            Party::Group(members) => Some(members),
            Party::Direct => None,
        };
        Ok(Checked {
            draft: Draft {
                conversation,
                sender: request.actor_id,
                client_msg_id: request.client_msg_id,
                content,
                file_id,
                group,
                audience,
                origin_session_id: request.origin_session_id,
            },
            started,
        })
    }

    /// 1:1 between friends that did not block each other; a group by its unmuted members.
    async fn authorize_send(
        &self,
        request: &pb::SendRequest,
    ) -> Result<(ConversationId, Party), ServiceError> {
        let (sender, target) = (request.actor_id, request.target_id);
        if target == 0 {
            return Err(ServiceError::invalid(
                "invalid_target",
                "target_id is required",
            ));
        }
        match ConversationKind::try_from(request.kind) {
            Ok(ConversationKind::Direct) => {
                if target == sender {
                    return Err(ServiceError::invalid(
                        "invalid_target",
                        "you cannot message yourself",
                    ));
                }
                self.access.may_message(sender, target).await?;
                Ok((ConversationId::direct(sender, target), Party::Direct))
            }
            Ok(ConversationKind::Group) => {
                let members = self.access.member_of(target, sender).await?;
                members.ensure_unmuted(sender, now_ms())?;
                Ok((ConversationId::Group(target), Party::Group(members)))
            }
            _ => Err(ServiceError::invalid(
                "invalid_kind",
                "kind must be DIRECT or GROUP",
            )),
        }
    }

    /// The sender recalls a message within the window; everyone in the conversation is told.
    pub async fn recall(
        &self,
        request: pb::RecallRequest,
    ) -> Result<pb::RecallResponse, ServiceError> {
        let conversation = ConversationId::parse(&request.conversation_id)?;
        let party = self.authorize_read(request.actor_id, &conversation).await?;
        let event = self
            .writer
            .recall(RecallDraft {
                conversation,
                actor: request.actor_id,
                seq: request.seq,
                window: self.rules.recall_window,
            })
            .await?;
        let recalled_at_ms = match event.content.as_ref().and_then(|c| c.body.as_ref()) {
            Some(Body::Recalled(recalled)) => recalled.recalled_at_ms,
            _ => event.server_time_ms,
        };
        let payload = Payload::Recall(RecallEvent {
            conversation_id: event.conversation_id.clone(),
            seq: request.seq,
            recall_seq: event.seq,
            sender_id: request.actor_id,
            recalled_at_ms,
        });
        self.push(Service::audience(&conversation, &party), "", payload);
        Ok(pb::RecallResponse {
            recall_seq: event.seq,
        })
    }
}
