//! Sequence numbers against the failures the seed was exposed to: a Redis FLUSHALL between
//! sends, two message service instances writing one conversation at once, and one of them
//! killed (SIGKILL) mid-write. Seqs of committed messages must stay 1..N: no reuse, no gap,
//! and a retry of an unanswered send stores nothing new, also when it is sent together with
//! new sends.
//!
//! Its own test binary: the flush wipes every Redis key of the stack (tokens, leases; the
//! stack's own database, not the server's others), which must not race with other tests.

use std::collections::BTreeSet;
use std::time::Duration;

use chat_common::internal::InternalChannel;
use chat_e2e::api::Api;
use chat_e2e::cluster::TestCluster;
use chat_e2e::{Stack, eventually, grpc_health};
use chat_proto::common::{ConversationKind, MessageContent, TextContent, message_content::Body};
use chat_proto::message::message_client::MessageClient;
use chat_proto::message::{PullDirection, PullMessagesRequest, SendRequest};
use tonic_health::pb::health_check_response::ServingStatus;

/// The two tests run one at a time: the flush would wipe the other's fresh login tokens.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn client(addr: &str) -> MessageClient<InternalChannel> {
    MessageClient::new(Stack::load().grpc(addr))
}

fn request(from: u64, to: u64, client_id: &str) -> SendRequest {
    SendRequest {
        actor_id: from,
        kind: ConversationKind::Direct as i32,
        target_id: to,
        client_msg_id: client_id.to_owned(),
        content: Some(MessageContent {
            body: Some(Body::Text(TextContent {
                text: format!("text of {client_id}"),
            })),
        }),
        origin_session_id: String::new(),
    }
}

/// Every (seq, client id) stored in the conversation, in seq order.
async fn stored(
    client: &mut MessageClient<InternalChannel>,
    user: u64,
    conversation: &str,
) -> Vec<(u64, String)> {
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = client
            .pull_messages(PullMessagesRequest {
                actor_id: user,
                conversation_id: conversation.to_owned(),
                seq: after,
                direction: PullDirection::After as i32,
                limit: 200,
            })
            .await
            .expect("pull")
            .into_inner();
        for message in &page.messages {
            rows.push((message.seq, message.client_msg_id.clone()));
            after = message.seq;
        }
        if !page.has_more {
            return rows;
        }
    }
}

/// Empties the stack's own Redis database (`redis://host:port/db`), as a FLUSHALL would for
/// the stack, without touching the server's other databases.
fn flush_redis(stack: &Stack) {
    assert_eq!(chat_e2e::redis::command(stack, &["FLUSHDB"]), "+OK");
}

/// Friends `a` and `b` (made through REST while tokens exist).
fn friends(api: &Api) -> (u64, u64, String) {
    let (a, b, conversation, _) = friends_with_token(api);
    (a, b, conversation)
}

