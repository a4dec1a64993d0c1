//! Helpers shared by the end-to-end tests: where the running stack is (from the `stack.json`
//! that `cargo xtask up` writes), its binaries, small probes, and private test clusters.

pub mod api;
pub mod cluster;
pub mod files;
pub mod openresty;
pub mod rawws;
pub mod redis;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Addresses of one service.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAddrs {
    pub grpc: String,
    pub metrics: String,
    #[serde(default)]
    pub http: Option<String>,
}

/// Addresses of one gateway.
#[derive(Debug, Clone, Deserialize)]
pub struct GatewayAddrs {
    pub name: String,
    pub http: String,
    pub grpc: String,
    pub metrics: String,
}

/// RocketMQ as the stack runs it.
#[derive(Debug, Clone, Deserialize)]
pub struct RocketMqAddrs {
    pub namesrv: String,
    pub broker: String,
    pub push_topic: String,
}

/// The S3-compatible object store as the stack runs it (`s3s-fs`, path-style requests,
/// SigV4 with any region). The secret key is read from `secret_key_file`, never copied here.
#[derive(Debug, Clone, Deserialize)]
pub struct S3Addrs {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key_file: PathBuf,
}

/// The running stack, as `cargo xtask up` described it.
#[derive(Debug, Clone, Deserialize)]
pub struct Stack {
    pub public_url: String,
    /// The stack's cluster name (`--cluster` of its services).
    #[serde(default = "default_cluster")]
    pub cluster: String,
    pub mysql_url: String,
    pub redis_url: String,
    pub rocketmq: RocketMqAddrs,
    /// Absent in a `stack.json` written before the object store joined the stack.
    #[serde(default)]
    pub s3: Option<S3Addrs>,
    pub router: ServiceAddrs,
    pub account: ServiceAddrs,
    pub message: ServiceAddrs,
    pub gateways: Vec<GatewayAddrs>,
    /// The secret internal gRPC calls carry. Absent in a `stack.json` written before services
    /// checked it.
    #[serde(default)]
    pub internal_secret_file: Option<PathBuf>,
    /// The gateways' `--rate-limit` (raised: every client of the local stack is 127.0.0.1).
    /// Absent in a `stack.json` written before gateways had rate limits.
    #[serde(default)]
    pub gateway_rate_limits: Option<String>,
    pub run_dir: PathBuf,
    pub bin_dir: PathBuf,
}

impl Stack {
    /// The stack's internal secret (none when it has none).
    pub fn internal_secret(&self) -> chat_common::internal::InternalSecret {
        let Some(path) = &self.internal_secret_file else {
            return chat_common::internal::InternalSecret::default();
        };
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        chat_common::internal::InternalSecret::new(&text).expect("a valid internal secret")
    }

    /// A channel to a service at `addr` (host:port) whose calls carry the stack's secret, as
    /// the services' own calls do. Connects on first use (call it inside a runtime).
    pub fn grpc(&self, addr: &str) -> chat_common::internal::InternalChannel {
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("a host:port")
            .connect_timeout(Duration::from_secs(5));
        self.internal_secret().channel(endpoint.connect_lazy())
    }

    /// Reads `stack.json`; panics with the command to run when the stack is not up.
    pub fn load() -> Self {
        let path = run_dir().join("stack.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!(
                "{}: {error}; the end-to-end tests need the stack: run `cargo xtask up`",
                path.display()
            )
        });
        serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{} is malformed: {error}", path.display()))
    }

    /// A binary of the workspace, as built for the stack.
    pub fn binary(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

fn default_cluster() -> String {
    "chat".to_owned()
}

fn run_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHAT_RUN_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("CHAT_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into()))
                .join(".cache/chat-cluster")
        });
    cache.join("run")
}

/// The gRPC health status of the service at `addr` ("" = overall), or the error text.
pub async fn grpc_health(addr: &str) -> Result<ServingStatus, String> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|error| error.to_string())?
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|error| error.to_string())?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map_err(|status| status.to_string())?;
    Ok(reply.into_inner().status())
}

/// `N` distinct loopback addresses with ports nobody listens on right now (all are held while
/// choosing, so the kernel cannot hand out the same port twice).
pub fn free_addrs<const N: usize>() -> [String; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port"))
        .collect();
    std::array::from_fn(|i| {
        listeners[i]
            .local_addr()
            .expect("ephemeral port address")
            .to_string()
    })
}

/// Polls `check` every 100 ms until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A plain HTTP/1.0 GET; returns the whole response (status line, headers, body).
pub fn http_get(addr: &str, path: &str) -> String {
    http_request(
        addr,
        &format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n"),
    )
}

/// Sends a raw HTTP/1.0 request and returns the whole response.
pub fn http_request(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    response
}

/// The stack's gateway that holds `user` now, by the router's slot table (waiting up to 30 s
/// for the slot to have an owner, e.g. while gateways re-register after a Redis flush).
pub async fn gateway_of(stack: &Stack, user: u64) -> GatewayAddrs {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(gateway) = owner_now(stack, user).await {
            return gateway;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no stack gateway owns user {user}'s slot within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn owner_now(stack: &Stack, user: u64) -> Option<GatewayAddrs> {
    use chat_proto::router::{GetTableRequest, router_client::RouterClient};
    let mut router = RouterClient::new(stack.grpc(&stack.router.grpc));
    let table = router
        .get_table(GetTableRequest {})
        .await
        .ok()?
        .into_inner();
    let table = chat_routing::SlotTable::from_proto(&table).ok()?;
    let owner = table.owner_of(user)?;
    stack
        .gateways
        .iter()
        .find(|g| g.http == owner.addr)
        .cloned()
}

/// The sum of a metric's series on a Prometheus endpoint (0 when absent).
pub fn metric(addr: &str, name: &str) -> f64 {
    http_get(addr, "/metrics")
        .lines()
        .filter(|line| line.starts_with(name) && line[name.len()..].starts_with([' ', '{']))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
