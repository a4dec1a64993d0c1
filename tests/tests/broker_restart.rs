//! kill -9 of the RocketMQ broker under load, twice (down 1 s, then 5 s): each time the broker
//! is back (same ports, same store), pushes come back within 10 s, and no committed message is
//! lost.
//!
//! Everything RocketMQ is private to the test (its own name server and broker on free ports,
//! with the stack's config, its own store), and so are the router, the message service and the
//! gateway that use it: the shared broker is never touched. Five senders each send 10 messages a
//! second (50/s in all) to a receiver of their own, whose raw WebSocket records every `message`
//! frame pushed to it (it never pulls: what it gets is what the push path delivered).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_client::wire::ConversationKind;
use chat_client::{Client, Config, Rest};
use chat_e2e::api::Api;
use chat_e2e::cluster::{TestCluster, router_client, wait_for_table};
use chat_e2e::rawws::RawWs;
use chat_e2e::{Stack, free_addrs, grpc_health};
use tonic_health::pb::health_check_response::ServingStatus;

const PAIRS: usize = 5;
/// Each sender's interval between messages: 5 senders at 10/s make 50 messages a second.
const SEND_EVERY: Duration = Duration::from_millis(100);
/// What is asked of the push path once the broker is healthy again.
const PUSHES_BACK_WITHIN: Duration = Duration::from_secs(10);
/// How long the broker stays down, crash after crash.
const OUTAGES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(5)];
/// How long the test waits for pushes to come back at all (to measure it when it is slow).
const MEASURE_UP_TO: Duration = Duration::from_secs(60);

/// A process of this test; killed (SIGKILL) when dropped.
struct Daemon {
    name: String,
    child: Child,
}

