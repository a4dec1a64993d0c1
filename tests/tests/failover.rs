//! Kill -9 one of three gateways while 100 users exchange messages through OpenResty: its users
//! reconnect to the new owners of their slots and, after resync, nobody misses or repeats a
//! message. A private cluster (router, message service, three gateways, OpenResty, push topic),
//! so the shared stack is untouched.

use std::time::Duration;

use chat_client::wire::{ChatMessage, ConversationKind};
use chat_client::{Client, Config, Event, Events, Rest};
use chat_e2e::api::unique_name;
use chat_e2e::cluster::{TestCluster, router_client, wait_for_table};
use chat_e2e::openresty::OpenResty;

const PAIRS: usize = 50;
const EACH: usize = 30;

struct Person {
    id: u64,
    rest: Rest,
    token: String,
}

async fn person(public: &str) -> Person {
    let rest = Rest::new(public).expect("the public URL");
    let login = rest
        .sign_up(&unique_name("fov"), "a long enough password")
        .await
        .expect("sign up");
    Person {
        id: login.user.user_id,
        rest: rest.with_token(login.token.clone()),
        token: login.token,
    }
}

/// This user's messages, until `count` arrived or 60 s passed.
async fn collect(events: &mut Events, count: usize) -> Vec<ChatMessage> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while got.len() < count {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(Event::Message(message))) => got.push(message),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_gateways_users_reconnect_and_nobody_loses_or_repeats_a_message() {
    let cluster = TestCluster::new("fail");
    cluster.create_push_topic();
    let router = cluster.start_router("router", &["--lease-ttl", "3s"]);
    let message = cluster.start_message("message", &router);
    let mut gateways = vec![
        cluster.start_gateway_with("g0", &router, &message.grpc),
        cluster.start_gateway_with("g1", &router, &message.grpc),
        cluster.start_gateway_with("g2", &router, &message.grpc),
    ];
    let mut routing = router_client(&router).await;
    let (three, _) = wait_for_table(
        &mut routing,
        Duration::from_secs(10),
        "three gateways",
        |t| t.gateways().len() == 3,
    )
    .await;
    let nginx = OpenResty::start(&cluster.stack.run_dir, &cluster.name, &router.http);
    nginx.wait_for_epoch(three.epoch()).await;
    let public = format!("http://{}", nginx.listen);

    let mut people = Vec::new();
    for _ in 0..PAIRS * 2 {
        people.push(person(&public).await);
    }
    for pair in people.chunks(2) {
        pair[0]
            .rest
            .befriend(&pair[1].rest, pair[1].id)
            .await
            .expect("friends");
    }
    let mut clients: Vec<(Client, Events)> = Vec::new();
    for someone in &people {
        let config = Config::new(public.clone(), someone.token.clone(), someone.id);
        clients.push(Client::connect(config).await.expect("a session"));
    }

    // Everyone sends to their partner, a message every 20 ms; one gateway dies midway.
    let mut senders = Vec::new();
    for (index, (client, _)) in clients.iter().enumerate() {
        let partner = people[index ^ 1].id;
        let client = client.clone();
        senders.push(tokio::spawn(async move {
            for n in 0..EACH {
                client
                    .send_text(ConversationKind::Direct, partner, format!("{index}:{n}"))
                    .await
                    .unwrap_or_else(|error| panic!("user {index} send {n}: {error}"));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    // The victim: the gateway holding the most of them (ids are consecutive, and slots are
    // owned in ranges, so some gateway may hold none).
    let mut held: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for someone in &people {
        *held
            .entry(three.tag_of(someone.id).unwrap_or(""))
            .or_default() += 1;
    }
    let victim_tag = held
        .into_iter()
        .max_by_key(|(_, count)| *count)
        .map(|(tag, _)| tag.to_owned())
        .unwrap_or_default();
    let at = gateways
        .iter()
        .position(|g| chat_e2e::cluster::gateway_tag(g) == victim_tag)
        .expect("the victim is one of the three");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut victim = gateways.remove(at);
    victim.kill();
    for sender in senders {
        sender.await.expect("a sender");
    }

    let on_victim: Vec<usize> = (0..people.len())
        .filter(|index| three.tag_of(people[*index].id) == Some(victim_tag.as_str()))
        .collect();
    assert!(
        !on_victim.is_empty(),
        "the killed gateway held some of the users"
    );
    let expected: Vec<u64> = (1..=(2 * EACH) as u64).collect();
    for (index, (client, events)) in clients.iter_mut().enumerate() {
        let got = collect(events, 2 * EACH).await;
        let seqs: Vec<u64> = got.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, expected, "user {index}: every message once, in order");
        if on_victim.contains(&index) {
            assert!(client.stats().reconnects >= 1, "user {index} reconnected");
        }
    }
}

/// SIGTERM: every session is told `moved` and closed with 4001, the gateway deregisters (its
/// slots move at once, not after the lease expires) and the process exits cleanly within 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_moves_every_session_deregisters_and_exits_within_ten_seconds() {
    let cluster = TestCluster::new("term");
    cluster.create_push_topic();
    let router = cluster.start_router("router", &["--lease-ttl", "30s"]);
    let message = cluster.start_message("message", &router);
    let mut gateway = cluster.start_gateway_with("g0", &router, &message.grpc);
    let mut routing = router_client(&router).await;
    wait_for_table(&mut routing, Duration::from_secs(10), "one gateway", |t| {
        t.gateways().len() == 1
    })
    .await;

    let api = chat_e2e::api::Api::new();
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let (user, token) = tokio::task::block_in_place(|| api.new_user("term"));
        let (reply, stream) = tokio::task::block_in_place(|| {
            chat_e2e::rawws::upgrade(&gateway.http, &format!("/ws/{user}"), Some(&token), &[])
        });
        assert_eq!(reply.status, 101, "{reply:?}");
        sessions.push(chat_e2e::rawws::RawWs { stream });
    }

    let started = std::time::Instant::now();
    let status = tokio::task::block_in_place(|| gateway.terminate());
    let took = started.elapsed();
    assert!(status.success(), "a clean exit: {status:?}");
    assert!(took < Duration::from_secs(10), "exited in {took:?}");
    for (index, ws) in sessions.iter_mut().enumerate() {
        let moved = tokio::task::block_in_place(|| {
            loop {
                let frame = ws.read_json().expect("frames before the close");
                if frame["type"] != "hello" {
                    break frame;
                }
            }
        });
        assert_eq!(moved["type"], "moved", "session {index}: {moved}");
        let code = tokio::task::block_in_place(|| ws.close_code()).expect("a close frame");
        assert_eq!(code, 4001, "session {index}");
    }
    // Deregistered: the table drops it at once, not when its 30 s lease runs out.
    wait_for_table(&mut routing, Duration::from_secs(5), "no gateway", |t| {
        t.gateways().is_empty()
    })
    .await;
}
