//! Logins are durable (issue 19): MySQL holds them and Redis only caches them, so a token
//! outlives its cache entry, and so does its revocation. Revocation cannot be lost: besides the
//! push through RocketMQ, every gateway follows the account service's log of ended logins, so a
//! gateway the push never reaches (one of this test's own cluster, outside the stack's routing)
//! still closes a revoked login's connections within seconds.

use std::time::{Duration, Instant};

use chat_e2e::Stack;
use chat_e2e::api::{Api, unique_name};
use chat_e2e::cluster::{TestCluster, router_client, wait_for_table};
use chat_e2e::rawws::{RawWs, session};
use chat_e2e::redis::{command, token_key};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

#[test]
fn a_login_outlives_its_cache_entry_and_so_does_its_revocation() {
    let stack = Stack::load();
    let api = Api::new();
    let (_me, token) = api.new_user("lgc");
    let key = token_key(&stack, &token);
    assert_eq!(
        command(&stack, &["DEL", &key]),
        ":1",
        "the login was cached"
    );
    let me = api.call("GET", "/me", Some(&token), None);
    assert_eq!(me.status, 200, "the login is read from MySQL: {me:?}");
    assert_eq!(command(&stack, &["EXISTS", &key]), ":1", "and cached again");

    let out = api.call("POST", "/auth/logout", Some(&token), None);
    assert_eq!(out.status, 204, "{out:?}");
    command(&stack, &["DEL", &key]);
    let me = api.call("GET", "/me", Some(&token), None);
    assert_eq!(me.status, 401, "the revocation is in MySQL too: {me:?}");
}

/// Reads `ws` until the server closes it within `within`: the `kicked` frame's reason and the
/// close code.
fn wait_kicked(ws: &mut RawWs, within: Duration) -> (String, u16) {
    let frames = ws.frames_within(within, |f| f["type"] == "kicked", |_| true);
    let kicked = frames
        .first()
        .unwrap_or_else(|| panic!("no kicked frame within {within:?}"));
    let reason = kicked["reason"].as_str().unwrap_or_default().to_owned();
    (reason, ws.close_code().expect("a close frame"))
}

/// The session still answers a ping.
fn still_open(ws: &mut RawWs) {
    ws.send_text(r#"{"type":"ping"}"#).expect("ping");
    let pongs = ws.frames_within(Duration::from_secs(5), |f| f["type"] == "pong", |_| true);
    assert_eq!(pongs.len(), 1, "the session is still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_logins_close_on_a_gateway_their_push_never_reaches() {
    let cluster = TestCluster::new("rvk");
    let router = cluster.start_router("router", &[]);
    let gateway = cluster.start_gateway("g0", &router);
    let mut routing = router_client(&router).await;
    wait_for_table(&mut routing, Duration::from_secs(15), "one gateway", |t| {
        t.gateways().len() == 1
    })
    .await;
    tokio::task::block_in_place(|| {
        let api = Api::new();
        let name = unique_name("rvk");
        let user = api.register(&name, PASSWORD)["user_id"]
            .as_u64()
            .expect("a user id");
        let [first, second, third] = [0; 3].map(|_| api.login(&name, PASSWORD));
        let mut first_ws = session(&gateway.http, user, &first);
        let mut second_ws = session(&gateway.http, user, &second);
        let mut third_ws = session(&gateway.http, user, &third);

        // A logout through the stack: its push goes to the stack's gateways only.
        let signed_out = Instant::now();
        let out = api.call("POST", "/auth/logout", Some(&first), None);
        assert_eq!(out.status, 204, "{out:?}");
        let (reason, code) = wait_kicked(&mut first_ws, Duration::from_secs(5));
        assert_eq!(code, 4002, "{reason}");
        assert!(signed_out.elapsed() < Duration::from_secs(5));
        still_open(&mut second_ws);

        // A password change through the stack ends every other login, here too.
        let changed = Instant::now();
        let body: Value =
            json!({"old_password": PASSWORD, "new_password": "another long password"});
        let reply = api.call("PUT", "/me/password", Some(&second), Some(body));
        assert!(reply.status < 300, "{reply:?}");
        let (_, code) = wait_kicked(&mut third_ws, Duration::from_secs(5));
        assert_eq!(code, 4002);
        assert!(changed.elapsed() < Duration::from_secs(5));
        still_open(&mut second_ws);
    });
}
