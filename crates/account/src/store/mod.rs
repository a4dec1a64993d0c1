//! The account schema: migrations and one module of queries per table group.

pub mod friends;
pub mod groups;
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

/// Whether a database error is a deadlock or lock timeout, which a retry resolves.
pub fn is_retryable(error: &DbErr) -> bool {
    let text = error.to_string();
    text.contains("1213") || text.contains("1205") || text.contains("Deadlock")
}

/// Begins a READ COMMITTED transaction: correctness rests on row locks and unique keys, and
/// REPEATABLE READ's gap locks would only add deadlocks between unrelated users.
pub async fn begin(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::TransactionTrait;
    db.begin_with_config(Some(sea_orm::IsolationLevel::ReadCommitted), None)
        .await
}
