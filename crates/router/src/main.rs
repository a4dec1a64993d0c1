//! `chat-router`: the gateway registry and slot table.

mod api;
mod config;

use std::process::ExitCode;

use chat_common::{Host, StartupError, redis, run_service};
use chat_proto::router::router_server::{RouterServer, SERVICE_NAME};

use crate::config::Config;

fn main() -> ExitCode {
    run_service("chat-router", run)
}

async fn run(config: Config) -> Result<(), StartupError> {
    let host = Host::start(
        "chat-router",
        &config.common,
        config.grpc_addr,
        config.metrics_addr,
    )
    .await?;
    let redis = redis::connect(&config.redis_url, 2, config.common.startup_timeout).await?;
    host.serve(
        &[SERVICE_NAME],
        vec![redis::health_check(redis)],
        |server| server.add_service(RouterServer::new(api::RouterApi)),
    )
    .await
}
