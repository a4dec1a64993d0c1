//! `chat-message`: messages, sequence numbers, fan-out and sync.
#![recursion_limit = "256"]

mod access;
mod api;
mod clock;
mod config;
mod content;
mod conversation;
mod files;
mod pushes;
mod send;
mod send_stream;
mod service;
mod store;
mod sync;
mod writer;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chat_common::online::OnlineLookup;
use chat_common::stamps::Stamps;
use chat_common::{DependencyCheck, Host, StartupError, grpc, mysql, redis, run_service};
use chat_mq::{Fanout, FanoutLimits};
use chat_proto::account::account_client::AccountClient;
use chat_proto::message::message_server::{MessageServer, SERVICE_NAME};
use sea_orm_migration::MigratorTrait;

use crate::config::Config;
use crate::pushes::Pushes;
use crate::service::{Rules, Service};

/// Permission checks that may wait for the batched stamp read in flight (every send checks
/// one); beyond, a check reads its stamp on its own.
const STAMP_READ_QUEUE: usize = 4_096;

fn main() -> ExitCode {
    run_service("chat-message", run)
}

async fn run(config: Config) -> Result<(), StartupError> {
    let host = Host::start(
        "chat-message",
        &config.common,
        config.grpc_addr,
        config.metrics_addr,
    )
    .await?;
    let timeout = config.common.startup_timeout;
    let db = mysql::connect(&config.database_url, config.database_pool, timeout).await?;
    store::migrations::Migrator::up(&db, None)
        .await
        .map_err(|error| StartupError::failed("schema migration", error))?;
    let redis = redis::connect(&config.redis_url, 4, timeout).await?;
    let secret = host.internal_secret();
    let account = grpc::lazy_channel("account", &config.account_url, secret)?;
    let router = grpc::lazy_channel("router", &config.router_url, secret)?;
    let cluster = &config.common.cluster;
    let account_cluster = config.account_cluster.as_ref().unwrap_or(cluster);
    let mq = chat_mq::MqRuntime::start()
        .map_err(|error| StartupError::failed("rocketmq client", error))?;
    let producer =
        chat_mq::PushProducer::start(&mq, &config.rocketmq_namesrv, cluster, "message-pushes")
            .await
            .map_err(|error| StartupError::failed("rocketmq producer", error))?;
    let fanout = Fanout::new(
        Arc::new(producer),
        FanoutLimits {
            queue_per_tag: config.push_queue,
            ..FanoutLimits::default()
        },
    );
    let ids = Arc::new(store::ids::IdBlocks::new(db.clone()));
    let pushes = Pushes::start(
        fanout.clone(),
        chat_routing::TableWatcher::spawn(router.clone(), host.shutdown()),
        OnlineLookup::new(redis.clone(), account_cluster),
        config.push_queue,
    );
    let service = Service {
        db: db.clone(),
        access: access::Access::new(
            AccountClient::new(account.clone()),
            Stamps::new(redis.clone(), account_cluster).batched_reader(STAMP_READ_QUEUE),
            config.access_ttl,
        ),
        writer: writer::Writer::start(
            db.clone(),
            ids,
            pushes.clone(),
            config.writers,
            config.max_batch,
        )?,
        pushes: pushes.clone(),
        rules: Rules {
            content: content::ContentLimits {
                text_bytes: config.max_text_bytes,
                custom_bytes: config.max_custom_bytes,
            },
            recall_window: config.recall_window,
            file_quota_bytes: config.file_quota_bytes,
            file_sendable_for: config.file_sweep_age / 2,
        },
    };
    let storage = config.storage.storage();
    tracing::info!(files = %storage.describe(), "file storage swept");
    if let Some(store) = storage.open().map_err(StartupError::Config)? {
        files::sweep::Sweeper {
            db: db.clone(),
            store,
            age: config.file_sweep_age,
            interval: config.file_sweep_interval,
        }
        .spawn(host.shutdown());
    }
    let checks = vec![
        mysql::health_check(db),
        redis::health_check(redis),
        chat_mq::health_check(&config.rocketmq_namesrv),
        DependencyCheck::grpc_peer("account", account),
        DependencyCheck::grpc_peer("router", router),
    ];
    let shutdown = host.shutdown();
    let served = host
        .serve(&[SERVICE_NAME], checks, |server| {
            server.add_service(MessageServer::new(api::MessageApi { service, shutdown }))
        })
        .await;
    // Pushes of messages committed just before shutdown still go out if the broker answers.
    pushes.drain(Duration::from_secs(1)).await;
    fanout.flush(Duration::from_secs(3)).await;
    mq.shutdown().await;
    served
}
