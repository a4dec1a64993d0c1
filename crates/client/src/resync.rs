//! Catching up by seq: where each conversation starts, the survey after every (re)connect
//! (`GET /sync` and the conversation list), and single-page pulls. The REST calls run as tasks;
//! what they found is applied to the tracker here, as plain functions.

use std::collections::HashSet;
use std::time::Instant;

use chat_wire::{Conversation, UnreadConversation};

use crate::backoff::{Backoff, random_unit};
use crate::error::RestError;
use crate::events::Item;
use crate::rest::{PAGE_LIMIT, Rest};
use crate::seq::{Outcome, Page, SeqTracker};
use crate::types::MessagePage;

/// A pull retries transient failures this many times before it reports one.
const PULL_RETRIES: u32 = 3;

/// What the application has seen when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// Everything up to my read cursor: unread messages are delivered first (what a chat app
    /// shows after sign-in).
    #[default]
    Unread,
    /// Everything that exists: only messages from now on are delivered (benchmarks).
    Latest,
}

/// Tracks every existing conversation at its start position, so that whatever is untracked
/// later is new and can be delivered from its beginning.
pub(crate) fn start_positions(
    tracker: &mut SeqTracker<Item>,
    conversations: &[Conversation],
    start: StartFrom,
) {
    for conversation in conversations {
        let position = match start {
            StartFrom::Unread => conversation.read_seq.min(conversation.max_seq),
            StartFrom::Latest => conversation.max_seq,
        };
        tracker.start_at(&conversation.conversation_id, position);
    }
}

/// What the server says after a (re)connect.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Survey {
    /// Conversations with unread messages and the first page of them.
    pub unread: Vec<UnreadConversation>,
    /// Every conversation, with its max seq.
    pub conversations: Vec<Conversation>,
}

/// Feeds a survey to the tracker: sync's pages are applied (they start after the read
/// cursor), and every other conversation that moved past its position gets a pull. Returns
/// what can be delivered now. `unreadable` lists conversations a pull was refused for (a group
/// I left), which are not pulled again unless sync shows them.
pub(crate) fn apply_survey(
    tracker: &mut SeqTracker<Item>,
    unreadable: &mut HashSet<String>,
    survey: Survey,
    now: Instant,
) -> Outcome<Item> {
    let mut outcome = Outcome {
        deliver: Vec::new(),
        duplicates: 0,
    };
    let mut synced = HashSet::new();
    for unread in survey.unread {
        let id = unread.conversation.conversation_id;
        unreadable.remove(&id);
        tracker.start_at(&id, 0);
        let page = Page {
            after: unread.conversation.read_seq,
            items: unread
                .messages
                .into_iter()
                .map(Item::from_message)
                .collect(),
            has_more: unread.has_more,
            max_seq: unread.conversation.max_seq,
        };
        outcome
            .deliver
            .extend(tracker.apply_page(&id, page, now).deliver);
        synced.insert(id);
    }
    for conversation in survey.conversations {
        let id = &conversation.conversation_id;
        if synced.contains(id) || unreadable.contains(id) {
            continue;
        }
        tracker.start_at(id, 0);
        if tracker
            .position(id)
            .is_some_and(|position| position < conversation.max_seq)
        {
            tracker.request_pull(id, now);
        }
    }
    outcome
}

/// A finished REST task.
#[derive(Debug)]
pub(crate) enum TaskDone {
    Survey(Result<Survey, RestError>),
    Pull {
        conversation_id: String,
        after: u64,
        result: Result<MessagePage, RestError>,
    },
}

/// Sync and the conversation list, retried while the failure is transient (the task is
/// cancelled when the session ends).
pub(crate) async fn survey(rest: Rest, backoff: Backoff) -> TaskDone {
    let mut attempt = 0;
    loop {
        let (unread, conversations) = tokio::join!(rest.sync(), rest.conversations());
        let error = match (unread, conversations) {
            (Ok(unread), Ok(conversations)) => {
                return TaskDone::Survey(Ok(Survey {
                    unread,
                    conversations,
                }));
            }
            (Err(error), Ok(_)) | (Ok(_), Err(error)) => error,
            (Err(first), Err(second)) => worse(first, second),
        };
        if !error.is_transient() {
            return TaskDone::Survey(Err(error));
        }
        tokio::time::sleep(backoff.delay(attempt, random_unit())).await;
        attempt += 1;
    }
}

/// Of two failures, the one retrying cannot fix.
fn worse(first: RestError, second: RestError) -> RestError {
    if first.is_transient() { second } else { first }
}

