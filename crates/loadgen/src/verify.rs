//! Reading back what was acknowledged: a benchmark that loses messages has measured the wrong
//! thing, so every run ends by pulling conversations and comparing sequence numbers.

use std::sync::Arc;

use crate::grpc::Channel;
use anyhow::Context;
use chat_proto::message::message_client::MessageClient;
use chat_proto::message::{PullDirection, PullMessagesRequest};

use crate::pool;
use crate::report::Verification;

/// The largest page PullMessages returns.
const PAGE: u32 = 200;

/// One conversation to check: who may read it and the seqs its sends were acknowledged with.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub reader: u64,
    pub id: String,
    pub acked: Vec<u64>,
}

/// What one conversation's read-back showed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Check {
    pub acked: u64,
    pub stored: u64,
    pub lost: u64,
    pub gaps: u64,
    pub unacked_stored: u64,
    /// Messages seen out of order (pushed after a higher seq, or stored after a later send).
    pub out_of_order: u64,
}

/// Compares acknowledged seqs with those the service returned. A fresh conversation's seqs
/// must be exactly 1..=N: any acknowledged seq not returned is lost, any number missing below
/// the highest returned is a gap.
pub fn check(acked: &[u64], stored: &[u64]) -> Check {
    let (acked, stored) = (sorted_unique(acked), sorted_unique(stored));
    let missing_from = |from: &[u64], within: &[u64]| {
        from.iter()
            .filter(|seq| within.binary_search(seq).is_err())
            .count() as u64
    };
    let highest = stored.last().copied().unwrap_or(0);
    let present_in_range = stored.iter().filter(|seq| **seq >= 1).count() as u64;
    Check {
        acked: acked.len() as u64,
        stored: stored.len() as u64,
        lost: missing_from(&acked, &stored),
        gaps: highest - present_in_range,
        unacked_stored: missing_from(&stored, &acked),
        out_of_order: 0,
    }
}

fn sorted_unique(seqs: &[u64]) -> Vec<u64> {
    let mut seqs = seqs.to_vec();
    seqs.sort_unstable();
    seqs.dedup();
    seqs
}

/// `wanted` indices spread evenly over `0..total` (all of them when `wanted` is 0 or larger).
pub fn spread(total: usize, wanted: usize) -> Vec<usize> {
    if wanted == 0 || wanted >= total {
        return (0..total).collect();
    }
    (0..wanted).map(|i| i * total / wanted).collect()
}

/// Pulls every conversation (`concurrency` at a time) and adds up the checks.
pub async fn verify(
    channel: Channel,
    conversations: Vec<Conversation>,
    concurrency: usize,
) -> anyhow::Result<Verification> {
    let client = MessageClient::new(channel);
    let conversations = Arc::new(conversations);
    let checks = pool::run_bounded(conversations.len(), concurrency, |index| {
        let (client, conversations) = (client.clone(), conversations.clone());
        async move {
            let conversation = &conversations[index];
            let stored = pull_seqs(client, conversation).await?;
            Ok(check(&conversation.acked, &stored))
        }
    })
    .await?;
    Ok(total(&checks))
}

/// The checks of every conversation, added up.
pub(crate) fn total(checks: &[Check]) -> Verification {
    let sum = |field: fn(&Check) -> u64| checks.iter().map(field).sum();
    Verification {
        conversations: checks.len() as u64,
        acked: sum(|check| check.acked),
        stored: sum(|check| check.stored),
        lost: sum(|check| check.lost),
        gaps: sum(|check| check.gaps),
        unacked_stored: sum(|check| check.unacked_stored),
        out_of_order: Some(sum(|check| check.out_of_order)),
    }
}

/// Every seq of a conversation, oldest first, page by page.
async fn pull_seqs(
    mut client: MessageClient<Channel>,
    conversation: &Conversation,
) -> anyhow::Result<Vec<u64>> {
    let mut seqs = Vec::new();
    let mut after = 0;
    loop {
        let page = client
            .pull_messages(PullMessagesRequest {
                actor_id: conversation.reader,
                conversation_id: conversation.id.clone(),
                seq: after,
                direction: PullDirection::After as i32,
                limit: PAGE,
            })
            .await
            .with_context(|| format!("pulling {} after seq {after}", conversation.id))?
            .into_inner();
        seqs.extend(page.messages.iter().map(|message| message.seq));
        match page.messages.last() {
            Some(last) if page.has_more && last.seq > after => after = last.seq,
            _ => return Ok(seqs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_history_has_no_loss_and_no_gap() {
        let check = check(&[3, 1, 2], &[1, 2, 3]);
        assert_eq!(
            check,
            Check {
                acked: 3,
                stored: 3,
                lost: 0,
                gaps: 0,
                unacked_stored: 0,
                out_of_order: 0,
            }
        );
    }

    #[test]
    fn acknowledged_but_missing_seqs_are_lost_and_holes_are_gaps() {
        let check = check(&[1, 2, 3, 4, 5], &[1, 2, 4]);
        assert_eq!((check.lost, check.gaps), (2, 1));
    }

    #[test]
    fn stored_sends_the_client_saw_fail_are_not_losses() {
        let check = check(&[1, 3], &[1, 2, 3]);
        assert_eq!((check.lost, check.gaps, check.unacked_stored), (0, 0, 1));
    }

    #[test]
    fn spreading_picks_evenly_or_everything() {
        assert_eq!(spread(10, 0), (0..10).collect::<Vec<_>>());
        assert_eq!(spread(10, 20), (0..10).collect::<Vec<_>>());
        assert_eq!(spread(10, 5), vec![0, 2, 4, 6, 8]);
    }

    #[test]
    fn totals_add_up_conversations() {
        let verification = total(&[check(&[1, 2], &[1, 2]), check(&[1, 2], &[2])]);
        assert_eq!(verification.conversations, 2);
        assert_eq!(verification.acked, 4);
        assert_eq!(verification.lost, 1);
        assert_eq!(verification.gaps, 1);
        assert!(!verification.passed());
    }
}
