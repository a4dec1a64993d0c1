//! `chat-account`: users, credentials, friends, groups and notifications.

// The rocketmq client's futures nest deeply; the default limit is too low for their layout.
#![recursion_limit = "256"]

mod accounts;
mod api;
mod auth;
mod avatars;
mod config;
mod delivery;
mod error;
mod friends;
mod groups;
mod limits;
mod notify;
mod presence;
mod store;
mod tokens;
mod validate;

use std::process::ExitCode;

use chat_common::{DependencyCheck, Host, StartupError, grpc, mysql, redis, run_service};
use chat_proto::account::account_server::{AccountServer, SERVICE_NAME};
use sea_orm_migration::MigratorTrait;

use crate::accounts::Accounts;
use crate::config::Config;

fn main() -> ExitCode {
    run_service("chat-account", run)
}

async fn run(config: Config) -> Result<(), StartupError> {
    let host = Host::start(
        "chat-account",
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
    let router = grpc::lazy_channel("router", &config.router_url, host.internal_secret())?;
    let cluster = &config.common.cluster;
    let mq = chat_mq::MqRuntime::start()
        .map_err(|error| StartupError::failed("rocketmq client", error))?;
    let producer = chat_mq::PushProducer::start(
        &mq,
        &config.rocketmq_namesrv,
        cluster,
        "account-notifications",
    )
    .await
    .map_err(|error| StartupError::failed("rocketmq producer", error))?;
    let notifier = notify::Notifier {
        db: db.clone(),
        producer: std::sync::Arc::new(producer),
        tables: chat_routing::TableWatcher::spawn(router.clone(), host.shutdown()),
    };
    let presence = presence::Presence::new(redis.clone(), cluster, db.clone(), notifier.clone());
    let sweeper = presence
        .clone()
        .spawn_sweeper(config.presence_sweep, host.shutdown());
    let users = store::users::Users::new(db.clone());
    let stamps = chat_common::stamps::Stamps::new(redis.clone(), cluster);
    let friends = friends::Friends {
        db: db.clone(),
        users: users.clone(),
        notifier: notifier.clone(),
        stamps: stamps.clone(),
    };
    let groups = groups::Groups {
        db: db.clone(),
        users: users.clone(),
        member_limit: config.group_member_limit,
        notifier: notifier.clone(),
        stamps,
    };
    let tokens = tokens::Tokens::new(db.clone(), redis.clone(), cluster, config.token_ttl);
    let pruner = tokens::spawn_pruner(
        tokens.clone(),
        std::time::Duration::from_secs(600),
        host.shutdown(),
    );
    let accounts = Accounts {
        users,
        tokens,
        limits: limits::LoginLimits::new(
            redis.clone(),
            cluster,
            config.login_failures_per_user,
            config.login_failures_per_addr,
            config.login_failures_per_user_total,
            config.login_window.as_secs() as i64,
        ),
    };
    let checks = vec![
        mysql::health_check(db),
        redis::health_check(redis),
        chat_mq::health_check(&config.rocketmq_namesrv),
        DependencyCheck::grpc_peer("router", router),
    ];
    let served = host
        .serve(&[SERVICE_NAME], checks, |server| {
            server.add_service(AccountServer::new(api::AccountApi {
                accounts,
                friends,
                groups,
                notifier,
                presence,
            }))
        })
        .await;
    let _ = tokio::join!(sweeper, pruner);
    served
}
