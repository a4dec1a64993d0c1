//! Connecting to MySQL/MariaDB (sea-orm) at start-up, and its health probe.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};

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

/// Healthy while the database answers a ping.
pub fn health_check(db: DatabaseConnection) -> DependencyCheck {
    DependencyCheck::new("mysql", move || {
        let db = db.clone();
        async move { db.ping().await.map_err(|error| error.to_string()) }
    })
}
