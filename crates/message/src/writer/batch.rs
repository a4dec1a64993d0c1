//! One batch's transaction, in two round trips to MySQL whatever the batch holds:
//!
//! 1. `START TRANSACTION` and lock the batch's conversation rows (`FOR UPDATE`, in key order,
//!    as InnoDB scans the primary key), which yields each conversation's max seq;
//! 2. one script of every write (messages, max seqs, read cursors) ending in `COMMIT`.
//!
//! Statement by statement, a batch of 50 messages over 40 conversations took about 18 round
//! trips (a transaction's set-up, the lock, and power-of-two chunks of three multi-row inserts),
//! each a wake-up of the server's thread and of ours on a busy machine. A script stops at its
//! first failing statement and leaves the transaction open, so every failure ends in a
//! `ROLLBACK` before the connection goes back to the pool.

use std::collections::BTreeMap;
use std::sync::Arc;

use chat_proto::common::ChatMessage;
use prost::Message as _;
use sea_orm::sqlx::mysql::{MySqlConnection, MySqlPool, MySqlRow};
use sea_orm::sqlx::{self, AssertSqlSafe, Row as _};
use sea_orm::{DbErr, RuntimeErr};

use super::Pending;
use super::sql;
use crate::access::GroupMembers;
use crate::clock::now_ms;
use crate::conversation::ConversationId;
use crate::store::ids::IdBlocks;
use crate::store::rows::message;

/// A conversation's state within one transaction.
struct Tally {
    conversation: ConversationId,
    /// Max seq before this transaction.
    before: u64,
    max: u64,
    member_version: u64,
    /// The members, when their cursors must be brought up to date.
    new_members: Option<Arc<GroupMembers>>,
}

fn db_error(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error)))
}

/// Inserts `pending` in one transaction; answers the stored messages in the same order.
pub(super) async fn insert(
    pool: &MySqlPool,
    ids: &IdBlocks,
    pending: &[Pending],
) -> Result<Vec<ChatMessage>, DbErr> {
    let message_ids = ids.take(pending.len()).await?;
    let mut connection = pool.acquire().await.map_err(db_error)?;
    let result = transaction(&mut connection, pending, &message_ids).await;
    if result.is_err()
        && let Err(error) = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await
    {
        // A connection in an unknown state must not serve anyone else.
        tracing::warn!(%error, "rollback failed; closing the connection");
        connection.close_on_drop();
    }
    result
}

async fn transaction(
    connection: &mut MySqlConnection,
    pending: &[Pending],
    message_ids: &[u64],
) -> Result<Vec<ChatMessage>, DbErr> {
    let conversations: BTreeMap<String, ConversationId> = pending
        .iter()
        .map(|p| (p.draft.conversation.to_string(), p.draft.conversation))
        .collect();
    let locked = sqlx::raw_sql(AssertSqlSafe(lock_script(conversations.keys())))
        .fetch_all(&mut *connection)
        .await
        .map_err(db_error)?;
    let mut tallies = tallies(conversations, &locked)?;
    let (messages, script) = write_script(pending, message_ids, now_ms(), &mut tallies)?;
    sqlx::raw_sql(AssertSqlSafe(script))
        .execute(&mut *connection)
        .await
        .map_err(db_error)?;
    Ok(messages)
}

/// READ COMMITTED: correctness rests on row locks and unique keys, and REPEATABLE READ's gap
/// locks would only add deadlocks between unrelated rows (a new conversation has no row yet).
fn lock_script<'a>(keys: impl IntoIterator<Item = &'a String>) -> String {
    format!(
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED;\nSTART TRANSACTION;\n\
         SELECT id, max_seq, member_version FROM conversations WHERE id IN ({}) FOR UPDATE",
        sql::list(keys, |key| sql::text(key))
    )
}

/// Every conversation of the batch, with its stored state where it has a row. Kept in key order,
/// so that the rows a script writes (new conversations, cursors) come in the same order from
/// every instance, as the locks do.
fn tallies(
    conversations: BTreeMap<String, ConversationId>,
    locked: &[MySqlRow],
) -> Result<BTreeMap<String, Tally>, DbErr> {
    let mut tallies: BTreeMap<String, Tally> = conversations
        .into_iter()
        .map(|(key, conversation)| {
            let tally = Tally {
                conversation,
                before: 0,
                max: 0,
                member_version: 0,
                new_members: None,
            };
            (key, tally)
        })
        .collect();
    for row in locked {
        let id: String = row.try_get(0).map_err(db_error)?;
        let max_seq: u64 = row.try_get(1).map_err(db_error)?;
        let member_version: u64 = row.try_get(2).map_err(db_error)?;
        if let Some(tally) = tallies.get_mut(&id) {
            tally.before = max_seq;
            tally.max = max_seq;
            tally.member_version = member_version;
        }
    }
    Ok(tallies)
}

