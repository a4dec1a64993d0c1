//! `chat-gateway`: WebSocket sessions, the public REST API, and the push consumer of its tag.

// The rocketmq client's futures nest deeply; the default limit is too low for their layout.
#![recursion_limit = "256"]

mod config;
mod http;
mod lease;
mod limits;
mod moves;
mod presence;
mod push;
mod rest;
mod revocations;
mod seed;
mod sends;
mod web;
mod ws;

use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;

use chat_common::{DependencyCheck, Host, Shutdown, StartupError, grpc, run_service};
use chat_proto::account::account_client::AccountClient;
use chat_proto::message::message_client::MessageClient;
use chat_routing::TableWatcher;

use crate::config::Config;
use crate::lease::Registration;

fn main() -> ExitCode {
    run_service("chat-gateway", run)
}

async fn run(config: Config) -> Result<(), StartupError> {
    let advertise_addr = config.advertise_addr().map_err(StartupError::Config)?;
    let host = Host::start(
        "chat-gateway",
        &config.common,
        config.grpc_addr,
        config.metrics_addr,
    )
    .await?;
    let public = grpc::bind("public HTTP", config.http_addr).await?;
    let redis =
        chat_common::redis::connect(&config.redis_url, 4, config.common.startup_timeout).await?;
    let limits = Arc::new(limits::Limits::new(
        chat_common::ratelimit::RateLimiter::new(redis, &config.common.cluster),
        &config.rate_limits,
    ));
    let secret = host.internal_secret();
    let account = grpc::lazy_channel("account", &config.account_url, secret)?;
    let message = grpc::lazy_channel("message", &config.message_url, secret)?;
    let router = grpc::lazy_channel("router", &config.router_url, secret)?;
    let shutdown = host.shutdown();

    let instance_id = config
        .instance_id
        .clone()
        .unwrap_or_else(chat_common::instance::instance_id);
    // Unique per process start even when the instance id is configured and reused.
    let presence_source = format!(
        "{instance_id}.{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos())
    );
    let registration = Registration::new(router.clone(), instance_id, advertise_addr);
    let first = registration.register(config.common.startup_timeout).await?;
    tracing::info!(tag = %first.tag, epoch = first.epoch, "registered with the router");
    let (lease, lease_task) = registration.spawn(first, shutdown.clone());
    let tables = TableWatcher::spawn(router.clone(), shutdown.clone());
    let hub = Arc::new(ws::hub::Hub::new(config.max_sessions_per_user));
    let (presence, presence_task) = presence::spawn(
        AccountClient::new(account.clone()),
        hub.clone(),
        presence_source,
        presence::PresenceTimings {
            grace: config.presence_grace,
            heartbeat: config.presence_heartbeat,
        },
        lease.reregistrations.clone(),
        shutdown.clone(),
    );
    let moves = moves::spawn(
        lease.clone(),
        tables.clone(),
        Arc::new(ws::HubMoves(hub.clone())),
        shutdown.clone(),
    );

    let mq = Arc::new(
        chat_mq::MqRuntime::start()
            .map_err(|error| StartupError::failed("rocketmq client", error))?,
    );
    let seed_pushes = Arc::new(seed::realtime::SeedPushes::new(
        AccountClient::new(account.clone()),
        MessageClient::new(message.clone()),
    ));
    let pushes = push::spawn(
        Arc::new(ws::deliver::Deliverer::new(
            hub.clone(),
            seed_pushes.clone(),
        )),
        mq.clone(),
        config.rocketmq_namesrv.clone(),
        config.common.cluster.clone(),
        lease.clone(),
        shutdown.clone(),
    );

    // Before serving: every session admitted from here on was authenticated after this point.
    let mut revocation_client = AccountClient::new(account.clone());
    let revocations_from =
        revocations::starting_point(&mut revocation_client, config.common.startup_timeout).await;
    let revocations = revocations::spawn(
        revocation_client,
        hub.clone(),
        revocations_from,
        config.revocation_poll,
        shutdown.clone(),
    );

    let checks = vec![
        DependencyCheck::grpc_peer("account", account.clone()),
        DependencyCheck::grpc_peer("message", message.clone()),
        DependencyCheck::grpc_peer("router", router),
        lease.health_check(),
        chat_mq::health_check(&config.rocketmq_namesrv),
    ];
    let message_client = MessageClient::new(message.clone());
    let ws_state = ws::endpoint::WsState {
        lease: lease.clone(),
        tables: tables.clone(),
        account: AccountClient::new(account.clone()),
        trusted_proxies: config.trusted_proxies.clone(),
        sessions: ws::session::SessionContext {
            hub: hub.clone(),
            message: message_client.clone(),
            sends: sends::Sends::start(message_client.clone(), shutdown.clone()),
            tag: lease.tag(),
            limits: ws::session::SessionLimits {
                queue: config.session_queue,
                max_frame_bytes: config.max_frame_bytes,
                heartbeat: config.heartbeat,
                idle_timeout: config.idle_timeout,
                sends_in_flight: 32,
            },
            presence,
            seed: seed_pushes,
            rate_limits: limits.clone(),
        },
    };
    let ws_routes = axum::Router::new()
        .route("/ws", axum::routing::get(ws::endpoint::without_uid))
        .route("/ws/{uid}", axum::routing::get(ws::endpoint::with_uid))
        .route(
            "/api/v1/ws/{uid}/chat",
            axum::routing::get(ws::endpoint::seed_with_uid),
        )
        .with_state(Arc::new(ws_state));
    let sessions_closed = close_sessions_on_shutdown(hub.clone(), shutdown.clone());
    let state = http::GatewayState { lease, tables };
    let origins: Vec<String> = config
        .cors_origins
        .iter()
        .filter(|o| !o.is_empty())
        .cloned()
        .collect();
    let storage = config.storage.storage();
    tracing::info!(files = %storage.describe(), "file storage");
    let files = rest::files::Files::open(
        &storage,
        rest::files::FileLimits {
            image: config.max_image_bytes,
            voice: config.max_voice_bytes,
            file: config.max_file_bytes,
        },
        config.url_signer().map_err(StartupError::Config)?,
        config.file_url_ttl,
    )
    .map_err(StartupError::Config)?;
    // One store for both APIs: the seed's voice notes are our uploads.
    let files = Arc::new(files);
    let seed = seed::router(
        seed::SeedState {
            account: AccountClient::new(account.clone()),
            message: message_client.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
            files: files.clone(),
            limits: limits.clone(),
        },
        config.body_limit,
        config.seed_bare_paths,
    );
    let rest = rest::router(
        rest::RestState {
            account: AccountClient::new(account.clone()),
            message: message_client,
            trusted_proxies: config.trusted_proxies.clone(),
            files,
            limits,
        },
        config.body_limit,
        &origins,
    )
    .merge(seed);
    let web = config.web_dir.as_deref().map(web::router);
    let public_server = http::spawn(public, state, ws_routes, rest, web, shutdown.clone());
    let served = host.serve(&[], checks, |server| server).await;
    let _ = tokio::join!(
        public_server,
        moves,
        lease_task,
        pushes,
        sessions_closed,
        presence_task,
        revocations
    );
    if let Ok(mq) = Arc::try_unwrap(mq) {
        mq.shutdown().await;
    }
    served
}

/// On shutdown: refuse new sessions, tell every session to reconnect elsewhere (`moved`, 4001),
/// and wait (up to 5 s) for them to close, so the process exits well within 10 s. Sessions whose
/// upgrade was answered but which are not yet in the hub are told when they arrive, and waited for.
fn close_sessions_on_shutdown(
    hub: Arc<ws::hub::Hub>,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        shutdown.wait().await;
        ws::end_all(&hub.close(), ws::SHUTTING_DOWN);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while hub.busy() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}
