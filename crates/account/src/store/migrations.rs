//! The account schema, as ordered migrations applied at start-up (sea-orm-migration). Each is
//! plain MySQL DDL: the indexes are part of the design, not an afterthought of an ORM.

use sea_orm_migration::prelude::*;

/// Every migration of the account schema, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateUsers)]
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
