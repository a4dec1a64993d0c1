//! The seed client's WebSocket dialect through OpenResty: `/api/v1/ws/{uid}/chat?token=`, the
//! client's `{"msgType":1}` and `{"ping":true}`, and pushes as `"<type>,<json>"` text frames.

#[path = "seed_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chat_e2e::rawws::{self, PING, RawWs, TEXT};
use serde_json::{Value, json};
use support::{Seed, SeedUser, keys};

/// A seed session, opened and greeted as the seed client does.
fn connect(seed: &Seed, user: &SeedUser) -> RawWs {
    let path = format!("/api/v1/ws/{}/chat?token={}", user.id, user.token);
    let (reply, stream) = rawws::upgrade(&seed.public, &path, None, &[]);
    assert_eq!(reply.status, 101, "{reply:?}");
    let mut ws = RawWs { stream };
    ws.send_text(r#"{"msgType":1}"#).expect("greet");
    ws
}

/// The seed frames (type, body) received within `window`, until one of type `until`.
fn frames(ws: &mut RawWs, window: Duration, until: Option<u8>) -> Vec<(u8, Value)> {
    let deadline = Instant::now() + window;
    let mut out = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        ws.stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("a read timeout");
        let Ok((opcode, payload)) = ws.read() else {
            break;
        };
        if opcode == PING {
            continue;
        }
        assert_eq!(opcode, TEXT, "only text frames: {payload:?}");
        let text = String::from_utf8(payload).expect("UTF-8");
        let (kind, body) = text.split_once(',').expect("<type>,<json>");
        assert!(kind.bytes().all(|b| b.is_ascii_digit()), "{text}");
        let kind: u8 = kind.parse().expect("a type");
        let body: Value = serde_json::from_str(body).expect("JSON after the comma");
        out.push((kind, body));
        if until == Some(kind) {
            break;
        }
    }
    out
}

/// The first frame of type `kind` within 10 s.
fn expect_frame(ws: &mut RawWs, kind: u8) -> Value {
    let got = frames(ws, Duration::from_secs(10), Some(kind));
    got.into_iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, body)| body)
        .unwrap_or_else(|| panic!("no frame {kind} within 10 s"))
}

#[test]
fn seed_chat_messages_arrive_as_type_2_without_echo_and_are_not_pulled_again() {
    let seed = Seed::new();
    let alice = seed.user("swa");
    let bob = seed.user("swb");
    seed.befriend(&alice, &bob);
    let mut bobs = connect(&seed, &bob);
    let mut alices = connect(&seed, &alice);
    bobs.send_text(r#"{"ping":true}"#).unwrap();
    // The pushes go only to users the service sees online: give the sessions a moment.
    std::thread::sleep(Duration::from_millis(300));

    let sent = seed.send_text(&alice, 1, bob.id, "over the socket");
    let pushed = expect_frame(&mut bobs, 2);
    assert_eq!(pushed["friendId"], alice.id, "filed under the sender");
    assert_eq!(pushed["sendUserId"], alice.id);
    assert_eq!(pushed["msgId"], sent["msgId"]);
    assert_eq!(pushed["chatType"], 1);
    assert_eq!(pushed["contentType"], 1);
    assert_eq!(pushed["content"], "over the socket");
    assert!(pushed["contentLen"].is_null());
    assert!(pushed["dateTime"].is_u64());
    for field in [
        "friendId",
        "chatType",
        "contentType",
        "content",
        "contentLen",
        "sendUserId",
        "msgId",
        "dateTime",
    ] {
        assert!(
            keys(&pushed).contains(&field.to_owned()),
            "{field} in {pushed}"
        );
    }

    // No echo to the sender's own session.
    let echoed = frames(&mut alices, Duration::from_millis(1500), None);
    assert!(echoed.iter().all(|(kind, _)| *kind != 2), "{echoed:?}");

    // Pushed, so not pulled again.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        seed.ok("chatMsg/selectNotReadMsg", &bob.token, json!({})),
        json!([])
    );
}

