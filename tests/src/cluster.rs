//! A private cluster for tests that start, stop and kill routers and gateways: its own cluster
//! name (so its own Redis keys, push topic and consumer groups), its own processes on free
//! ports, sharing the stack's Redis, RocketMQ and account/message services.

use std::fs::{self, File};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chat_common::internal::InternalChannel;
use chat_proto::router::router_client::RouterClient;
use chat_routing::SlotTable;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::{Stack, free_addrs, http_get};

static CLUSTERS: AtomicU32 = AtomicU32::new(0);

/// A process of a test cluster; killed when dropped.
pub struct Proc {
    pub name: String,
    child: Child,
    pub grpc: String,
    pub http: String,
    pub metrics: String,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then waits (up to 15 s) for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not stop within 15 s of SIGTERM",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no chance to clean up (a crash).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A counter or gauge from the process's Prometheus endpoint (0 when absent).
    pub fn metric(&self, name: &str) -> f64 {
        crate::metric(&self.metrics, name)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.is_running() {
            self.kill();
        }
    }
}

/// A cluster of routers and gateways private to one test.
pub struct TestCluster {
    pub name: String,
    pub stack: Stack,
    log_dir: PathBuf,
}

impl TestCluster {
    /// A new cluster named after `label` (a few lowercase letters) and this process.
    pub fn new(label: &str) -> Self {
        let stack = Stack::load();
        let n = CLUSTERS.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{label}-{}-{n}", std::process::id());
        let log_dir = stack.run_dir.join("test-logs").join(&name);
        fs::create_dir_all(&log_dir).expect("create the test log directory");
        Self {
            name,
            stack,
            log_dir,
        }
    }