impl Daemon {
    fn spawn(name: &str, command: &mut Command, log: &Path) -> Self {
        let log = File::create(log).expect("create a log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("start {name}: {error}"));
        Self {
            name: name.to_owned(),
            child,
        }
    }

    /// SIGKILL and reap.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether something accepts TCP connections at `addr`.
fn accepts(addr: &str) -> bool {
    let addr = addr.parse().expect("a socket address");
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Waits (up to `timeout`) until `addr` accepts connections; panics naming `what` otherwise, or
/// as soon as `daemon` exits.
fn wait_accepting(daemon: &mut Daemon, addr: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !accepts(addr) {
        assert!(!daemon.exited(), "{} exited before listening", daemon.name);
        assert!(
            Instant::now() < deadline,
            "{} does not accept connections at {addr} within {timeout:?}",
            daemon.name
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Where `cargo xtask up` builds the RocketMQ binaries (see xtask/src/rocketmq.rs).
fn rocketmq_bin(name: &str) -> PathBuf {
    let cache = std::env::var_os("CHAT_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into()))
                .join(".cache/chat-cluster")
        });
    cache.join("rocketmq/bin").join(name)
}

/// The stack's RocketMQ config file `file`, with `replacements` made (each must apply).
fn rocketmq_config(file: &str, replacements: &[(&str, String)]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/rocketmq")
        .join(file);
    let mut text = fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    for (from, to) in replacements {
        assert!(
            text.contains(from),
            "{} no longer contains `{from}`",
            path.display()
        );
        text = text.replace(from, to);
    }
    text
}

/// A broker port `p` with `p - 2` free too (the broker's "fast" listener), and an HA port.
fn broker_ports() -> (u16, u16) {
    for _ in 0..100 {
        let main = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let port = main.local_addr().expect("its address").port();
        let Ok(_fast) = TcpListener::bind(("127.0.0.1", port - 2)) else {
            continue;
        };
        let ha = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        return (port, ha.local_addr().expect("its address").port());
    }
    panic!("no free broker port pair in 100 tries");
}

/// A name server and broker of this test alone.
struct PrivateRocketMq {
    home: PathBuf,
    namesrv_addr: String,
    broker_addr: String,
    broker_config: PathBuf,
    broker_starts: u32,
    broker: Option<Daemon>,
    _namesrv: Daemon,
}

/// A command running RocketMQ's `binary` with its home at `home` (as xtask runs the stack's).
fn rocketmq_command(home: &Path, binary: &str) -> Command {
    let mut command = Command::new(rocketmq_bin(binary));
    command
        .env("ROCKETMQ_HOME", home)
        .env("ROCKETMQ_SECURITY_PROFILE", "development-insecure-loopback")
        .env("ROCKETMQ_SHUTDOWN_TIMEOUT_SECONDS", "10")
        .env("RUST_LOG", "info")
        // An empty NAMESRV_ADDR would override the config file's name server address.
        .env_remove("NAMESRV_ADDR");
    command
}

impl PrivateRocketMq {
    fn start(home: PathBuf) -> Self {
        for dir in ["conf", "namesrv", "store", "logs"] {
            fs::create_dir_all(home.join(dir)).expect("create the RocketMQ directories");
        }
        let home_text = home.to_string_lossy().into_owned();
        let [namesrv_addr] = free_addrs();
        let namesrv_port = namesrv_addr.rsplit(':').next().expect("a port").to_owned();
        let namesrv_config = home.join("conf/namesrv.toml");
        fs::write(
            &namesrv_config,
            rocketmq_config(
                "namesrv.toml",
                &[
                    ("/tmp/chat-run/rocketmq", home_text.clone()),
                    ("listenPort = 9876", format!("listenPort = {namesrv_port}")),
                ],
            ),
        )
        .expect("write the name server config");
        let (broker_port, ha_port) = broker_ports();
        let broker_config = home.join("conf/broker.toml");
        fs::write(
            &broker_config,
            rocketmq_config(
                "broker.toml",
                &[
                    ("/tmp/chat-run/rocketmq", home_text),
                    (
                        "namesrvAddr = \"127.0.0.1:9876\"",
                        format!("namesrvAddr = \"{namesrv_addr}\""),
                    ),
                    ("listenPort = 10911", format!("listenPort = {broker_port}")),
                    ("haListenPort = 10912", format!("haListenPort = {ha_port}")),
                ],
            ),
        )
        .expect("write the broker config");

        let mut namesrv = Daemon::spawn(
            "namesrv",
            rocketmq_command(&home, "rocketmq-namesrv-rust")
                .arg("-c")
                .arg(&namesrv_config),
            &home.join("logs/namesrv.out"),
        );
        wait_accepting(&mut namesrv, &namesrv_addr, Duration::from_secs(60));
        let mut rocketmq = Self {
            home,
            namesrv_addr,
            broker_addr: format!("127.0.0.1:{broker_port}"),
            broker_config,
            broker_starts: 0,
            broker: None,
            _namesrv: namesrv,
        };
        rocketmq.start_broker();
        rocketmq
    }

    /// Starts the broker (again: same config, ports and store) and returns once it accepts
    /// connections.
    fn start_broker(&mut self) {
        self.broker_starts += 1;
        let log = self
            .home
            .join(format!("logs/broker-{}.out", self.broker_starts));
        let mut broker = Daemon::spawn(
            "broker",
            rocketmq_command(&self.home, "rocketmq-broker-rust")
                .arg("-c")
                .arg(&self.broker_config),
            &log,
        );
        wait_accepting(&mut broker, &self.broker_addr, Duration::from_secs(60));
        self.broker = Some(broker);
    }

    fn kill_broker(&mut self) {
        if let Some(mut broker) = self.broker.take() {
            broker.kill();
        }
    }

    /// Creates `cluster`'s push topic, retrying while the broker has not registered yet.
    fn create_push_topic(&self, stack: &Stack, cluster: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let output = Command::new(stack.binary("chat-mq-admin"))
                .args([
                    "create-topic",
                    "--namesrv",
                    &self.namesrv_addr,
                    "--cluster",
                    cluster,
                ])
                .output()
                .expect("run chat-mq-admin");
            if output.status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "create-topic on the private broker: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// Starts one of the workspace's services in `cluster` and waits until its gRPC health at
/// `grpc` is SERVING.
async fn service(
    cluster: &TestCluster,
    name: &str,
    binary: &str,
    args: &[&str],
    grpc: &str,
) -> Daemon {
    let log_dir = cluster.stack.run_dir.join("test-logs").join(&cluster.name);
    let mut command = Command::new(cluster.stack.binary(binary));
    // The stack's internal secret when it has one (its account service is called, and the
    // router of the cluster checks it): what TestCluster gives the processes it starts.
    let described: serde_json::Value = fs::read_to_string(cluster.stack.run_dir.join("stack.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    if let Some(secret) = described["internal_secret_file"].as_str() {
        command.env("CHAT_INTERNAL_SECRET_FILE", secret);
    }
    let mut daemon = Daemon::spawn(
        name,
        command
            .args(args)
            .args([
                "--cluster",
                &cluster.name,
                "--log-format",
                "text",
                "--health-interval",
                "250ms",
            ])
            .env("CHAT_REDIS_URL", &cluster.stack.redis_url),
        &log_dir.join(format!("{name}.log")),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while grpc_health(grpc).await != Ok(ServingStatus::Serving) {
        assert!(
            !daemon.exited(),
            "{name} exited; see its log in {log_dir:?}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} is not SERVING after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    daemon
}

/// A message acknowledged to its sender.
struct Sent {
    pair: usize,
    conversation: String,
    seq: u64,
    at: Instant,
}

/// One crash of the broker and what followed.
struct Round {
    down_for: Duration,
    killed: Instant,
    /// When the restarted broker accepted connections again.
    healthy: Instant,
    /// From `healthy` to the first push of a message sent after it.
    resumed: Option<Duration>,
    /// When every message sent must have been pushed.
    steady: std::ops::Range<Instant>,
}

/// A `message` frame received by the receiver's WebSocket.
struct Pushed {
    conversation: String,
    seq: u64,
    at: Instant,
}

/// Reads a receiver's WebSocket on a thread of its own until the socket ends; returns why it
/// ended and when.
fn receive(
    mut ws: RawWs,
    into: Arc<Mutex<Vec<Pushed>>>,
) -> std::thread::JoinHandle<(Instant, String)> {
    // Blocking reads without a timeout (the session's default one would end it while the
    // broker is down and nothing is pushed); shutting the socket down ends it.
    ws.stream
        .set_read_timeout(None)
        .expect("clear the read timeout");
    std::thread::spawn(move || {
        loop {
            let frame = match ws.read_json() {
                Ok(frame) => frame,
                Err(error) => return (Instant::now(), error.to_string()),
            };
            if frame["type"] != "message" {
                continue;
            }
            let message = &frame["message"];
            let pushed = Pushed {
                conversation: message["conversation_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                seq: message["seq"].as_u64().unwrap_or_default(),
                at: Instant::now(),
            };
            into.lock().expect("the pushes").push(pushed);
        }
    })
}

/// Seconds, for the report.
fn secs(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_come_back_within_ten_seconds_of_a_restarted_broker_and_nothing_is_lost() {
    let cluster = TestCluster::new("bkr");
    let stack = cluster.stack.clone();
    let mut rocketmq = tokio::task::block_in_place(|| {
        let home = stack
            .run_dir
            .join("test-logs")
            .join(&cluster.name)
            .join("rocketmq");
        let rocketmq = PrivateRocketMq::start(home);
        rocketmq.create_push_topic(&stack, &cluster.name);
        rocketmq
    });
    let namesrv = rocketmq.namesrv_addr.clone();

    let router = cluster.start_router("router", &["--lease-ttl", "5s"]);
    let [message_grpc, message_metrics] = free_addrs();
    let router_url = format!("http://{}", router.grpc);
    let account_url = format!("http://{}", stack.account.grpc);
    let _message = service(
        &cluster,
        "message",
        "chat-message",
        &[
            "--grpc-addr",
            &message_grpc,
            "--metrics-addr",
            &message_metrics,
            "--router-url",
            &router_url,
            "--account-url",
            &account_url,
            "--account-cluster",
            &stack.cluster,
            "--rocketmq-namesrv",
            &namesrv,
        ],
        &message_grpc,
    )
    .await;
    let [gateway_http, gateway_grpc, gateway_metrics] = free_addrs();
    let message_url = format!("http://{message_grpc}");
    let gateway = service(
        &cluster,
        "gateway",
        "chat-gateway",
        &[
            "--http-addr",
            &gateway_http,
            "--grpc-addr",
            &gateway_grpc,
            "--metrics-addr",
            &gateway_metrics,
            "--router-url",
            &router_url,
            "--account-url",
            &account_url,
            "--message-url",
            &message_url,
            "--rocketmq-namesrv",
            &namesrv,
        ],
        &gateway_grpc,
    )
    .await;
    let mut routing = router_client(&router).await;
    wait_for_table(&mut routing, Duration::from_secs(10), "the gateway", |t| {
        t.gateways().len() == 1
    })
    .await;

    // Users of the shared account service (signed up through the stack's gateways); their
    // sessions are on the private gateway, which owns every slot of this cluster.
    let api = Api::new();
    let pairs: Vec<((u64, String), (u64, String))> = tokio::task::block_in_place(|| {
        (0..PAIRS)
            .map(|_| {
                let (sender, sender_token) = api.new_user("bkr");
                let (receiver, receiver_token) = api.new_user("bkr");
                api.befriend((sender, &sender_token), (receiver, &receiver_token));
                ((sender, sender_token), (receiver, receiver_token))
            })
            .collect()
    });
    let pushed: Arc<Mutex<Vec<Pushed>>> = Arc::default();
    let mut pingers = Vec::new();
    let mut readers = Vec::new();
    for (_, (receiver, token)) in &pairs {
        let ws = tokio::task::block_in_place(|| {
            chat_e2e::rawws::session(&gateway_http, *receiver, token)
        });
        pingers.push(RawWs {
            stream: ws.stream.try_clone().expect("clone the socket"),
        });
        readers.push(receive(ws, pushed.clone()));
    }

    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut sending = Vec::new();
    for (index, ((sender, token), (receiver, _))) in pairs.iter().cloned().enumerate() {
        let config = Config::new(format!("http://{gateway_http}"), token, sender);
        let (client, events) = Client::connect(config).await.expect("a sender's session");
        let (sent, stop) = (sent.clone(), stop.clone());
        sending.push(tokio::spawn(async move {
            let _events = events;
            let mut tick = tokio::time::interval(SEND_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let send =
                    client.send_text(ConversationKind::Direct, receiver, format!("{index}:{n}"));
                let ack = tokio::time::timeout(Duration::from_secs(10), send)
                    .await
                    .unwrap_or_else(|_| panic!("sender {index}: send {n} unanswered in 10 s"))
                    .unwrap_or_else(|error| panic!("sender {index}: send {n}: {error}"));
                sent.lock().expect("the sends").push(Sent {
                    pair: index,
                    conversation: ack.conversation_id,
                    seq: ack.seq,
                    at: Instant::now(),
                });
                n += 1;
            }
        }));
    }
    let mut last_ping = Instant::now();
    let mut ping = |force: bool| {
        if force || last_ping.elapsed() > Duration::from_secs(10) {
            for pinger in &mut pingers {
                let _ = pinger.send_text(r#"{"type":"ping"}"#);
            }
            last_ping = Instant::now();
        }
    };

    // Pushes flow (the gateway's consumer has its queues), then a few seconds of steady load.
    let started = Instant::now();
    while pushed.lock().expect("the pushes").is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no push reached a receiver within 60 s of the load starting"
        );
        ping(false);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The crashes, each followed by a restart in place once the broker has been down for a
    // while: a short outage (requests in flight on the dead connections) and a longer one (the
    // clients' connection attempts fail meanwhile, enough to open their circuit breakers).
    let mut rounds = Vec::new();
    for down_for in OUTAGES {
        let killed = Instant::now();
        tokio::task::block_in_place(|| rocketmq.kill_broker());
        while killed.elapsed() < down_for {
            ping(false);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::task::block_in_place(|| rocketmq.start_broker());
        let healthy = Instant::now();
        ping(true);

        // The first push of a message sent once the broker was healthy again.
        let resumed = loop {
            let first = {
                let sent = sent.lock().expect("the sends");
                let fresh: BTreeSet<(&str, u64)> = sent
                    .iter()
                    .filter(|s| s.at >= healthy)
                    .map(|s| (s.conversation.as_str(), s.seq))
                    .collect();
                pushed
                    .lock()
                    .expect("the pushes")
                    .iter()
                    .find(|p| fresh.contains(&(p.conversation.as_str(), p.seq)))
                    .map(|p| p.at)
            };
            if let Some(at) = first {
                break Some(at.duration_since(healthy));
            }
            if healthy.elapsed() > MEASURE_UP_TO {
                break None;
            }
            ping(false);
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // Then steady again: every message sent from 10 s after the broker was healthy until
        // the next crash (5 s of load at least) must be pushed.
        let steady_from = healthy + PUSHES_BACK_WITHIN;
        let steady_until = steady_from.max(Instant::now()) + Duration::from_secs(5);
        while Instant::now() < steady_until {
            ping(false);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        rounds.push(Round {
            down_for,
            killed,
            healthy,
            resumed,
            steady: steady_from..steady_until,
        });
    }
    stop.store(true, Ordering::Relaxed);
    let load_ended = Instant::now();
    for sender in sending {
        tokio::time::timeout(Duration::from_secs(15), sender)
            .await
            .expect("a sender stops")
            .expect("a sender");
    }
    // The last sends' pushes, and whatever the fan-out still retries.
    let everything_sent: BTreeSet<(String, u64)> = sent
        .lock()
        .expect("the sends")
        .iter()
        .map(|s| (s.conversation.clone(), s.seq))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let got: BTreeSet<(String, u64)> = pushed
            .lock()
            .expect("the pushes")
            .iter()
            .map(|p| (p.conversation.clone(), p.seq))
            .collect();
        if everything_sent.is_subset(&got) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = format!(
        "message service: {} envelopes sent, {} send failures, {} producer replacements; \
         gateway: {} envelopes received, {} pushes received, {} consumer replacements",
        chat_e2e::metric(&message_metrics, "chat_push_envelopes_sent_total"),
        chat_e2e::metric(&message_metrics, "chat_push_send_failures_total"),
        chat_e2e::metric(&message_metrics, "chat_mq_producer_replacements_total"),
        chat_e2e::metric(&gateway_metrics, "chat_mq_envelopes_received_total"),
        chat_e2e::metric(&gateway_metrics, "chat_gateway_pushes_received_total"),
        chat_e2e::metric(&gateway_metrics, "chat_mq_consumer_replacements_total"),
    );
    // Every receiver's session lasted the whole run (a session the gateway closed, say as a
    // slow consumer, would stop counting pushes).
    let closing = Instant::now();
    for pinger in &pingers {
        let _ = pinger.stream.shutdown(std::net::Shutdown::Both);
    }
    // The gateway kept its lease throughout: the cluster's keys live in the stack's Redis,
    // and a test run beside this one that flushes it moves every session away (and restarts
    // the gateway's consumer), which would fail this test for reasons of its own.
    let gateway_log = fs::read_to_string(
        stack
            .run_dir
            .join("test-logs")
            .join(&cluster.name)
            .join("gateway.log"),
    )
    .unwrap_or_default();
    assert!(
        !gateway_log.contains("lease lost"),
        "the gateway lost its lease during the run (was the stack's Redis flushed meanwhile?)"
    );
    for (index, reader) in readers.into_iter().enumerate() {
        let (ended, why) = tokio::task::block_in_place(|| reader.join()).expect("a reader");
        assert!(
            ended >= closing,
            "receiver {index}'s session ended {} before the end of the run: {why}",
            secs(closing.duration_since(ended))
        );
    }

    // What was committed: each receiver's history of its conversation (a client would pull
    // the gaps the pushes left).
    // Every sender and reader has stopped: the records are final.
    let sent = std::mem::take(&mut *sent.lock().expect("the sends"));
    let pushed = std::mem::take(&mut *pushed.lock().expect("the pushes"));
    let conversations: BTreeMap<&str, usize> = sent
        .iter()
        .map(|s| (s.conversation.as_str(), s.pair))
        .collect();
    let mut stored: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (conversation, pair) in &conversations {
        let rest = Rest::new(&stack.public_url)
            .expect("the public URL")
            .with_token(pairs[*pair].1.1.clone());
        let history =
            tokio::time::timeout(Duration::from_secs(30), rest.pull_after(conversation, 0))
                .await
                .expect("the history within 30 s")
                .expect("the history");
        stored.insert(conversation, history.iter().map(|m| m.seq).collect());
    }
    let pushed_set: BTreeSet<(&str, u64)> = pushed
        .iter()
        .map(|p| (p.conversation.as_str(), p.seq))
        .collect();
    let not_pushed = sent
        .iter()
        .filter(|s| !pushed_set.contains(&(s.conversation.as_str(), s.seq)))
        .count();
    let late_unpushed: Vec<(&str, u64)> = sent
        .iter()
        .filter(|s| rounds.iter().any(|round| round.steady.contains(&s.at)))
        .map(|s| (s.conversation.as_str(), s.seq))
        .filter(|key| !pushed_set.contains(key))
        .collect();
    let last_unpushed_at = sent
        .iter()
        .filter(|s| !pushed_set.contains(&(s.conversation.as_str(), s.seq)))
        .map(|s| s.at)
        .max()
        .unwrap_or(load_ended);
    let consumer_task_failures = gateway_log.matches("consume_message task panicked").count();
    eprintln!(
        "broker restart: {} messages sent, {} pushed, {} not pushed (left to pulls); {} \
         consumer task failures",
        sent.len(),
        pushed_set.len(),
        not_pushed,
        consumer_task_failures,
    );
    eprintln!("  {metrics}");
    for round in &rounds {
        let first_push = pushed
            .iter()
            .find(|p| p.at > round.healthy)
            .map(|p| p.at.duration_since(round.healthy));
        eprintln!(
            "  broker down {} (kill to healthy {}): first push after healthy {}, first push of \
             a message sent after healthy {}",
            secs(round.down_for),
            secs(round.healthy.duration_since(round.killed)),
            first_push.map_or("never".to_owned(), secs),
            round.resumed.map_or("never".to_owned(), secs),
        );
    }

    // Nothing committed is lost: every acknowledged message is in the history, each
    // conversation's seqs are 1..=n without a gap, and pushes plus history cover them all.
    for conversation in conversations.keys() {
        let acked: BTreeSet<u64> = sent
            .iter()
            .filter(|s| s.conversation == *conversation)
            .map(|s| s.seq)
            .collect();
        let history = &stored[conversation];
        let expected: Vec<u64> = (1..=history.len() as u64).collect();
        assert_eq!(history, &expected, "{conversation}: seqs without a gap");
        assert!(
            acked.iter().all(|seq| history.contains(seq)),
            "{conversation}: every acknowledged message is stored"
        );
    }
    for round in &rounds {
        let resumed = round.resumed.unwrap_or_else(|| {
            panic!(
                "after {} down: no push of a message sent after the restart within {MEASURE_UP_TO:?}",
                secs(round.down_for)
            )
        });
        assert!(
            resumed <= PUSHES_BACK_WITHIN,
            "after {} down: pushes came back {} after the broker was healthy (at most {})",
            secs(round.down_for),
            secs(resumed),
            secs(PUSHES_BACK_WITHIN)
        );
    }
    assert!(
        late_unpushed.is_empty(),
        "{} messages sent 10 s or more after a restart were never pushed (the last sent {} \
         before the end of the load): {:?}",
        late_unpushed.len(),
        secs(load_ended.duration_since(last_unpushed_at)),
        &late_unpushed[..late_unpushed.len().min(10)]
    );
    assert_eq!(
        consumer_task_failures, 0,
        "the gateway's consumer failed a consume task"
    );
    drop(gateway);
}
