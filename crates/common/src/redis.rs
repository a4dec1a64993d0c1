//! Connecting to Redis (fred) at start-up, and its health probe.

use std::time::Duration;

use fred::prelude::{Builder, ClientLike, Config, Pool};

use crate::{DependencyCheck, StartupError};

/// A pool of `size` connections to `url`, connected (or failed) within `timeout`.
pub async fn connect(url: &str, size: usize, timeout: Duration) -> Result<Pool, StartupError> {
    let config = Config::from_url(url)
        .map_err(|error| StartupError::Config(format!("Redis URL `{url}`: {error}")))?;
    let pool = Builder::from_config(config)
        .with_connection_config(|connection| {
            connection.connection_timeout = timeout;
            connection.internal_command_timeout = timeout;
        })
        .set_policy(fred::prelude::ReconnectPolicy::new_exponential(
            0, 100, 2_000, 2,
        ))
        .build_pool(size)
        .map_err(|error| StartupError::Config(format!("Redis URL `{url}`: {error}")))?;
    let connected = tokio::time::timeout(timeout, async {
        pool.init().await?;
        pool.ping::<String>(None).await
    })
    .await;
    match connected {
        Ok(Ok(_)) => Ok(pool),
        Ok(Err(error)) => Err(StartupError::unreachable("Redis", url, error)),
        Err(_) => Err(StartupError::unreachable(
            "Redis",
            url,
            format!("no answer within {timeout:?}"),
        )),
    }
}

/// Healthy while Redis answers PING.
pub fn health_check(pool: Pool) -> DependencyCheck {
    DependencyCheck::new("redis", move || {
        let pool = pool.clone();
        async move {
            pool.ping::<String>(None)
                .await
                .map(drop)
                .map_err(|error| error.to_string())
        }
    })
}

/// A client dedicated to pub/sub (it re-subscribes by itself after reconnecting).
pub async fn subscriber(
    url: &str,
    timeout: Duration,
) -> Result<fred::clients::SubscriberClient, StartupError> {
    let config = Config::from_url(url)
        .map_err(|error| StartupError::Config(format!("Redis URL `{url}`: {error}")))?;
    let client = Builder::from_config(config)
        .with_connection_config(|connection| connection.connection_timeout = timeout)
        .set_policy(fred::prelude::ReconnectPolicy::new_exponential(
            0, 100, 2_000, 2,
        ))
        .build_subscriber_client()
        .map_err(|error| StartupError::Config(format!("Redis URL `{url}`: {error}")))?;
    match tokio::time::timeout(timeout, client.init()).await {
        Ok(Ok(_)) => Ok(client),
        Ok(Err(error)) => Err(StartupError::unreachable("Redis", url, error)),
        Err(_) => Err(StartupError::unreachable(
            "Redis",
            url,
            format!("no answer within {timeout:?}"),
        )),
    }
}
