//! The parts of the local stack: where each listens and how its health is checked.

use crate::probe;

/// Fixed local addresses; every gateway `i` adds `i` to the gateway ports.
pub mod ports {
    pub const MARIADB: &str = "127.0.0.1:3306";
    pub const REDIS: &str = "127.0.0.1:6379";
    /// The stack's Redis database: not 0, so that the stack (and the tests, which flush it)
    /// never touch what a developer keeps in the default database of the same server.
    pub const REDIS_URL: &str = "redis://127.0.0.1:6379/7";
    pub const NAMESRV: &str = "127.0.0.1:9876";
    pub const BROKER: &str = "127.0.0.1:10911";
    pub const S3: &str = "127.0.0.1:9014";
    pub const PUBLIC: &str = "127.0.0.1:8080";
    pub const ROUTER_GRPC: &str = "127.0.0.1:50051";
    pub const ROUTER_HTTP: &str = "127.0.0.1:8090";
    pub const ROUTER_METRICS: &str = "127.0.0.1:9101";
    pub const ACCOUNT_GRPC: &str = "127.0.0.1:50052";
    pub const ACCOUNT_METRICS: &str = "127.0.0.1:9102";
    pub const MESSAGE_GRPC: &str = "127.0.0.1:50053";
    pub const MESSAGE_METRICS: &str = "127.0.0.1:9103";
    pub const GATEWAY_HTTP_BASE: u16 = 8100;
    pub const GATEWAY_GRPC_BASE: u16 = 50060;
    pub const GATEWAY_METRICS_BASE: u16 = 9110;

    /// `127.0.0.1:<base + index>`.
    pub fn nth(base: u16, index: u16) -> String {
        format!("127.0.0.1:{}", base + index)
    }
}

/// How a component shows it is healthy.
#[derive(Debug, Clone)]
pub enum Health {
    /// Accepts TCP connections.
    Tcp(String),
    /// Answers Redis PING.
    Redis(String),
    /// Answers `GET path` with 2xx.
    Http(String, &'static str),
    /// Answers `GET path` with any HTTP status (S3 refuses unsigned requests, but answers).
    HttpAny(String, &'static str),
    /// Its gRPC health service answers SERVING.
    Grpc(String),
}

impl Health {
    /// Probes once.
    pub fn check(&self, release: bool) -> bool {
        match self {
            Self::Tcp(addr) => probe::tcp(addr),
            Self::Redis(addr) => probe::redis(addr),
            Self::Http(addr, path) => probe::http_ok(addr, path),
            Self::HttpAny(addr, path) => probe::http_answers(addr, path),
            Self::Grpc(addr) => probe::grpc_serving(addr, release),
        }
    }
}

/// One row of the stack.
#[derive(Debug, Clone)]
pub struct Component {
    /// Name in status output, pid and log file names.
    pub name: String,
    /// A string in the process's command line that identifies it as this component.
    pub marker: String,
    /// The address shown in status output (the main port).
    pub address: String,
    pub health: Health,
}

impl Component {
    fn new(
        name: impl Into<String>,
        marker: impl Into<String>,
        address: &str,
        health: Health,
    ) -> Self {
        Self {
            name: name.into(),
            marker: marker.into(),
            address: address.to_owned(),
            health,
        }
    }
}

/// Every component of a stack with `gateways` gateways, in start order.
pub fn all(gateways: u16) -> Vec<Component> {
    use ports::*;
    let mut list = vec![
        Component::new("mariadb", "mariadbd", MARIADB, Health::Tcp(MARIADB.into())),
        Component::new("redis", "redis-server", REDIS, Health::Redis(REDIS.into())),
        Component::new(
            "namesrv",
            "rocketmq-namesrv",
            NAMESRV,
            Health::Tcp(NAMESRV.into()),
        ),
        Component::new(
            "broker",
            "rocketmq-broker",
            BROKER,
            Health::Tcp(BROKER.into()),
        ),
        Component::new("s3", "s3s-fs", S3, Health::HttpAny(S3.into(), "/")),
        Component::new(
            "openresty",
            "nginx",
            PUBLIC,
            Health::Http(PUBLIC.into(), "/healthz"),
        ),
        Component::new(
            "router",
            "chat-router",
            ROUTER_GRPC,
            Health::Grpc(ROUTER_GRPC.into()),
        ),
        Component::new(
            "account",
            "chat-account",
            ACCOUNT_GRPC,
            Health::Grpc(ACCOUNT_GRPC.into()),
        ),
        Component::new(
            "message",
            "chat-message",
            MESSAGE_GRPC,
            Health::Grpc(MESSAGE_GRPC.into()),
        ),
    ];
    for index in 0..gateways {
        let http = nth(GATEWAY_HTTP_BASE, index);
        let grpc = nth(GATEWAY_GRPC_BASE, index);
        list.push(Component::new(
            format!("gateway-{index}"),
            "chat-gateway",
            &http,
            Health::Grpc(grpc),
        ));
    }
    list
}
