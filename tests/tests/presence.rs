//! Presence and revocation through OpenResty: friends are told when a user comes online and,
//! after the gateway's grace period (5 s), goes offline, with last seen stored; a reconnect
//! within the grace period is no offline event. A logout ends the connections of that login
//! only; a password change ends every connection but the changer's login.

use std::time::Duration;

use chat_e2e::api::{Api, unique_name};
use chat_e2e::rawws::{RawWs, session};
use serde_json::{Value, json};

fn upgrade(addr: &str, user: u64, token: &str) -> (chat_e2e::api::Reply, std::net::TcpStream) {
    chat_e2e::rawws::upgrade(addr, &format!("/ws/{user}"), Some(token), &[])
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// The `presence` frames `ws` receives within `window` (other frames are skipped).
fn presence_frames(ws: &mut RawWs, window: Duration, stop: impl Fn(&Value) -> bool) -> Vec<Value> {
    ws.frames_within(window, |frame| frame["type"] == "presence", stop)
}

/// Waits (up to `within`) for a presence frame about `user` being `online`.
fn wait_presence(ws: &mut RawWs, user: u64, online: bool, within: Duration) -> Value {
    let is_it = |frame: &Value| frame["user_id"] == user && frame["online"] == online;
    let frames = presence_frames(ws, within, is_it);
    frames
        .into_iter()
        .find(is_it)
        .unwrap_or_else(|| panic!("no presence frame of {user} online={online} within {within:?}"))
}

fn friend_entry(api: &Api, token: &str, friend: u64) -> Value {
    let reply = api.call("GET", "/friends", Some(token), None);
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["friends"]
        .as_array()
        .and_then(|friends| friends.iter().find(|f| f["user"]["user_id"] == friend))
        .cloned()
        .unwrap_or_else(|| panic!("{friend} is in the friend list: {reply:?}"))
}

#[test]
fn friends_see_a_user_come_and_go_and_a_quick_reconnect_is_not_an_offline_event() {
    let api = Api::new();
    let (watcher, watcher_token) = api.new_user("prw");
    let (user, user_token) = api.new_user("pru");
    api.befriend((watcher, &watcher_token), (user, &user_token));
    let mut watching = session(&api.public, watcher, &watcher_token);
    assert_eq!(
        friend_entry(&api, &watcher_token, user)["user"]["online"],
        false
    );

    let first = session(&api.public, user, &user_token);
    wait_presence(&mut watching, user, true, Duration::from_secs(15));
    assert_eq!(
        friend_entry(&api, &watcher_token, user)["user"]["online"],
        true,
        "the friend list shows who is online"
    );

    // Gone and back within the grace period: no offline event, still online.
    drop(first);
    std::thread::sleep(Duration::from_millis(300));
    let second = session(&api.public, user, &user_token);
    let seen = presence_frames(&mut watching, Duration::from_secs(8), |_| false);
    assert!(
        !seen.iter().any(|frame| frame["user_id"] == user),
        "a quick reconnect is not a presence change: {seen:?}"
    );
    assert_eq!(
        friend_entry(&api, &watcher_token, user)["user"]["online"],
        true
    );

    // Gone for good: offline after the grace period, with last seen stored.
    let left_at = now_ms();
    drop(second);
    let offline = wait_presence(&mut watching, user, false, Duration::from_secs(20));
    let last_seen = offline["last_seen_ms"].as_i64().expect("last seen");
    assert!(
        last_seen >= left_at,
        "last seen {last_seen} is after leaving at {left_at}"
    );
    let entry = friend_entry(&api, &watcher_token, user);
    assert_eq!(entry["user"]["online"], false, "{entry}");
    assert_eq!(entry["user"]["last_seen_ms"], last_seen, "{entry}");
}

/// Waits for `kicked` and the close that follows; returns the close code.
fn kicked(ws: &mut RawWs) -> u16 {
    ws.stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("a read timeout");
    let frame = ws.read_json().expect("a kicked frame");
    assert_eq!(frame["type"], "kicked", "{frame}");
    ws.close_code().expect("a close frame")
}

/// The session still answers a ping.
fn still_up(ws: &mut RawWs) {
    ws.stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    ws.send_text(r#"{"type":"ping"}"#).expect("send ping");
    loop {
        let frame = ws.read_json().expect("an answer");
        if frame["type"] == "pong" {
            return;
        }
    }
}

#[test]
fn a_logout_ends_that_logins_connections_and_a_password_change_all_but_the_changers() {
    let api = Api::new();
    let name = unique_name("rev");
    let password = "first password";
    let user = api.register(&name, password)["user_id"]
        .as_u64()
        .expect("a user id");
    let leaving = api.login(&name, password);
    let staying = api.login(&name, password);
    let mut leaving_ws = session(&api.public, user, &leaving);
    let mut staying_ws = session(&api.public, user, &staying);
    let mut staying_too = session(&api.public, user, &staying);

    let out = api.call("POST", "/auth/logout", Some(&leaving), None);
    assert_eq!(out.status, 204, "{out:?}");
    assert_eq!(
        kicked(&mut leaving_ws),
        4002,
        "the logged-out connection ends"
    );
    still_up(&mut staying_ws);
    still_up(&mut staying_too);
    let (refused, _) = upgrade(&api.public, user, &leaving);
    assert_eq!(refused.status, 401, "the token is revoked: {refused:?}");

    let other = api.login(&name, password);
    let mut other_ws = session(&api.public, user, &other);
    let changed = api.call(
        "PUT",
        "/me/password",
        Some(&staying),
        Some(json!({"old_password": password, "new_password": "second password"})),
    );
    assert_eq!(changed.status, 204, "{changed:?}");
    assert_eq!(
        kicked(&mut other_ws),
        4002,
        "another login's connection ends"
    );
    still_up(&mut staying_ws);
    still_up(&mut staying_too);
}

/// A gateway that dies without a word (kill -9) stops reporting; once its reports lapse
/// (three heartbeats, here 3 s) the account service's sweep takes its users offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_of_a_crashed_gateway_go_offline_once_its_reports_lapse() {
    use chat_e2e::cluster::{TestCluster, router_client, wait_for_table};
    let cluster = TestCluster::new("pres");
    cluster.create_push_topic();
    let router = cluster.start_router("router", &[]);
    let message = cluster.start_message("message", &router);
    let mut gateway = cluster.start_gateway_flags(
        "g0",
        &router,
        &message.grpc,
        &["--presence-heartbeat", "1s"],
    );
    let mut routing = router_client(&router).await;
    wait_for_table(&mut routing, Duration::from_secs(10), "one gateway", |t| {
        t.gateways().len() == 1
    })
    .await;

    let api = Api::new();
    let (watcher, watcher_token, user, user_token) = tokio::task::block_in_place(|| {
        let (watcher, watcher_token) = api.new_user("prcw");
        let (user, user_token) = api.new_user("prcu");
        api.befriend((watcher, &watcher_token), (user, &user_token));
        (watcher, watcher_token, user, user_token)
    });
    tokio::task::block_in_place(|| {
        // The watcher is on the shared stack; the user on the private gateway.
        let mut watching = session(&api.public, watcher, &watcher_token);
        let _user_ws = session(&gateway.http, user, &user_token);
        wait_presence(&mut watching, user, true, Duration::from_secs(15));
        gateway.kill();
        wait_presence(&mut watching, user, false, Duration::from_secs(30));
        let entry = friend_entry(&api, &watcher_token, user);
        assert_eq!(entry["user"]["online"], false, "{entry}");
    });
}