#[test]
fn seed_applications_arrive_as_frames_4_5_and_6() {
    let seed = Seed::new();
    let alice = seed.user("swc");
    let bob = seed.user("swd");
    let mut alices = connect(&seed, &alice);
    let mut bobs = connect(&seed, &bob);
    std::thread::sleep(Duration::from_millis(300));

    seed.ok(
        "applyFriend/applyFriend",
        &alice.token,
        json!({"proposerRemark": "from alice", "targetUser": bob.id, "appliedRemark": "B"}),
    );
    let application = expect_frame(&mut bobs, 4);
    assert_eq!(application["proposerId"], alice.id);
    assert_eq!(application["proposerName"], alice.name.as_str());
    assert_eq!(application["proposerRemark"], "from alice");
    assert_eq!(application["targetUser"], bob.id);

    seed.ok(
        "applyFriend/applyFriendConfirm",
        &bob.token,
        json!({"proposerId": alice.id, "targetUser": bob.id, "appliedRemark": "A", "applyPass": 1}),
    );
    let result = expect_frame(&mut alices, 5);
    assert_eq!(result["proposerId"], alice.id);
    assert_eq!(result["proposerRemark"], "from alice");
    assert_eq!(result["applyStatus"], 1);
    assert_eq!(result["targetUser"], bob.id);
    let friendship = expect_frame(&mut alices, 6);
    assert_eq!(
        keys(&friendship),
        ["friendId", "friendName", "friendRemark", "id"]
    );
    assert_eq!(friendship["friendId"], bob.id);
    assert_eq!(friendship["friendName"], bob.name.as_str());
    assert_eq!(friendship["friendRemark"], "B");
    assert!(friendship["id"].is_u64());
}

#[test]
fn seed_group_additions_arrive_as_frames_7_and_8() {
    let seed = Seed::new();
    let owner = seed.user("swo");
    let bea = seed.user("swe");
    let cy = seed.user("swf");
    seed.befriend(&owner, &bea);
    seed.befriend(&owner, &cy);
    let mut beas = connect(&seed, &bea);
    let mut cys = connect(&seed, &cy);
    std::thread::sleep(Duration::from_millis(300));

    let group = seed.ok(
        "groupInfo/addGroupChat",
        &owner.token,
        json!({"groupName": "Hikers", "groupRemark": "Sundays"}),
    );
    let group_id = group["id"].as_u64().unwrap();
    seed.ok(
        "groupInfo/addGroupMembers",
        &owner.token,
        json!({"groupId": group_id, "userIds": [bea.id]}),
    );
    let added = expect_frame(&mut beas, 7);
    assert_eq!(keys(&added), ["groupName", "groupRemark", "id"]);
    assert_eq!(added["id"], group_id);
    assert_eq!(added["groupName"], "Hikers");
    assert_eq!(added["groupRemark"], "Sundays");

    seed.ok(
        "groupInfo/addGroupMembers",
        &owner.token,
        json!({"groupId": group_id, "userIds": [cy.id]}),
    );
    assert_eq!(expect_frame(&mut cys, 7)["id"], group_id);
    assert_eq!(expect_frame(&mut beas, 8), json!({"id": group_id}));

    // A group message reaches the members as frame 2, filed under the group.
    seed.send_text(&owner, 2, group_id, "trail at 9");
    let message = expect_frame(&mut cys, 2);
    assert_eq!(message["friendId"], group_id);
    assert_eq!(message["chatType"], 2);
    assert_eq!(message["sendUserId"], owner.id);
}