/// One page after `after`, retrying transient failures a few times.
pub(crate) async fn pull(
    rest: Rest,
    conversation_id: String,
    after: u64,
    backoff: Backoff,
) -> TaskDone {
    let mut attempt = 0;
    let result = loop {
        match rest.pull_page(&conversation_id, after, PAGE_LIMIT).await {
            Err(error) if error.is_transient() && attempt < PULL_RETRIES => {
                tokio::time::sleep(backoff.delay(attempt, random_unit())).await;
                attempt += 1;
            }
            other => break other,
        }
    };
    TaskDone::Pull {
        conversation_id,
        after,
        result,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chat_wire::{ChatMessage, Content, ConversationKind};

    use super::*;
    use crate::error::ApiError;
    use crate::seq::Sequenced;

    fn message(conversation: &str, seq: u64) -> ChatMessage {
        ChatMessage {
            message_id: seq,
            conversation_id: conversation.into(),
            kind: ConversationKind::Direct,
            seq,
            sender_id: 2,
            client_msg_id: format!("m{seq}"),
            content: Content::Text { text: "x".into() },
            server_time_ms: 0,
            target_id: 2,
        }
    }

    fn conversation(id: &str, read_seq: u64, max_seq: u64) -> Conversation {
        Conversation {
            conversation_id: id.into(),
            kind: ConversationKind::Direct,
            target_id: 2,
            last_message: None,
            max_seq,
            read_seq,
            unread: max_seq - read_seq,
            last_activity_ms: 0,
        }
    }

    fn unread(id: &str, read_seq: u64, seqs: &[u64], has_more: bool) -> UnreadConversation {
        let max_seq = seqs.last().copied().unwrap_or(read_seq);
        UnreadConversation {
            conversation: conversation(id, read_seq, max_seq),
            messages: seqs.iter().map(|&seq| message(id, seq)).collect(),
            has_more,
        }
    }

    fn tracker() -> SeqTracker<Item> {
        SeqTracker::new(Duration::from_millis(300))
    }

    fn delivered(outcome: &Outcome<Item>) -> Vec<(String, u64)> {
        outcome
            .deliver
            .iter()
            .map(|item| (item.conversation_id().to_owned(), item.seq()))
            .collect()
    }

    #[test]
    fn unread_start_delivers_after_the_read_cursor_and_latest_after_the_end() {
        let listed = [conversation("a", 3, 5), conversation("b", 7, 7)];
        let mut unread_start = tracker();
        start_positions(&mut unread_start, &listed, StartFrom::Unread);
        assert_eq!(unread_start.position("a"), Some(3));
        assert_eq!(unread_start.position("b"), Some(7));
        let mut latest = tracker();
        start_positions(&mut latest, &listed, StartFrom::Latest);
        assert_eq!(latest.position("a"), Some(5));
    }

    #[test]
    fn sync_pages_are_delivered_and_behind_conversations_are_pulled() {
        let mut tracker = tracker();
        let now = Instant::now();
        tracker.start_at("a", 3);
        tracker.start_at("b", 7);
        tracker.start_at("c", 4);
        let survey = Survey {
            unread: vec![unread("a", 3, &[4, 5], false)],
            conversations: vec![
                conversation("a", 3, 5),
                conversation("b", 9, 9), // read on another device while I was away
                conversation("c", 4, 4),
            ],
        };
        let outcome = apply_survey(&mut tracker, &mut HashSet::new(), survey, now);
        assert_eq!(delivered(&outcome), [("a".into(), 4), ("a".into(), 5)]);
        assert_eq!(tracker.due_pulls(now, 8), [("b".to_owned(), 7)]);
    }

    #[test]
    fn a_conversation_new_since_the_start_is_delivered_from_its_beginning() {
        let mut tracker = tracker();
        let now = Instant::now();
        let survey = Survey {
            unread: vec![unread("new-unread", 1, &[2], false)],
            conversations: vec![conversation("new-read", 3, 3)],
        };
        let outcome = apply_survey(&mut tracker, &mut HashSet::new(), survey, now);
        assert!(outcome.deliver.is_empty(), "2 waits for 1");
        assert_eq!(
            tracker.due_pulls(now, 8),
            [("new-read".to_owned(), 0), ("new-unread".to_owned(), 0)]
        );
    }

    #[test]
    fn an_unreadable_conversation_is_skipped_until_sync_shows_it_again() {
        let mut tracker = tracker();
        let now = Instant::now();
        let mut unreadable = HashSet::from(["g:9".to_owned()]);
        let listed = Survey {
            unread: vec![],
            conversations: vec![conversation("g:9", 0, 40)],
        };
        apply_survey(&mut tracker, &mut unreadable, listed, now);
        assert!(tracker.due_pulls(now, 8).is_empty());
        let synced = Survey {
            unread: vec![unread("g:9", 0, &[1], false)],
            conversations: vec![],
        };
        let outcome = apply_survey(&mut tracker, &mut unreadable, synced, now);
        assert_eq!(delivered(&outcome), [("g:9".into(), 1)]);
        assert!(unreadable.is_empty());
    }

    #[test]
    fn of_two_failures_the_permanent_one_is_reported() {
        let transient = || RestError::Transport("reset".into());
        let permanent = || {
            RestError::Api(ApiError::from_reply(
                401,
                br#"{"code":"unauthenticated","message":""}"#,
                None,
            ))
        };
        assert_eq!(
            worse(transient(), permanent()).code(),
            Some("unauthenticated")
        );
        assert_eq!(
            worse(permanent(), transient()).code(),
            Some("unauthenticated")
        );
    }
}
