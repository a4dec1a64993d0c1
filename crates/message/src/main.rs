//! `chat-message`: messages, sequence numbers, fan-out, sync and read cursors.

mod api;
mod config;

use std::process::ExitCode;

use chat_common::{DependencyCheck, Host, StartupError, grpc, mysql, redis, run_service};
use chat_proto::message::message_server::{MessageServer, SERVICE_NAME};

use crate::config::Config;

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
    let redis = redis::connect(&config.redis_url, 4, timeout).await?;
    let account = grpc::lazy_channel("account", &config.account_url)?;
    let router = grpc::lazy_channel("router", &config.router_url)?;
    let checks = vec![
        mysql::health_check(db),
        redis::health_check(redis),
        chat_mq::health_check(&config.rocketmq_namesrv),
        DependencyCheck::grpc_peer("account", account),
        DependencyCheck::grpc_peer("router", router),
    ];
    host.serve(&[SERVICE_NAME], checks, |server| {
        server.add_service(MessageServer::new(api::MessageApi))
    })
    .await
}
