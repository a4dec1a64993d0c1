//! Rate limits (issue 19), on gateways of this test's own started with low `--rate-limit`s (the
//! stack's gateways have them raised: all of its clients are 127.0.0.1). The tests talk to the
//! gateways directly, as OpenResty would, naming client addresses in `X-Real-IP` (127.0.0.1 is
//! a trusted proxy), so per-address limits can be told from per-user ones. Limits live in
//! Redis: two gateways of one cluster share them.

use std::time::Duration;

use chat_e2e::api::{Api, Reply, call, unique_name};
use chat_e2e::cluster::{Proc, TestCluster, router_client, wait_for_table};
use chat_e2e::rawws::{RawWs, session};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

/// A private router and `count` gateways with the stack's raised limits and then `limits`.
async fn gateways(label: &str, count: usize, limits: &str) -> (TestCluster, Proc, Vec<Proc>) {
    let cluster = TestCluster::new(label);
    let router = cluster.start_router("router", &[]);
    // The stack's file store, for the upload limit.
    let files = cluster.stack.run_dir.join("files").display().to_string();
    let gateways: Vec<Proc> = (0..count)
        .map(|i| {
            let message = cluster.stack.message.grpc.clone();
            cluster.start_gateway_flags(
                &format!("g{i}"),
                &router,
                &message,
                &["--rate-limit", limits, "--files-dir", &files],
            )
        })
        .collect();
    let mut routing = router_client(&router).await;
    wait_for_table(
        &mut routing,
        Duration::from_secs(15),
        "every gateway",
        |t| t.gateways().len() == count,
    )
    .await;
    (cluster, router, gateways)
}

/// One REST call to `gateway` from the client address `ip`.
fn call_as(
    gateway: &Proc,
    ip: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let header = format!("X-Real-IP: {ip}");
    call(
        &gateway.http,
        method,
        &format!("/api/v1{path}"),
        token,
        body.as_ref(),
        &[&header],
    )
}

/// A 429 with the JSON error body and a `Retry-After` of at least `at_least` seconds.
fn assert_limited(reply: &Reply, at_least: u64) {
    assert_eq!(reply.status, 429, "{reply:?}");
    assert_eq!(reply.code(), "rate_limited", "{reply:?}");
    let wait: u64 = reply
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("a Retry-After in {reply:?}"));
    assert!(wait >= at_least, "waits {wait} s: {reply:?}");
}