#[test]
fn seed_and_our_sessions_are_one_user_on_two_devices() {
    let seed = Seed::new();
    let alice = seed.user("swg");
    let bob = seed.user("swh");
    seed.befriend(&alice, &bob);
    let mut bobs_seed = connect(&seed, &bob);
    let mut bobs_ours = rawws::session(&seed.public, bob.id, &bob.token);
    std::thread::sleep(Duration::from_millis(300));

    // Alice writes from our REST API; Bob hears it on both devices.
    let api = chat_e2e::api::Api::new();
    let sent = api.call(
        "POST",
        "/messages",
        Some(&alice.token),
        Some(
            json!({"kind": "direct", "target_id": bob.id, "client_msg_id": "two-devices-1",
            "content": {"type": "text", "text": "both"}}),
        ),
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    let pushed = expect_frame(&mut bobs_seed, 2);
    assert_eq!(pushed["msgId"], sent.body["message_id"]);
    assert_eq!(pushed["content"], "both");
    let ours = bobs_ours.frames_within(
        Duration::from_secs(10),
        |frame| frame["type"] == "message",
        |_| true,
    );
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(ours[0]["message"]["message_id"], sent.body["message_id"]);
}

#[test]
fn seed_sockets_refuse_bad_tokens_and_ignore_what_the_client_may_send() {
    let seed = Seed::new();
    let alice = seed.user("swi");
    let other = seed.user("swj");
    let (bad, _) = rawws::upgrade(
        &seed.public,
        &format!("/api/v1/ws/{}/chat?token=nope", alice.id),
        None,
        &[],
    );
    assert_eq!(bad.status, 401, "{bad:?}");
    let (missing, _) = rawws::upgrade(
        &seed.public,
        &format!("/api/v1/ws/{}/chat", alice.id),
        None,
        &[],
    );
    assert_eq!(missing.status, 401, "{missing:?}");
    let (theirs, _) = rawws::upgrade(
        &seed.public,
        &format!("/api/v1/ws/{}/chat?token={}", other.id, alice.token),
        None,
        &[],
    );
    assert_eq!(theirs.status, 403, "{theirs:?}");

    // Heartbeats, garbage and binary frames get no answer and do not end the session.
    let mut ws = connect(&seed, &alice);
    for text in [
        r#"{"ping":true}"#,
        "not json",
        r#"{"msgType":2,"content":"x"}"#,
    ] {
        ws.send_text(text).unwrap();
    }
    ws.send(rawws::BINARY, b"\x00\x01").unwrap();
    let answered = frames(&mut ws, Duration::from_millis(1500), None);
    assert!(answered.is_empty(), "{answered:?}");
    // Still open: a WebSocket ping is answered.
    ws.send(PING, b"still there").unwrap();
    ws.stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (opcode, payload) = ws.read().expect("a pong");
    assert_eq!((opcode, payload.as_slice()), (0xA, &b"still there"[..]));
}

/// The frames of `kind` among `got`.
fn of_kind(got: &[(u8, Value)], kind: u8) -> Vec<Value> {
    got.iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, body)| body.clone())
        .collect()
}

