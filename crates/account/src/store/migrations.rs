//! The account schema, as ordered migrations applied at start-up (sea-orm-migration). Each is
//! plain MySQL DDL: the indexes are part of the design, not an afterthought of an ORM.

use sea_orm_migration::prelude::*;

/// Every migration of the account schema, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateUsers),
            Box::new(CreateFriends),
            Box::new(CreateGroups),
            Box::new(CreateNotifications),
            Box::new(CreateDeliveryCursors),
            Box::new(CreateLoginSessions),
        ]
    }
}

struct CreateUsers;

impl MigrationName for CreateUsers {
    fn name(&self) -> &str {
        "m0001_create_users"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateUsers {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // username_key is the lowercased username: uniqueness is case-insensitive whatever the
        // column collation. Nickname and username_key are indexed for prefix search.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE TABLE users (
                    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                    username VARCHAR(32) NOT NULL,
                    username_key VARCHAR(32) NOT NULL,
                    password_hash VARCHAR(255) NOT NULL,
                    nickname VARCHAR(64) NOT NULL,
                    avatar_url VARCHAR(512) NOT NULL DEFAULT '',
                    bio VARCHAR(512) NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    last_seen_ms BIGINT NOT NULL DEFAULT 0,
                    UNIQUE KEY users_username_key (username_key),
                    KEY users_nickname (nickname)
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE users")
            .await?;
        Ok(())
    }
}

struct CreateFriends;

impl MigrationName for CreateFriends {
    fn name(&self) -> &str {
        "m0002_create_friends"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateFriends {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // pending_pair is set only while a request is pending, so the unique key allows one
        // pending request per pair (either direction) and any number of answered ones.
        db.execute_unprepared(
            "CREATE TABLE friend_requests (
                id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                from_id BIGINT UNSIGNED NOT NULL,
                to_id BIGINT UNSIGNED NOT NULL,
                message VARCHAR(256) NOT NULL DEFAULT '',
                remark VARCHAR(64) NOT NULL DEFAULT '',
                status TINYINT UNSIGNED NOT NULL,
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL,
                pending_pair VARCHAR(41) AS (IF(status = 1,
                    CONCAT(LEAST(from_id, to_id), ':', GREATEST(from_id, to_id)), NULL)) PERSISTENT,
                UNIQUE KEY friend_requests_pending_pair (pending_pair),
                KEY friend_requests_incoming (to_id, status, id),
                KEY friend_requests_outgoing (from_id, status, id)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        )
        .await?;
        // One row per direction: each side keeps its own remark.
        db.execute_unprepared(
            "CREATE TABLE friendships (
                user_id BIGINT UNSIGNED NOT NULL,
                friend_id BIGINT UNSIGNED NOT NULL,
                remark VARCHAR(64) NOT NULL DEFAULT '',
                since_ms BIGINT NOT NULL,
                PRIMARY KEY (user_id, friend_id)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TABLE blocks (
                blocker_id BIGINT UNSIGNED NOT NULL,
                blocked_id BIGINT UNSIGNED NOT NULL,
                created_at_ms BIGINT NOT NULL,
                PRIMARY KEY (blocker_id, blocked_id),
                KEY blocks_blocked (blocked_id, blocker_id)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["blocks", "friendships", "friend_requests"] {
            db.execute_unprepared(&format!("DROP TABLE {table}"))
                .await?;
        }
        Ok(())
    }
}

struct CreateGroups;

impl MigrationName for CreateGroups {
    fn name(&self) -> &str {
        "m0003_create_groups"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateGroups {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // `version` changes with every membership or mute change, so callers can cache members.
        db.execute_unprepared(
            "CREATE TABLE chat_groups (
                id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                name VARCHAR(64) NOT NULL,
                description VARCHAR(512) NOT NULL DEFAULT '',
                avatar_url VARCHAR(512) NOT NULL DEFAULT '',
                join_mode TINYINT UNSIGNED NOT NULL,
                password_hash VARCHAR(255) NOT NULL DEFAULT '',
                owner_id BIGINT UNSIGNED NOT NULL,
                member_count INT UNSIGNED NOT NULL DEFAULT 0,
                member_limit INT UNSIGNED NOT NULL,
                version BIGINT UNSIGNED NOT NULL DEFAULT 1,
                created_at_ms BIGINT NOT NULL,
                updated_at_ms BIGINT NOT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TABLE group_members (
                group_id BIGINT UNSIGNED NOT NULL,
                user_id BIGINT UNSIGNED NOT NULL,
                role TINYINT UNSIGNED NOT NULL,
                joined_at_ms BIGINT NOT NULL,
                muted_until_ms BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (group_id, user_id),
                KEY group_members_by_user (user_id, group_id)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TABLE group_join_requests (
                id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                group_id BIGINT UNSIGNED NOT NULL,
                user_id BIGINT UNSIGNED NOT NULL,
                message VARCHAR(256) NOT NULL DEFAULT '',
                status TINYINT UNSIGNED NOT NULL,
                created_at_ms BIGINT NOT NULL,
                pending_key VARCHAR(41) AS (IF(status = 1, CONCAT(group_id, ':', user_id), NULL)) PERSISTENT,
                UNIQUE KEY group_join_requests_pending (pending_key),
                KEY group_join_requests_by_group (group_id, status, id)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["group_join_requests", "group_members", "chat_groups"] {
            db.execute_unprepared(&format!("DROP TABLE {table}"))
                .await?;
        }
        Ok(())
    }
}

struct CreateNotifications;

impl MigrationName for CreateNotifications {
    fn name(&self) -> &str {
        "m0004_create_notifications"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateNotifications {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE TABLE notifications (
                    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                    recipient_id BIGINT UNSIGNED NOT NULL,
                    kind TINYINT UNSIGNED NOT NULL,
                    actor_id BIGINT UNSIGNED NOT NULL,
                    group_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
                    payload_json TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    KEY notifications_by_recipient (recipient_id, id)
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE notifications")
            .await?;
        Ok(())
    }
}

/// How far each user's notifications were handed to a client that keeps no cursor of its own
/// (the seed's desktop client, channel `seed`): `TakeNotifications` answers each notification
/// once per user and channel, then moves `last_id` past it in the same transaction.
struct CreateDeliveryCursors;

impl MigrationName for CreateDeliveryCursors {
    fn name(&self) -> &str {
        "m0005_create_delivery_cursors"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateDeliveryCursors {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE TABLE delivery_cursors (
                    user_id BIGINT UNSIGNED NOT NULL,
                    channel VARCHAR(16) NOT NULL,
                    last_id BIGINT UNSIGNED NOT NULL,
                    PRIMARY KEY (user_id, channel)
                ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE delivery_cursors")
            .await?;
        Ok(())
    }
}

struct CreateLoginSessions;

impl MigrationName for CreateLoginSessions {
    fn name(&self) -> &str {
        "m0006_create_login_sessions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateLoginSessions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Logins outlive Redis (which caches them): a token is known by the SHA-256 of it only.
        // `revocations` is the log gateways follow to close a revoked login's connections.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE login_sessions (
                token_hash CHAR(64) NOT NULL PRIMARY KEY,
                session_id CHAR(16) NOT NULL,
                user_id BIGINT UNSIGNED NOT NULL,
                created_at_ms BIGINT NOT NULL,
                expires_at_ms BIGINT NOT NULL,
                revoked_at_ms BIGINT NOT NULL DEFAULT 0,
                KEY login_sessions_user (user_id, revoked_at_ms),
                KEY login_sessions_expiry (expires_at_ms)
            ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TABLE revocations (
                id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                user_id BIGINT UNSIGNED NOT NULL,
                session_id CHAR(16) NOT NULL,
                revoked_at_ms BIGINT NOT NULL,
                KEY revocations_at (revoked_at_ms)
            ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE revocations").await?;
        db.execute_unprepared("DROP TABLE login_sessions").await?;
        Ok(())
    }
}