fn register(gateway: &Proc, ip: &str) -> Reply {
    let body = json!({"username": unique_name("rl"), "password": PASSWORD});
    call_as(gateway, ip, "POST", "/auth/register", None, Some(body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_and_logins_are_limited_per_address() {
    let (_cluster, _router, gateways) =
        gateways("rlreg", 1, "register.addr=3/h,login.addr=2/m").await;
    let gateway = &gateways[0];
    tokio::task::block_in_place(|| {
        let [a, b] = ["198.51.100.1", "198.51.100.2"];
        let mut names = Vec::new();
        for _ in 0..3 {
            let reply = register(gateway, a);
            assert_eq!(reply.status, 201, "{reply:?}");
            names.push(reply.body["user"]["username"].as_str().unwrap().to_owned());
        }
        // The fourth from the same address waits a third of an hour; another address does not.
        assert_limited(&register(gateway, a), 1100);
        assert_eq!(register(gateway, b).status, 201);

        // Logins count every attempt of an address, right or wrong: the third is refused even
        // with the right password, before the account service is asked.
        let login = |ip: &str, password: &str| {
            let body = json!({"username": names[0], "password": password});
            call_as(gateway, ip, "POST", "/auth/login", None, Some(body))
        };
        assert_eq!(login(a, "wrong password, twice over").status, 401);
        assert_eq!(login(a, PASSWORD).status, 200);
        assert_limited(&login(a, PASSWORD), 20);
        assert_eq!(login(b, PASSWORD).status, 200, "another address logs in");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_limit_holds_across_gateways() {
    let (_cluster, _router, gateways) = gateways("rlsrch", 2, "search.user=3/m").await;
    tokio::task::block_in_place(|| {
        let api = Api::new();
        let (_me, token) = api.new_user("rls");
        let search = |gateway: &Proc, ip: &str| {
            call_as(gateway, ip, "GET", "/users/search?q=rl", Some(&token), None)
        };
        // Three searches spread over both gateways and two addresses spend the user's limit ...
        assert_eq!(search(&gateways[0], "198.51.100.3").status, 200);
        assert_eq!(search(&gateways[1], "198.51.100.4").status, 200);
        assert_eq!(search(&gateways[0], "198.51.100.4").status, 200);
        // ... on every gateway, from any address: one interval of 3/m is 20 s.
        assert_limited(&search(&gateways[1], "198.51.100.5"), 15);
        assert_limited(&search(&gateways[0], "198.51.100.3"), 15);
        // Another user is not limited by it.
        let (_other, other_token) = api.new_user("rls");
        let reply = call_as(
            &gateways[1],
            "198.51.100.3",
            "GET",
            "/users/search?q=rl",
            Some(&other_token),
            None,
        );
        assert_eq!(reply.status, 200, "{reply:?}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_sends_group_joins_and_uploads_are_limited() {
    let (_cluster, _router, gateways) = gateways(
        "rlrest",
        1,
        "send.user=2/m,join.user=1/m,upload.user=1/m,send.addr=3/m",
    )
    .await;
    let gateway = &gateways[0];
    tokio::task::block_in_place(|| {
        let api = Api::new();
        let (a, a_token) = api.new_user("rla");
        let (b, b_token) = api.new_user("rlb");
        let (c, c_token) = api.new_user("rlc");
        api.befriend((a, &a_token), (b, &b_token));
        api.befriend((c, &c_token), (b, &b_token));
        let send = |token: &str, id: &str, ip: &str| {
            let body = json!({"kind": "direct", "target_id": b, "client_msg_id": id,
                              "content": {"type": "text", "text": "hi"}});
            call_as(gateway, ip, "POST", "/messages", Some(token), Some(body))
        };
        let ip = "198.51.100.6";
        assert_eq!(send(&a_token, "m1", ip).status, 200);
        assert_eq!(send(&a_token, "m2", ip).status, 200);
        assert_limited(&send(&a_token, "m3", ip), 20);
        // The refused send was not stored: b has exactly two messages from a.
        let pulled = api.call(
            "GET",
            &format!("/conversations/d:{}:{}/messages", a.min(b), a.max(b)),
            Some(&b_token),
            None,
        );
        assert_eq!(pulled.status, 200, "{pulled:?}");
        assert_eq!(pulled.body["messages"].as_array().map(Vec::len), Some(2));
        // c shares the address: one more send spends the address's 3/m, then c waits too.
        assert_eq!(send(&c_token, "m1", ip).status, 200);
        assert_limited(&send(&c_token, "m2", ip), 15);
        assert_eq!(send(&c_token, "m2", "198.51.100.7").status, 200);

        let group = api.create_group(&b_token, json!({"name": "open", "join_mode": "open"}));
        let join = |group: u64| {
            call_as(
                gateway,
                ip,
                "POST",
                &format!("/groups/{group}/join"),
                Some(&a_token),
                None,
            )
        };
        let joined = join(group);
        assert_eq!(joined.body["outcome"], "joined", "{joined:?}");
        assert_limited(&join(group), 30);

        let upload = || {
            chat_e2e::api::send_raw(
                &gateway.http,
                "POST",
                "/api/v1/files?kind=file&name=a.txt",
                Some(&a_token),
                b"some bytes",
                "application/octet-stream",
                &["X-Real-IP: 198.51.100.8"],
            )
        };
        assert_eq!(upload().status, 201, "the first upload is stored");
        assert_limited(&upload(), 30);
    });
}

/// The next frame of `ws` that is not a pong or presence, within 5 s.
fn next_frame(ws: &mut RawWs) -> Value {
    let keep = |frame: &Value| !matches!(frame["type"].as_str(), Some("pong" | "presence"));
    ws.frames_within(Duration::from_secs(5), keep, |_| true)
        .pop()
        .expect("a frame within 5 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_sends_and_typing_get_a_rate_limited_frame() {
    let (_cluster, _router, gateways) = gateways("rlws", 1, "send.user=2/m,typing.user=1/m").await;
    let gateway = &gateways[0];
    tokio::task::block_in_place(|| {
        let api = Api::new();
        let (a, a_token) = api.new_user("rlwa");
        let (b, b_token) = api.new_user("rlwb");
        api.befriend((a, &a_token), (b, &b_token));
        let mut ws = session(&gateway.http, a, &a_token);
        for id in ["w1", "w2", "w3"] {
            let frame = json!({"type": "send", "client_msg_id": id, "kind": "direct",
                               "target_id": b, "content": {"type": "text", "text": id}});
            ws.send_text(&frame.to_string()).expect("send");
        }
        let answers: Vec<Value> = (0..3).map(|_| next_frame(&mut ws)).collect();
        let acked: Vec<&Value> = answers.iter().filter(|f| f["type"] == "ack").collect();
        assert_eq!(acked.len(), 2, "{answers:?}");
        let refused = answers
            .iter()
            .find(|f| f["type"] == "error")
            .unwrap_or_else(|| panic!("an error frame in {answers:?}"));
        assert_eq!(refused["code"], "rate_limited", "{refused}");
        assert_eq!(refused["client_msg_id"], "w3", "{refused}");
        assert!(
            refused["retry_after_s"].as_u64().is_some_and(|s| s >= 20),
            "{refused}"
        );

        let conversation = format!("d:{}:{}", a.min(b), a.max(b));
        let typing = json!({"type": "typing", "conversation_id": conversation}).to_string();
        ws.send_text(&typing).expect("typing");
        ws.send_text(&typing).expect("typing again");
        let refused = next_frame(&mut ws);
        assert_eq!(refused["type"], "error", "{refused}");
        assert_eq!(refused["code"], "rate_limited", "{refused}");
        assert!(refused["client_msg_id"].is_null(), "{refused}");
        // The session stays open: a ping is still answered.
        ws.send_text(r#"{"type":"ping"}"#).expect("ping");
        let keep = |frame: &Value| frame["type"] == "pong";
        let pong = ws.frames_within(Duration::from_secs(5), keep, |_| true);
        assert_eq!(pong.len(), 1, "the session still answers");
    });
}