#[test]
fn seed_frames_5_6_and_7_missed_while_away_arrive_once_on_connect() {
    let seed = Seed::new();
    let ann = seed.user("swp");
    let ben = seed.user("swq");
    let cat = seed.user("swr");
    // All of it while nobody is connected: Ben accepts Ann, Cat declines her, Ben adds her to
    // a group.
    seed.befriend(&ann, &ben);
    seed.ok(
        "applyFriend/applyFriend",
        &ann.token,
        json!({"proposerRemark": "ann here", "targetUser": cat.id, "appliedRemark": "C"}),
    );
    seed.ok(
        "applyFriend/applyFriendConfirm",
        &cat.token,
        json!({"proposerId": ann.id, "targetUser": cat.id, "appliedRemark": "", "applyPass": 2}),
    );
    let group = seed.ok(
        "groupInfo/addGroupChat",
        &ben.token,
        json!({"groupName": "Away", "groupRemark": "while offline"}),
    );
    let group_id = group["id"].as_u64().expect("group id");
    seed.ok(
        "groupInfo/addGroupMembers",
        &ben.token,
        json!({"groupId": group_id, "userIds": [ann.id]}),
    );

    let mut anns = connect(&seed, &ann);
    let got = frames(&mut anns, Duration::from_secs(4), None);
    let results = of_kind(&got, 5);
    let statuses: Vec<(u64, u64)> = results
        .iter()
        .map(|r| {
            (
                r["targetUser"].as_u64().unwrap_or(0),
                r["applyStatus"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(statuses, [(ben.id, 1), (cat.id, 2)], "{got:?}");
    assert!(
        results.iter().all(|r| r["proposerId"] == ann.id),
        "{results:?}"
    );
    assert_eq!(results[1]["proposerRemark"], "ann here");
    let friends = of_kind(&got, 6);
    assert_eq!(friends.len(), 1, "{got:?}");
    assert_eq!(friends[0]["friendId"], ben.id);
    assert_eq!(
        keys(&friends[0]),
        ["friendId", "friendName", "friendRemark", "id"]
    );
    let groups = of_kind(&got, 7);
    assert_eq!(groups.len(), 1, "{got:?}");
    assert_eq!(groups[0]["id"], group_id);
    assert_eq!(groups[0]["groupName"], "Away");

    // The one who accepted learns of the friendship too (frame 6, not 5).
    let mut bens = connect(&seed, &ben);
    let got = frames(&mut bens, Duration::from_secs(3), None);
    let friends = of_kind(&got, 6);
    assert_eq!(friends.len(), 1, "{got:?}");
    assert_eq!(friends[0]["friendId"], ann.id);
    assert!(of_kind(&got, 5).is_empty(), "{got:?}");

    // Given once: a second connect (another window, a reconnect) gets none of them again.
    drop(anns);
    let mut again = connect(&seed, &ann);
    let repeated = frames(&mut again, Duration::from_secs(2), None);
    assert!(
        repeated.iter().all(|(kind, _)| !matches!(kind, 5..=7)),
        "{repeated:?}"
    );

    // Live, to the one who accepts: frame 6 once, though two seed sessions are open.
    let dan = seed.user("sws");
    let mut second = connect(&seed, &ann);
    std::thread::sleep(Duration::from_millis(300));
    seed.ok(
        "applyFriend/applyFriend",
        &dan.token,
        json!({"proposerRemark": "dan", "targetUser": ann.id, "appliedRemark": "A"}),
    );
    seed.ok(
        "applyFriend/applyFriendConfirm",
        &ann.token,
        json!({"proposerId": dan.id, "targetUser": ann.id, "appliedRemark": "D", "applyPass": 1}),
    );
    let mut live = frames(&mut again, Duration::from_secs(3), None);
    live.extend(frames(&mut second, Duration::from_secs(1), None));
    let friends = of_kind(&live, 6);
    assert_eq!(friends.len(), 1, "once per user: {live:?}");
    assert_eq!(friends[0]["friendId"], dan.id);
}

#[test]
fn seed_messages_sent_before_a_push_arrive_with_it_and_are_not_pulled_again() {
    let seed = Seed::new();
    let ann = seed.user("swt");
    let ben = seed.user("swu");
    seed.befriend(&ann, &ben);
    // Ben's client opens its socket but has not pulled yet when Ann writes.
    let first = seed.send_text(&ann, 1, ben.id, "one");
    let second = seed.send_text(&ann, 1, ben.id, "two");
    let mut bens = connect(&seed, &ben);
    std::thread::sleep(Duration::from_millis(500));
    let third = seed.send_text(&ann, 1, ben.id, "three");

    let got = frames(&mut bens, Duration::from_secs(4), None);
    let pushed: Vec<Value> = of_kind(&got, 2)
        .iter()
        .map(|m| m["msgId"].clone())
        .collect();
    assert_eq!(
        pushed,
        [&first["msgId"], &second["msgId"], &third["msgId"]].map(Value::clone),
        "the push moved the cursor past the two before it, so they come with it, in order: {got:?}"
    );
    assert_eq!(
        seed.ok("chatMsg/selectNotReadMsg", &ben.token, json!({})),
        json!([]),
        "each once"
    );
}
