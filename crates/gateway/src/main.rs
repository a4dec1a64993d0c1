//! `chat-gateway`: WebSocket sessions, the public REST API, and the push consumer of its tag.

mod config;
mod http;

use std::process::ExitCode;

use chat_common::{DependencyCheck, Host, StartupError, grpc, run_service};

use crate::config::Config;

fn main() -> ExitCode {
    run_service("chat-gateway", run)
}

async fn run(config: Config) -> Result<(), StartupError> {
    let host = Host::start(
        "chat-gateway",
        &config.common,
        config.grpc_addr,
        config.metrics_addr,
    )
    .await?;
    let public = grpc::bind("public HTTP", config.http_addr).await?;
    let account = grpc::lazy_channel("account", &config.account_url)?;
    let message = grpc::lazy_channel("message", &config.message_url)?;
    let router = grpc::lazy_channel("router", &config.router_url)?;
    let checks = vec![
        DependencyCheck::grpc_peer("account", account),
        DependencyCheck::grpc_peer("message", message),
        DependencyCheck::grpc_peer("router", router),
        chat_mq::health_check(&config.rocketmq_namesrv),
    ];
    let public_server = http::spawn(public, host.shutdown());
    let served = host.serve(&[], checks, |server| server).await;
    let _ = public_server.await;
    served
}
