//! The end of a WebSocket run: every conversation is pulled over REST (what a client's sync
//! does) and compared with what the sessions saw. An acknowledged message that is not stored
//! is lost; a stored message that a member neither had pushed nor sent itself is a gap the
//! realtime path left (a real client would have had to pull it).

use std::sync::Arc;

use anyhow::Context;
use chat_client::Rest;

use crate::pool;
use crate::report::Verification;
use crate::verify;
use crate::ws::peer::PeerLog;

/// One conversation to check and who takes part in it.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    /// Indices into the peer logs; the first one's token reads the history.
    pub members: Vec<usize>,
}

/// Reads every conversation back, `concurrency` at a time. `tokens[i]` is peer `i`'s token.
pub async fn verify(
    rest: &Rest,
    tokens: Arc<[String]>,
    peers: Arc<[PeerLog]>,
    conversations: Vec<Conversation>,
    client_prefix: &str,
    concurrency: usize,
) -> anyhow::Result<Verification> {
    let conversations: Arc<[Conversation]> = conversations.into();
    let prefix: Arc<str> = Arc::from(client_prefix);
    let checks = pool::run_bounded(conversations.len(), concurrency, |index| {
        let (conversation, peers) = (conversations[index].clone(), peers.clone());
        let (tokens, prefix) = (tokens.clone(), prefix.clone());
        let rest = rest.clone();
        async move {
            let reader = *conversation.members.first().context("a member")?;
            let rest = rest.with_token(tokens[reader].clone());
            let stored = rest
                .pull_after(&conversation.id, 0)
                .await
                .with_context(|| format!("pulling {}", conversation.id))?;
            let ours: Vec<(u64, u64)> = stored
                .iter()
                .filter(|message| message.client_msg_id.starts_with(&*prefix))
                .map(|message| (message.seq, message.sender_id))
                .collect();
            let all: Vec<u64> = stored.iter().map(|message| message.seq).collect();
            Ok(compare(&conversation, &peers, &all, &ours))
        }
    })
    .await?;
    Ok(verify::total(&checks))
}

/// One conversation's losses and gaps.
fn compare(
    conversation: &Conversation,
    peers: &[PeerLog],
    stored: &[u64],
    ours: &[(u64, u64)],
) -> verify::Check {
    let acked: Vec<u64> = conversation
        .members
        .iter()
        .filter_map(|member| peers.get(*member)?.acked.get(&conversation.id))
        .flatten()
        .copied()
        .collect();
    let mut check = verify::check(&acked, stored);
    check.gaps += conversation
        .members
        .iter()
        .filter_map(|member| peers.get(*member))
        .map(|peer| crate::ws::ledger::missing(&peer.ledger, peer.user_id, &conversation.id, ours))
        .sum::<u64>();
    check.out_of_order = conversation
        .members
        .iter()
        .filter_map(|member| peers.get(*member))
        .map(|peer| peer.ledger.out_of_order(&conversation.id))
        .sum();
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(user_id: u64, pushes: &[u64], acks: &[u64]) -> PeerLog {
        let mut peer = PeerLog {
            user_id,
            ..PeerLog::default()
        };
        for seq in pushes {
            peer.ledger.pushed("d:1:2", *seq);
        }
        for seq in acks {
            peer.ledger.acked("d:1:2", *seq);
            peer.acked.entry("d:1:2".into()).or_default().push(*seq);
        }
        peer.ledger.settle();
        peer
    }

    #[test]
    fn a_clean_exchange_has_no_loss_and_no_gap() {
        let peers = [peer(1, &[2], &[1, 3]), peer(2, &[1, 3], &[2])];
        let conversation = Conversation {
            id: "d:1:2".into(),
            members: vec![0, 1],
        };
        let stored = [(1, 1), (2, 2), (3, 1)];
        let check = compare(&conversation, &peers, &[1, 2, 3], &stored);
        assert_eq!((check.acked, check.lost, check.gaps), (3, 0, 0));
    }

    #[test]
    fn a_push_that_never_came_is_a_gap_and_a_missing_ack_a_loss() {
        let peers = [peer(1, &[], &[1, 3]), peer(2, &[1], &[2])];
        let conversation = Conversation {
            id: "d:1:2".into(),
            members: vec![0, 1],
        };
        // seq 3 was acknowledged but is not stored; user 1 never got seq 2 pushed.
        let stored = [(1, 1), (2, 2)];
        let check = compare(&conversation, &peers, &[1, 2], &stored);
        assert_eq!((check.lost, check.gaps), (1, 1));
    }
}
