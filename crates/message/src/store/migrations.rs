//! The message schema, as ordered migrations applied at start-up. Plain MySQL DDL: the indexes
//! are the design.
//!
//! - `messages` is clustered on (conversation_id, seq): a page of a conversation is one range
//!   read, and the primary key itself forbids two messages with one seq. (sender_id,
//!   client_msg_id) is unique: that is what makes sends idempotent, across instances too.
//! - `conversations` holds each conversation's max seq; sending locks its row, which orders
//!   concurrent writers (any number of instances) without any other coordination.
//! - `conversation_members` holds each user's read cursor per conversation (and is how a user's
//!   conversations are listed); the (conversation_id, read_seq) index answers group read counts.
//! - `hidden_messages` is "delete for me"; `id_blocks` hands out message ids in blocks.
//! - `files` holds what the gateways stored in object storage (ADR 0011): who uploaded it and
//!   what it is; the uploader index sums a user's quota and lists their files.
//! - `file_refs` names the messages that carry a file, written in the transaction that stores
//!   the message and deleted by its recall: who may download a file is whoever may read one of
//!   those conversations. Clustered on the file, as that is the question asked.

use sea_orm_migration::prelude::*;

/// Every migration of the message schema, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateMessages),
            Box::new(CreateFiles),
            Box::new(CreateFileRefs),
        ]
    }
}

struct CreateMessages;

impl MigrationName for CreateMessages {
    fn name(&self) -> &str {
        "m0001_create_messages"
    }
}

/// Conversation and client ids are ASCII (checked on input) and compared byte for byte.
const TABLES: [&str; 5] = [
    "CREATE TABLE conversations (
        id VARCHAR(48) NOT NULL PRIMARY KEY,
        max_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
        last_activity_ms BIGINT NOT NULL DEFAULT 0,
        member_version BIGINT UNSIGNED NOT NULL DEFAULT 0
    ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
    "CREATE TABLE messages (
        conversation_id VARCHAR(48) NOT NULL,
        seq BIGINT UNSIGNED NOT NULL,
        id BIGINT UNSIGNED NOT NULL,
        sender_id BIGINT UNSIGNED NOT NULL,
        client_msg_id VARCHAR(80) NOT NULL,
        content MEDIUMBLOB NOT NULL,
        server_time_ms BIGINT NOT NULL,
        PRIMARY KEY (conversation_id, seq),
        UNIQUE KEY messages_id (id),
        UNIQUE KEY messages_sender_client (sender_id, client_msg_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
    "CREATE TABLE conversation_members (
        user_id BIGINT UNSIGNED NOT NULL,
        conversation_id VARCHAR(48) NOT NULL,
        read_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, conversation_id),
        KEY conversation_members_reads (conversation_id, read_seq)
    ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
    "CREATE TABLE hidden_messages (
        user_id BIGINT UNSIGNED NOT NULL,
        conversation_id VARCHAR(48) NOT NULL,
        seq BIGINT UNSIGNED NOT NULL,
        PRIMARY KEY (user_id, conversation_id, seq)
    ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
    "CREATE TABLE id_blocks (
        name VARCHAR(32) NOT NULL PRIMARY KEY,
        next_id BIGINT UNSIGNED NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
];

#[async_trait::async_trait]
impl MigrationTrait for CreateMessages {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(table).await?;
        }
        db.execute_unprepared("INSERT INTO id_blocks (name, next_id) VALUES ('message', 1)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP TABLE id_blocks, hidden_messages, conversation_members, messages, conversations",
            )
            .await?;
        Ok(())
    }
}

struct CreateFiles;

impl MigrationName for CreateFiles {
    fn name(&self) -> &str {
        "m0002_create_files"
    }
}

/// The name is the uploader's, in any script (utf8mb4); everything else is ASCII. `referenced`
/// turns 1 when a message first carries the file (unreferenced files are swept later).
const FILES: &str = "CREATE TABLE files (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        uploader_id BIGINT UNSIGNED NOT NULL,
        kind VARCHAR(8) NOT NULL,
        mime VARCHAR(127) NOT NULL,
        size_bytes BIGINT UNSIGNED NOT NULL,
        sha256 CHAR(64) NOT NULL,
        object_key VARCHAR(255) NOT NULL,
        name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        created_at_ms BIGINT NOT NULL,
        referenced TINYINT NOT NULL DEFAULT 0,
        KEY files_uploader (uploader_id),
        UNIQUE KEY files_object (object_key)
    ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin";

#[async_trait::async_trait]
impl MigrationTrait for CreateFiles {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(FILES).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE files")
            .await?;
        Ok(())
    }
}

struct CreateFileRefs;

impl MigrationName for CreateFileRefs {
    fn name(&self) -> &str {
        "m0003_create_file_refs"
    }
}

/// Image dimensions and the thumbnail come with the upload; the created index finds what the
/// sweeper removes (unreferenced files past their age).
const FILE_REFS: [&str; 2] = [
    "ALTER TABLE files
        ADD COLUMN width INT UNSIGNED NOT NULL DEFAULT 0,
        ADD COLUMN height INT UNSIGNED NOT NULL DEFAULT 0,
        ADD COLUMN thumbnail_key VARCHAR(255) NOT NULL DEFAULT '',
        ADD KEY files_unreferenced (referenced, created_at_ms)",
    "CREATE TABLE file_refs (
        file_id BIGINT UNSIGNED NOT NULL,
        conversation_id VARCHAR(48) NOT NULL,
        seq BIGINT UNSIGNED NOT NULL,
        PRIMARY KEY (file_id, conversation_id, seq),
        KEY file_refs_message (conversation_id, seq)
    ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
];

#[async_trait::async_trait]
impl MigrationTrait for CreateFileRefs {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in FILE_REFS {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE file_refs").await?;
        db.execute_unprepared(
            "ALTER TABLE files DROP KEY files_unreferenced, DROP COLUMN thumbnail_key, \
             DROP COLUMN height, DROP COLUMN width",
        )
        .await?;
        Ok(())
    }
}