/// Numbers the messages and writes the script that stores them and commits.
fn write_script(
    pending: &[Pending],
    message_ids: &[u64],
    now: i64,
    tallies: &mut BTreeMap<String, Tally>,
) -> Result<(Vec<ChatMessage>, String), DbErr> {
    let mut messages = Vec::with_capacity(pending.len());
    let mut rows = Vec::with_capacity(pending.len());
    let mut file_refs = Vec::new();
    for (p, &id) in pending.iter().zip(message_ids) {
        let draft = &p.draft;
        let key = draft.conversation.to_string();
        let Some(tally) = tallies.get_mut(&key) else {
            return Err(DbErr::Custom(format!("conversation {key} was not locked")));
        };
        tally.max += 1;
        if let Some(group) = &draft.group
            && group.version > tally.member_version
        {
            tally.member_version = group.version;
            tally.new_members = Some(group.clone());
        }
        rows.push(format!(
            "({}, {}, {id}, {}, {}, {}, {now})",
            sql::text(&key),
            tally.max,
            draft.sender,
            sql::text(&draft.client_msg_id),
            sql::bytes(&draft.content.encode_to_vec()),
        ));
        if let Some(file) = draft.file_id {
            file_refs.push((
                file,
                format!("({file}, {}, {})", sql::text(&key), tally.max),
            ));
        }
        messages.push(message(
            draft.conversation,
            tally.max,
            id,
            draft.sender,
            draft.client_msg_id.clone(),
            draft.content.clone(),
            now,
        ));
    }
    let mut script = String::with_capacity(rows.iter().map(String::len).sum::<usize>() + 4096);
    sql::insert(
        &mut script,
        "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, content, server_time_ms) VALUES",
        &rows,
        "",
    );
    save_file_refs(&mut script, &file_refs);
    save_conversations(&mut script, tallies, now);
    save_cursors(&mut script, tallies, &messages);
    script.push_str("COMMIT");
    Ok((messages, script))
}

/// Which messages carry which files, and that those files are referenced (so the sweeper
/// keeps them).
fn save_file_refs(script: &mut String, file_refs: &[(u64, String)]) {
    if file_refs.is_empty() {
        return;
    }
    let rows: Vec<String> = file_refs.iter().map(|(_, row)| row.clone()).collect();
    sql::insert(
        script,
        "INSERT INTO file_refs (file_id, conversation_id, seq) VALUES",
        &rows,
        "",
    );
    script.push_str(&format!(
        "UPDATE files SET referenced = 1 WHERE id IN ({}) AND referenced = 0;\n",
        sql::list(file_refs, |(file, _)| file.to_string())
    ));
}

fn save_conversations(script: &mut String, tallies: &BTreeMap<String, Tally>, now: i64) {
    let rows: Vec<String> = tallies
        .iter()
        .map(|(key, tally)| {
            format!(
                "({}, {}, {now}, {})",
                sql::text(key),
                tally.max,
                tally.member_version
            )
        })
        .collect();
    sql::insert(
        script,
        "INSERT INTO conversations (id, max_seq, last_activity_ms, member_version) VALUES",
        &rows,
        " ON DUPLICATE KEY UPDATE max_seq = VALUES(max_seq), last_activity_ms = VALUES(last_activity_ms), \
         member_version = GREATEST(member_version, VALUES(member_version))",
    );
}

/// Read cursors: senders have read up to their own message; a new 1:1 conversation gets its
/// peer's cursor; new group members start at the seq they joined at (they are not shown
/// earlier messages as unread), and former members' cursors go.
fn save_cursors(script: &mut String, tallies: &BTreeMap<String, Tally>, messages: &[ChatMessage]) {
    let mut joined: Vec<String> = Vec::new();
    for (key, tally) in tallies {
        if tally.before == 0
            && let ConversationId::Direct { low, high } = tally.conversation
        {
            for user in [low, high] {
                joined.push(format!("({user}, {}, 0)", sql::text(key)));
            }
        }
        let Some(group) = &tally.new_members else {
            continue;
        };
        for user in &group.ids {
            joined.push(format!("({user}, {}, {})", sql::text(key), tally.before));
        }
        if !group.ids.is_empty() {
            script.push_str(&format!(
                "DELETE FROM conversation_members WHERE conversation_id = {} AND user_id NOT IN ({});\n",
                sql::text(key),
                sql::list(&group.ids, |id| id.to_string())
            ));
        }
    }
    sql::insert(
        script,
        "INSERT INTO conversation_members (user_id, conversation_id, read_seq) VALUES",
        &joined,
        " ON DUPLICATE KEY UPDATE read_seq = read_seq",
    );
    let mut read: BTreeMap<(&str, u64), u64> = BTreeMap::new();
    for message in messages {
        let cursor = read
            .entry((message.conversation_id.as_str(), message.sender_id))
            .or_default();
        *cursor = (*cursor).max(message.seq);
    }
    let rows: Vec<String> = read
        .into_iter()
        .map(|((conversation, user), seq)| format!("({user}, {}, {seq})", sql::text(conversation)))
        .collect();
    sql::insert(
        script,
        "INSERT INTO conversation_members (user_id, conversation_id, read_seq) VALUES",
        &rows,
        " ON DUPLICATE KEY UPDATE read_seq = GREATEST(read_seq, VALUES(read_seq))",
    );
}

