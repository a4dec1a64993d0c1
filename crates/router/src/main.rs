//! `chat-router`: the gateway registry and slot table.

mod api;
mod config;
mod coordinator;
mod http;
mod store;
mod table_feed;

use std::process::ExitCode;
use std::sync::Arc;

use chat_common::{Host, StartupError, grpc, redis, run_service};
use chat_proto::router::router_server::{RouterServer, SERVICE_NAME};
use tokio::sync::{Notify, watch};

use crate::config::Config;
use crate::coordinator::Coordinator;
use crate::store::RouterStore;

fn main() -> ExitCode {
    run_service("chat-router", run)
}

async fn run(config: Config) -> Result<(), StartupError> {
    config.validate().map_err(StartupError::Config)?;
    let host = Host::start(
        "chat-router",
        &config.common,
        config.grpc_addr,
        config.metrics_addr,
    )
    .await?;
    let table_listener = grpc::bind("table HTTP", config.http_addr).await?;
    let timeout = config.common.startup_timeout;
    let redis = redis::connect(&config.redis_url, 4, timeout).await?;
    let subscriber = redis::subscriber(&config.redis_url, timeout).await?;
    let store = RouterStore::new(redis.clone(), &config.common.cluster);
    let table = store
        .load_table()
        .await
        .map_err(|error| StartupError::failed("loading the slot table", error))?;
    let router_id = config.router_id();
    tracing::info!(%router_id, epoch = table.epoch(), "loaded the slot table");

    let (tables, table_reader) = watch::channel(Arc::new(table));
    let changed = Arc::new(Notify::new());
    let shutdown = host.shutdown();
    let coordinator = tokio::spawn(
        Coordinator {
            store: store.clone(),
            router_id,
            leader_ttl: config.leader_ttl,
            interval: config.reconcile_interval,
            changed: changed.clone(),
            tables: tables.clone(),
            lease_ttl: config.lease_ttl,
            restoring_until: None,
        }
        .run(shutdown.clone()),
    );
    let feed = tokio::spawn(table_feed::run(
        store.clone(),
        subscriber,
        tables,
        shutdown.clone(),
    ));
    let table_http = http::spawn(table_listener, table_reader.clone(), shutdown.clone());

    let api = api::RouterApi {
        store,
        tables: table_reader,
        changed,
        lease_ttl: config.lease_ttl,
        shutdown,
    };
    let served = host
        .serve(
            &[SERVICE_NAME],
            vec![redis::health_check(redis)],
            |server| server.add_service(RouterServer::new(api)),
        )
        .await;
    let _ = tokio::join!(coordinator, feed, table_http);
    served
}