    fn spawn(&self, name: &str, binary: &str, args: &[String], cluster: &str) -> Child {
        let log =
            File::create(self.log_dir.join(format!("{name}.log"))).expect("create a log file");
        Command::new(self.stack.binary(binary))
            .args(args)
            // The stack's Redis database.
            .env("CHAT_REDIS_URL", &self.stack.redis_url)
            // The stack's internal secret: its services are called, and call back.
            .envs(
                self.stack
                    .internal_secret_file
                    .iter()
                    .map(|path| ("CHAT_INTERNAL_SECRET_FILE", path.clone())),
            )
            .args([
                "--cluster",
                cluster,
                "--log-format",
                "text",
                "--health-interval",
                "250ms",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("start {binary}: {error}"))
    }

    /// Starts `binary` with `args` and waits until its gRPC health (at `addrs[0]`) is SERVING.
    fn launch(&self, name: &str, binary: &str, args: &[String], addrs: [String; 3]) -> Proc {
        self.launch_in(&self.name, name, binary, args, addrs)
    }

    /// Like `launch`, in `cluster` rather than this test cluster.
    fn launch_in(
        &self,
        cluster: &str,
        name: &str,
        binary: &str,
        args: &[String],
        addrs: [String; 3],
    ) -> Proc {
        let [grpc, http, metrics] = addrs;
        let proc = Proc {
            name: name.to_owned(),
            child: self.spawn(name, binary, args, cluster),
            grpc,
            http,
            metrics,
        };
        wait_serving(&proc);
        proc
    }

    /// Starts a router on fresh ports (`extra` adds flags) and waits until it serves.
    pub fn start_router(&self, name: &str, extra: &[&str]) -> Proc {
        let [grpc, http, metrics] = free_addrs();
        self.start_router_at(name, [grpc, http, metrics], extra)
    }

    /// Starts a router on the given gRPC, HTTP and metrics addresses (to restart one in place).
    pub fn start_router_at(&self, name: &str, addrs: [String; 3], extra: &[&str]) -> Proc {
        let [grpc, http, metrics] = addrs;
        let mut args: Vec<String> = [
            "--grpc-addr",
            &grpc,
            "--http-addr",
            &http,
            "--metrics-addr",
            &metrics,
        ]
        .map(String::from)
        .into();
        args.extend(extra.iter().map(|arg| arg.to_string()));
        self.launch(name, "chat-router", &args, [grpc, http, metrics])
    }

    /// Starts a gateway registered with `router` and waits until it serves.
    pub fn start_gateway(&self, name: &str, router: &Proc) -> Proc {
        let message = self.stack.message.grpc.clone();
        self.start_gateway_with(name, router, &message)
    }

    /// Starts a gateway registered with `router` that sends through the message service at
    /// `message_grpc`, and waits until it serves.
    pub fn start_gateway_with(&self, name: &str, router: &Proc, message_grpc: &str) -> Proc {
        self.start_gateway_flags(name, router, message_grpc, &[])
    }

    /// As [`TestCluster::start_gateway_with`], with more flags.
    pub fn start_gateway_flags(
        &self,
        name: &str,
        router: &Proc,
        message_grpc: &str,
        extra: &[&str],
    ) -> Proc {
        let [http, grpc, metrics] = free_addrs();
        let mut args: Vec<String> = [
            "--http-addr",
            &http,
            "--grpc-addr",
            &grpc,
            "--metrics-addr",
            &metrics,
            "--router-url",
            &format!("http://{}", router.grpc),
            "--account-url",
            &format!("http://{}", self.stack.account.grpc),
            "--message-url",
            &format!("http://{message_grpc}"),
            "--rocketmq-namesrv",
            &self.stack.rocketmq.namesrv,
        ]
        .map(String::from)
        .into();
        // The stack's raised limits first: `extra` may set some lower (a later setting wins).
        if let Some(limits) = &self.stack.gateway_rate_limits {
            args.extend(["--rate-limit".to_owned(), limits.clone()]);
        }
        args.extend(extra.iter().map(|arg| arg.to_string()));
        self.launch(name, "chat-gateway", &args, [grpc, http, metrics])
    }

    /// Starts another message service of the stack's own cluster (same database, Redis keys,
    /// push topic and peers), on fresh ports, and waits until it serves. `namesrv` overrides
    /// the RocketMQ name server.
    pub fn start_stack_message(&self, name: &str, namesrv: Option<&str>) -> Proc {
        let cluster = self.stack.cluster.clone();
        let router = self.stack.router.grpc.clone();
        let namesrv = namesrv.unwrap_or(&self.stack.rocketmq.namesrv).to_owned();
        self.start_message_in(&cluster, name, &router, &namesrv, &[])
    }

    /// Like `start_stack_message`, with `extra` flags (a small `--file-quota-bytes`, say).
    pub fn start_stack_message_flags(&self, name: &str, extra: &[&str]) -> Proc {
        let cluster = self.stack.cluster.clone();
        let router = self.stack.router.grpc.clone();
        let namesrv = self.stack.rocketmq.namesrv.clone();
        self.start_message_in(&cluster, name, &router, &namesrv, extra)
    }

    /// Starts a message service of this test cluster (its push topic, routed by `router`).
    pub fn start_message(&self, name: &str, router: &Proc) -> Proc {
        let namesrv = self.stack.rocketmq.namesrv.clone();
        self.start_message_in(&self.name, name, &router.grpc, &namesrv, &[])
    }

    fn start_message_in(
        &self,
        cluster: &str,
        name: &str,
        router_grpc: &str,
        namesrv: &str,
        extra: &[&str],
    ) -> Proc {
        let [grpc, metrics] = free_addrs();
        let mut args: Vec<String> = [
            "--grpc-addr",
            &grpc,
            "--metrics-addr",
            &metrics,
            "--router-url",
            &format!("http://{router_grpc}"),
            "--account-url",
            &format!("http://{}", self.stack.account.grpc),
            // The stack's account service keeps presence and stamps under the stack's name.
            "--account-cluster",
            &self.stack.cluster,
            "--rocketmq-namesrv",
            namesrv,
        ]
        .map(String::from)
        .into();
        args.extend(extra.iter().map(|arg| arg.to_string()));
        self.launch_in(
            cluster,
            name,
            "chat-message",
            &args,
            [grpc, String::new(), metrics],
        )
    }

    /// Creates this cluster's push topic.
    pub fn create_push_topic(&self) {
        let output = Command::new(self.stack.binary("chat-mq-admin"))
            .args([
                "create-topic",
                "--namesrv",
                &self.stack.rocketmq.namesrv,
                "--cluster",
                &self.name,
            ])
            .output()
            .expect("run chat-mq-admin");
        assert!(
            output.status.success(),
            "create-topic: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Polls the process's gRPC health until SERVING (30 s). Runs on its own thread and runtime,
/// so it can be called from sync and async tests alike.
fn wait_serving(proc: &Proc) {
    let addr = proc.grpc.clone();
    let status = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the health probe");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = runtime.block_on(crate::grpc_health(&addr));
            if status == Ok(ServingStatus::Serving) || Instant::now() >= deadline {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .join()
    .expect("the health probe thread");
    assert_eq!(
        status,
        Ok(ServingStatus::Serving),
        "{} is not SERVING after 30 s",
        proc.name
    );
}

/// A gRPC client of a router.
pub async fn router_client(router: &Proc) -> RouterClient<InternalChannel> {
    RouterClient::new(Stack::load().grpc(&router.grpc))
}

/// The router's current table.
pub async fn table(client: &mut RouterClient<InternalChannel>) -> SlotTable {
    let wire = client
        .get_table(chat_proto::router::GetTableRequest {})
        .await
        .expect("GetTable")
        .into_inner();
    SlotTable::from_proto(&wire).expect("a well-formed table")
}

/// Polls the router's table until `done` holds (or panics after `timeout`); returns it and
/// how long it took.
pub async fn wait_for_table(
    client: &mut RouterClient<InternalChannel>,
    timeout: Duration,
    what: &str,
    mut done: impl FnMut(&SlotTable) -> bool,
) -> (SlotTable, Duration) {
    let started = Instant::now();
    loop {
        let current = table(client).await;
        if done(&current) {
            return (current, started.elapsed());
        }
        assert!(
            started.elapsed() < timeout,
            "{what}: not within {timeout:?}; table: {:?}",
            current.slot_counts()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The tag a gateway says it holds (`/debug/whoami`).
pub fn gateway_tag(gateway: &Proc) -> String {
    let response = http_get(&gateway.http, "/debug/whoami");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).expect("whoami JSON");
    json["tag"].as_str().expect("a tag").to_owned()
}
