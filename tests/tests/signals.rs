//! Typing and read receipts put something on another user's screen, so they obey the rules of
//! sending (issue 19): friends that did not block each other for 1:1, unmuted members for a
//! group. A refused signal gets an `error` frame and reaches nobody; a read still moves the
//! reader's own cursor, but the receipt goes to their own sessions only.

use std::time::Duration;

use chat_e2e::api::Api;
use chat_e2e::rawws::{RawWs, session};
use serde_json::{Value, json};

/// How long "nothing arrives" is watched for: pushes take milliseconds on the stack.
const QUIET: Duration = Duration::from_millis(1500);

fn public(api: &Api) -> String {
    api.public.clone()
}

/// Every frame `ws` receives within `window` (pongs and presence aside), or until `stop` says.
fn frames_within(ws: &mut RawWs, window: Duration, stop: impl Fn(&Value) -> bool) -> Vec<Value> {
    let signal = |frame: &Value| !matches!(frame["type"].as_str(), Some("pong" | "presence"));
    ws.frames_within(window, signal, stop)
}

/// The first frame of `kind` within 5 s.
fn expect_frame(ws: &mut RawWs, kind: &str) -> Value {
    let frames = frames_within(ws, Duration::from_secs(5), |f| f["type"] == kind);
    frames
        .into_iter()
        .find(|f| f["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} frame within 5 s"))
}

/// Nothing of `kinds` arrives at `ws` for a while.
fn expect_none(ws: &mut RawWs, kinds: &[&str]) {
    let frames = frames_within(ws, QUIET, |_| false);
    let seen: Vec<&Value> = frames
        .iter()
        .filter(|f| kinds.iter().any(|kind| f["type"] == *kind))
        .collect();
    assert!(seen.is_empty(), "nothing of {kinds:?} may arrive: {seen:?}");
}

fn send_text(ws: &mut RawWs, frame: Value) {
    ws.send_text(&frame.to_string()).expect("send a frame");
}

fn direct(a: u64, b: u64) -> String {
    format!("d:{}:{}", a.min(b), a.max(b))
}

/// A message to `to` through REST, so that `to` has something to read (one client_msg_id per
/// peer: a sender's ids are idempotency keys).
fn message(api: &Api, from_token: &str, to: u64) {
    let reply = api.call(
        "POST",
        "/messages",
        Some(from_token),
        Some(
            json!({"kind": "direct", "target_id": to, "client_msg_id": format!("s-{to}"),
                     "content": {"type": "text", "text": "hi"}}),
        ),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[test]
fn a_friend_sees_typing_and_read_receipts() {
    let api = Api::new();
    let (a, a_token) = api.new_user("siga");
    let (b, b_token) = api.new_user("sigb");
    api.befriend((a, &a_token), (b, &b_token));
    message(&api, &a_token, b);
    let mut a_ws = session(&public(&api), a, &a_token);
    let mut b_ws = session(&public(&api), b, &b_token);
    let conversation = direct(a, b);

    send_text(
        &mut b_ws,
        json!({"type": "typing", "conversation_id": conversation}),
    );
    let typing = expect_frame(&mut a_ws, "typing");
    assert_eq!(typing["user_id"], b, "{typing}");
    assert_eq!(typing["conversation_id"], conversation.as_str(), "{typing}");

    send_text(
        &mut b_ws,
        json!({"type": "read", "conversation_id": conversation, "seq": 1}),
    );
    let receipt = expect_frame(&mut a_ws, "read_receipt");
    assert_eq!(receipt["reader_id"], b, "{receipt}");
    assert_eq!(receipt["read_seq"], 1, "{receipt}");
}

#[test]
fn an_ex_friend_and_a_blocked_user_signal_nothing() {
    let api = Api::new();
    let (a, a_token) = api.new_user("sigx");
    let (b, b_token) = api.new_user("sigy");
    let (c, c_token) = api.new_user("sigz");
    api.befriend((a, &a_token), (b, &b_token));
    api.befriend((a, &a_token), (c, &c_token));
    message(&api, &a_token, b);
    message(&api, &a_token, c);
    // B removes A; A blocks C.
    let removed = api.call("DELETE", &format!("/friends/{a}"), Some(&b_token), None);
    assert_eq!(removed.status, 204, "{removed:?}");
    let blocked = api.call(
        "PUT",
        &format!("/blocks/{c}"),
        Some(&a_token),
        Some(json!({})),
    );
    assert!(
        blocked.status == 200 || blocked.status == 204,
        "{blocked:?}"
    );

    let mut a_ws = session(&public(&api), a, &a_token);
    for (user, token) in [(b, &b_token), (c, &c_token)] {
        let mut ws = session(&public(&api), user, token);
        let conversation = direct(a, user);
        send_text(
            &mut ws,
            json!({"type": "typing", "conversation_id": conversation}),
        );
        let error = expect_frame(&mut ws, "error");
        assert_eq!(error["code"], "forbidden", "user {user}: {error}");
        // Reading is still theirs to do: the cursor moves, the peer is not told.
        send_text(
            &mut ws,
            json!({"type": "read", "conversation_id": conversation, "seq": 1}),
        );
        let ack = expect_frame(&mut ws, "read_ack");
        assert_eq!(ack["read_seq"], 1, "user {user}: {ack}");
        expect_none(&mut a_ws, &["typing", "read_receipt"]);
    }
}

#[test]
fn a_muted_member_and_an_outsider_signal_nothing_to_a_group() {
    let api = Api::new();
    let (owner, owner_token) = api.new_user("sigo");
    let (member, member_token) = api.new_user("sigm");
    let (outsider, outsider_token) = api.new_user("sigs");
    api.befriend((owner, &owner_token), (member, &member_token));
    let group = api.create_group(
        &owner_token,
        json!({"name": "signals", "join_mode": "invite_only", "member_ids": [member]}),
    );
    let conversation = format!("g:{group}");
    let mut owner_ws = session(&public(&api), owner, &owner_token);
    let mut member_ws = session(&public(&api), member, &member_token);

    // Before the mute the member's typing reaches the owner.
    send_text(
        &mut member_ws,
        json!({"type": "typing", "conversation_id": conversation}),
    );
    assert_eq!(expect_frame(&mut owner_ws, "typing")["user_id"], member);

    let muted = api.call(
        "PUT",
        &format!("/groups/{group}/mutes/{member}"),
        Some(&owner_token),
        Some(json!({"duration_s": 600})),
    );
    assert!(muted.status == 200 || muted.status == 204, "{muted:?}");
    send_text(
        &mut member_ws,
        json!({"type": "typing", "conversation_id": conversation}),
    );
    let error = expect_frame(&mut member_ws, "error");
    assert_eq!(error["code"], "forbidden", "{error}");

    let mut outsider_ws = session(&public(&api), outsider, &outsider_token);
    send_text(
        &mut outsider_ws,
        json!({"type": "typing", "conversation_id": conversation}),
    );
    let error = expect_frame(&mut outsider_ws, "error");
    assert!(
        matches!(error["code"].as_str(), Some("forbidden" | "not_found")),
        "{error}"
    );
    expect_none(&mut owner_ws, &["typing"]);
}
