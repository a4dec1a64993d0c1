//! Connecting to MySQL/MariaDB (sea-orm) at start-up, and its health probe.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, RuntimeErr};

use crate::{DependencyCheck, StartupError};

/// A pool of at most `max_connections` to `url`, connected (or failed) within `timeout`.
pub async fn connect(
    url: &str,
    max_connections: u32,
    timeout: Duration,
) -> Result<DatabaseConnection, StartupError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        // The default pings every connection taken from the pool: a round trip before each
        // query or transaction. Only connections idle long enough to have been dropped by the
        // server or a proxy are pinged.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    let connected = tokio::time::timeout(timeout, Database::connect(options)).await;
    match connected {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(error)) => Err(StartupError::unreachable("MySQL", url, error)),
        Err(_) => Err(StartupError::unreachable(
            "MySQL",
            url,
            format!("no answer within {timeout:?}"),
        )),
    }
}

/// The driver's own pool behind `db`, for the few writers that send several statements in one
/// round trip (sea-orm runs one statement per call).
pub fn driver_pool(db: &DatabaseConnection) -> Result<sea_orm::sqlx::MySqlPool, StartupError> {
    if db.get_database_backend() != sea_orm::DbBackend::MySql {
        return Err(StartupError::Config(
            "the database must be MySQL or MariaDB".into(),
        ));
    }
    Ok(db.get_mysql_connection_pool().clone())
}

/// Healthy while the database answers a ping.
pub fn health_check(db: DatabaseConnection) -> DependencyCheck {
    DependencyCheck::new("mysql", move || {
        let db = db.clone();
        async move { db.ping().await.map_err(|error| error.to_string()) }
    })
}

/// Whether a database error is a deadlock or lock timeout, which a retry resolves. InnoDB
/// reports a deadlock or timeout on the table's AUTO-INC lock, which `INSERT ... SELECT` holds
/// (the quota-checked insert of a file), as 1467 "Failed to read auto-increment value": seen
/// on 5% of uploads at 16 in flight before it was retried.
pub fn is_retryable(error: &DbErr) -> bool {
    let text = error.to_string();
    text.contains("1213")
        || text.contains("1205")
        || text.contains("1467")
        || text.contains("Deadlock")
}

/// Begins a READ COMMITTED transaction: correctness rests on row locks and unique keys, and
/// REPEATABLE READ's gap locks would only add deadlocks between unrelated rows.
pub async fn begin(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::TransactionTrait;
    db.begin_with_config(Some(sea_orm::IsolationLevel::ReadCommitted), None)
        .await
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> DbErr {
        DbErr::Custom(text.to_owned())
    }

    #[test]
    fn lock_failures_are_retried_and_others_are_not() {
        assert!(is_retryable(&error(
            "1213 (40001): Deadlock found when trying to get lock"
        )));
        assert!(is_retryable(&error(
            "1205 (HY000): Lock wait timeout exceeded"
        )));
        assert!(is_retryable(&error(
            "1467 (HY000): Failed to read auto-increment value from storage engine"
        )));
        assert!(!is_retryable(&error(
            "1062 (23000): Duplicate entry 'a' for key 'b'"
        )));
        assert!(!is_retryable(&error(
            "1146 (42S02): Table 'x.y' doesn't exist"
        )));
    }
}