/// As [`friends`], with `b`'s token.
fn friends_with_token(api: &Api) -> (u64, u64, String, String) {
    let (a, a_token) = api.new_user("dua");
    let (b, b_token) = api.new_user("dub");
    api.befriend((a, &a_token), (b, &b_token));
    (a, b, format!("d:{}:{}", a.min(b), a.max(b)), b_token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seqs_continue_after_redis_is_flushed() {
    let _serial = SERIAL.lock().await;
    let stack = Stack::load();
    let api = Api::new();
    let (a, b, conversation) = tokio::task::block_in_place(|| friends(&api));
    let mut messages = client(&stack.message.grpc).await;
    for n in 1..=3 {
        let reply = messages
            .send(request(a, b, &format!("f-{n}")))
            .await
            .expect("send before the flush")
            .into_inner();
        assert_eq!(reply.seq, n);
    }
    flush_redis(&stack);
    for n in 4..=6 {
        let reply = messages
            .send(request(b, a, &format!("f-{n}")))
            .await
            .expect("send after the flush (friendship is asked again, seqs come from MySQL)")
            .into_inner();
        assert_eq!(reply.seq, n, "seqs continue after FLUSHALL");
    }
    let retry = messages
        .send(request(a, b, "f-2"))
        .await
        .expect("a retry after the flush")
        .into_inner();
    assert!(
        retry.duplicate && retry.seq == 2,
        "idempotency does not live in Redis: {retry:?}"
    );
    let rows = stored(&mut messages, a, &conversation).await;
    let seqs: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);

    // The stack recovers by itself (leases and tables are re-published) for the next tests:
    // every gateway serves and owns slots again.
    let gateways = stack.gateways.clone();
    let recovered = eventually(Duration::from_secs(30), || {
        let gateways = gateways.clone();
        let router = stack.router.http.clone().unwrap_or_default();
        async move {
            for gateway in &gateways {
                if grpc_health(&gateway.grpc).await != Ok(ServingStatus::Serving) {
                    return false;
                }
            }
            let table = tokio::task::block_in_place(|| chat_e2e::http_get(&router, "/v1/table"));
            gateways.iter().all(|g| table.contains(&g.http))
        }
    })
    .await;
    assert!(
        recovered,
        "the gateways serve and own slots again after the flush"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_and_a_kill_mid_write_neither_reuse_nor_skip_seqs() {
    const SENDERS: usize = 8;
    const EACH: usize = 100;
    let _serial = SERIAL.lock().await;
    let stack = Stack::load();
    let api = Api::new();
    let (a, b, conversation) = tokio::task::block_in_place(|| friends(&api));
    let cluster = TestCluster::new("msg");
    let mut second = tokio::task::block_in_place(|| cluster.start_stack_message("message-2", None));
    let first_addr = stack.message.grpc.clone();
    let second_addr = second.grpc.clone();

    // Senders alternate between the instances; a send the second instance does not answer
    // (it is killed meanwhile) is retried on the first with the same client id.
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let (first_addr, second_addr) = (first_addr.clone(), second_addr.clone());
        tasks.push(tokio::spawn(async move {
            let mut first = client(&first_addr).await;
            let mut second = client(&second_addr).await;
            let mut acked = Vec::new();
            for n in 0..EACH {
                let id = format!("k{sender}-{n}");
                let (from, to) = if n % 2 == 0 { (a, b) } else { (b, a) };
                let on_second = (sender + n) % 2 == 0;
                let answer = if on_second {
                    match second.send(request(from, to, &id)).await {
                        Ok(reply) => Ok(reply),
                        Err(_) => first.send(request(from, to, &id)).await,
                    }
                } else {
                    first.send(request(from, to, &id)).await
                };
                let reply = answer.expect("the surviving instance answers").into_inner();
                acked.push((reply.seq, id));
            }
            acked
        }));
    }
    // Kill it mid-stream: once it has stored some, while senders still use it.
    let started = eventually(Duration::from_secs(30), || {
        let stored = tokio::task::block_in_place(|| second.metric("chat_messages_stored_total"));
        async move { stored >= 100.0 }
    })
    .await;
    assert!(started, "the second instance stores messages");
    second.kill();
    let mut acked: Vec<(u64, String)> = Vec::new();
    for task in tasks {
        acked.extend(task.await.expect("a sender task"));
    }
    acked.sort();

    let mut reader = client(&first_addr).await;
    let rows = stored(&mut reader, a, &conversation).await;
    let total = (SENDERS * EACH) as u64;
    let seqs: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<u64>>(),
        "committed seqs are 1..N"
    );
    let ids: BTreeSet<&String> = rows.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len() as u64, total, "each client id stored once");
    assert_eq!(acked, rows, "every ack names its stored row");
}

/// Retries of committed messages sent at once with new ones, so that they usually share
/// group-commit batches (such a batch hits the unique key, is rolled back and written again
/// without them): each retry gets its first answer, each new message a fresh seq, and nothing
/// is stored twice, however the sends were batched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_mixed_with_new_sends_are_answered_and_store_nothing_twice() {
    const FIRST: u64 = 10;
    const FRESH: u64 = 30;
    let _serial = SERIAL.lock().await;
    let stack = Stack::load();
    let api = Api::new();
    let (a, b, conversation) = tokio::task::block_in_place(|| friends(&api));
    let mut messages = client(&stack.message.grpc).await;
    let mut first = Vec::new();
    for n in 1..=FIRST {
        let reply = messages
            .send(request(a, b, &format!("r-{n}")))
            .await
            .expect("a first send")
            .into_inner();
        first.push((reply.seq, reply.message_id));
    }

    // Everything at once: each retry twice, interleaved with the new sends.
    let mut tasks = Vec::new();
    for n in 1..=FRESH {
        let mut ids = vec![format!("new-{n}")];
        if n <= FIRST {
            ids.extend([format!("r-{n}"), format!("r-{n}")]);
        }
        for id in ids {
            let mut sender = messages.clone();
            tasks.push(tokio::spawn(async move {
                let reply = sender.send(request(a, b, &id)).await;
                (id, reply.map(tonic::Response::into_inner))
            }));
        }
    }
    let mut fresh_seqs = BTreeSet::new();
    for task in tasks {
        let (id, reply) = task.await.expect("a send task");
        let reply = reply.unwrap_or_else(|status| panic!("{id} failed: {status}"));
        if let Some(n) = id.strip_prefix("r-") {
            let n: usize = n.parse().expect("a retry's number");
            assert!(reply.duplicate, "{id} is answered as a retry: {reply:?}");
            assert_eq!(
                (reply.seq, reply.message_id),
                first[n - 1],
                "{id} gets its first answer"
            );
        } else {
            assert!(!reply.duplicate, "{id} is new: {reply:?}");
            fresh_seqs.insert(reply.seq);
        }
    }
    assert_eq!(
        fresh_seqs,
        (FIRST + 1..=FIRST + FRESH).collect::<BTreeSet<u64>>(),
        "the new sends take the next seqs, without gaps"
    );
    let rows = stored(&mut messages, a, &conversation).await;
    let seqs: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, (1..=FIRST + FRESH).collect::<Vec<u64>>());
    let ids: BTreeSet<&String> = rows.iter().map(|(_, id)| id).collect();
    assert_eq!(
        ids.len() as u64,
        FIRST + FRESH,
        "each client id stored once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_delays_pushes_but_never_fails_a_send() {
    let _serial = SERIAL.lock().await;
    let api = Api::new();
    let (a, b, conversation, b_token) = tokio::task::block_in_place(|| friends_with_token(&api));
    // Online (through the stack's gateway), so that the message service has pushes to send.
    let _b_online =
        tokio::task::block_in_place(|| chat_e2e::rawws::session(&api.public, b, &b_token));
    // A "name server" that accepts connections and never answers: a hung RocketMQ.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hung_addr = hung.local_addr().expect("address").to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in hung.incoming().flatten() {
            held.push(stream);
        }
    });
    let cluster = TestCluster::new("mqd");
    let outage = tokio::task::block_in_place(|| {
        cluster.start_stack_message("message-no-broker", Some(&hung_addr))
    });
    let mut messages = client(&outage.grpc).await;
    for n in 1..=20u64 {
        let reply = tokio::time::timeout(
            Duration::from_secs(20),
            messages.send(request(a, b, &format!("o-{n}"))),
        )
        .await
        .expect("a send does not wait for the broker")
        .expect("a send succeeds without the broker")
        .into_inner();
        assert_eq!(reply.seq, n);
    }
    let rows = stored(&mut messages, b, &conversation).await;
    assert_eq!(rows.len(), 20, "sync delivers what the pushes could not");
    let tried = eventually(Duration::from_secs(60), || {
        let failures =
            tokio::task::block_in_place(|| outage.metric("chat_push_send_failures_total"));
        async move { failures >= 1.0 }
    })
    .await;
    assert!(tried, "pushes were attempted, failed and are being retried");
}

