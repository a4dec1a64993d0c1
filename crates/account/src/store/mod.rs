//! The account schema: migrations and one module of queries per table group.

pub mod migrations;
pub mod users;

use sea_orm::{DbErr, RuntimeErr};

/// Whether a database error is a unique-key violation (MySQL error 1062).
pub fn is_duplicate(error: &DbErr) -> bool {
    let text = match error {
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            inner.to_string()
        }
        other => other.to_string(),
    };
    text.contains("1062") || text.contains("Duplicate entry")
}