#[cfg(test)]
mod tests {
    use chat_proto::common::message_content::Body;
    use chat_proto::common::{MessageContent, TextContent};
    use tokio::sync::oneshot;

    use super::*;
    use crate::writer::Draft;

    fn pending(conversation: ConversationId, sender: u64, client: &str) -> Pending {
        let (reply, _) = oneshot::channel();
        Pending::new(
            Draft {
                conversation,
                sender,
                client_msg_id: client.into(),
                content: MessageContent {
                    body: Some(Body::Text(TextContent { text: "hi".into() })),
                },
                file_id: (client == "file").then_some(42),
                group: None,
                audience: vec![sender],
                origin_session_id: String::new(),
            },
            reply,
        )
    }

    fn fresh(conversations: &[ConversationId]) -> BTreeMap<String, Tally> {
        let conversations = conversations.iter().map(|c| (c.to_string(), *c)).collect();
        match tallies(conversations, &[]) {
            Ok(tallies) => tallies,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn the_lock_takes_every_conversation_in_key_order() {
        let keys: BTreeMap<String, ()> =
            ["d:2:3", "d:1:2", "g:7"].map(|k| (k.to_owned(), ())).into();
        let script = lock_script(keys.keys());
        assert!(script.starts_with("SET TRANSACTION ISOLATION LEVEL READ COMMITTED;"));
        assert!(script.ends_with("WHERE id IN ('d:1:2', 'd:2:3', 'g:7') FOR UPDATE"));
    }

    #[test]
    fn a_batch_numbers_each_conversation_on_from_its_max_seq_and_commits() {
        let direct = ConversationId::direct(1, 2);
        let other = ConversationId::direct(3, 4);
        let batch = [
            pending(direct, 1, "a"),
            pending(other, 3, "b"),
            pending(direct, 2, "it's"),
        ];
        let mut tallies = fresh(&[direct, other]);
        if let Some(tally) = tallies.get_mut("d:1:2") {
            tally.before = 9;
            tally.max = 9;
        }
        let (messages, script) = match write_script(&batch, &[100, 101, 102], 5, &mut tallies) {
            Ok(written) => written,
            Err(error) => panic!("{error}"),
        };
        let seqs: Vec<u64> = messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, [10, 1, 11]);
        assert!(script.contains("('d:1:2', 10, 100, 1, 'a', X'"));
        assert!(script.contains("('d:1:2', 11, 102, 2, X'69742773', X'"));
        assert!(script.contains("('d:3:4', 1, 5, 0)"), "{script}");
        // Only the new conversation gets both cursors at 0; senders read up to their own.
        assert!(script.contains("(3, 'd:3:4', 0), (4, 'd:3:4', 0)"));
        assert!(!script.contains("(1, 'd:1:2', 0)"));
        assert!(script.contains("(2, 'd:1:2', 11)"));
        // Rows come in key order, whatever order the sends arrived in.
        assert!(script.contains("VALUES ('d:1:2', 11, 5, 0), ('d:3:4', 1, 5, 0) ON DUPLICATE"));
        assert!(script.contains("VALUES (1, 'd:1:2', 10), (2, 'd:1:2', 11), (3, 'd:3:4', 1) ON"));
        assert!(script.ends_with(";\nCOMMIT"));
    }

    #[test]
    fn a_message_carrying_a_file_records_the_reference_in_the_same_script() {
        let direct = ConversationId::direct(1, 2);
        let batch = [pending(direct, 1, "a"), pending(direct, 1, "file")];
        let mut tallies = fresh(&[direct]);
        let (_, script) = match write_script(&batch, &[7, 8], 5, &mut tallies) {
            Ok(written) => written,
            Err(error) => panic!("{error}"),
        };
        assert!(
            script.contains(
                "INSERT INTO file_refs (file_id, conversation_id, seq) VALUES (42, 'd:1:2', 2);"
            ),
            "{script}"
        );
        assert!(
            script.contains("UPDATE files SET referenced = 1 WHERE id IN (42) AND referenced = 0;")
        );
        assert!(script.ends_with(";\nCOMMIT"));
    }

    #[test]
    fn a_conversation_missing_from_the_lock_fails_the_batch() {
        let batch = [pending(ConversationId::direct(1, 2), 1, "a")];
        let mut tallies = fresh(&[ConversationId::direct(3, 4)]);
        assert!(write_script(&batch, &[1], 5, &mut tallies).is_err());
    }
}