/// A Redis loss under load (issue 19): after the stack's database is flushed (leases, the slot
/// table, every cache, every login's cache entry), clients keep their logins (no new sign-in:
/// logins are in MySQL), their messages keep flowing, and every message a peer sent after the
/// flush reaches the other side, once and in order, within 10 s of the flush.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_keep_their_logins_and_messages_flow_within_ten_seconds_of_a_flush() {
    use chat_client::wire::ConversationKind;
    use chat_client::{Client, Config, Event};
    const EACH: usize = 40;

    let _serial = SERIAL.lock().await;
    let stack = Stack::load();
    let api = Api::new();
    let ((a, a_token), (b, b_token)) = tokio::task::block_in_place(|| {
        let a = api.new_user("rla");
        let b = api.new_user("rlb");
        api.befriend((a.0, &a.1), (b.0, &b.1));
        (a, b)
    });
    let (sender, _) = Client::connect(Config::new(stack.public_url.clone(), a_token.clone(), a))
        .await
        .expect("a's session");
    let (_receiver, mut events) =
        Client::connect(Config::new(stack.public_url.clone(), b_token.clone(), b))
            .await
            .expect("b's session");

    flush_redis(&stack);
    let flushed = std::time::Instant::now();
    // a sends every 100 ms through the disturbance; each send is retried by the client until
    // acknowledged (same client_msg_id), so none is given up.
    let sending = tokio::spawn(async move {
        for n in 0..EACH {
            sender
                .send_text(ConversationKind::Direct, b, format!("after the flush {n}"))
                .await
                .unwrap_or_else(|error| panic!("send {n}: {error}"));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut seqs = Vec::new();
    let mut first_after = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seqs.len() < EACH {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(Event::Message(message))) => {
                first_after.get_or_insert_with(|| flushed.elapsed());
                seqs.push(message.seq);
            }
            Ok(Some(Event::Kicked { reason })) => panic!("b was signed out: {reason}"),
            Ok(Some(Event::Unauthorized { code, message })) => {
                panic!("b's login was refused after the flush: {code} {message}")
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    sending.await.expect("a's sends");
    let expected: Vec<u64> = (1..=EACH as u64).collect();
    assert_eq!(seqs, expected, "every message once, in order");
    let first_after = first_after.expect("a message arrived");
    eprintln!(
        "first message {first_after:?} after the flush, all {EACH} within {:?}",
        flushed.elapsed()
    );
    assert!(
        first_after < Duration::from_secs(10),
        "the first message after the flush arrived after {first_after:?}"
    );
    // Both logins still work over REST: nobody had to sign in again.
    let me = tokio::task::block_in_place(|| api.call("GET", "/me", Some(&a_token), None));
    assert_eq!(me.status, 200, "{me:?}");
}
