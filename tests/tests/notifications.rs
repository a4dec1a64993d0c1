//! Notifications are stored for later (listed by cursor) and pushed through RocketMQ to the
//! gateway holding the recipient.

use std::time::{Duration, Instant};

use chat_e2e::Stack;
use chat_e2e::api::Api;
use serde_json::{Value, json};

fn notifications(api: &Api, token: &str, after_id: u64) -> Value {
    let reply = api.call(
        "GET",
        &format!("/notifications?after_id={after_id}"),
        Some(token),
        None,
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

fn kinds(page: &Value) -> Vec<String> {
    page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["kind"].as_str().map(str::to_owned))
        .collect()
}

/// A friend request from `token`'s user to `to`, saying "hey"; its id.
fn request_friendship(api: &Api, token: &str, to: u64) -> u64 {
    let sent = api.call(
        "POST",
        "/friends/requests",
        Some(token),
        Some(json!({"to_user_id": to, "message": "hey"})),
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    sent.body["request"]["request_id"].as_u64().unwrap()
}

#[test]
fn a_declined_friend_request_is_told_to_its_sender() {
    let api = Api::new();
    let (_, alice_token) = api.new_user("nrj");
    let (bob, bob_token) = api.new_user("nrk");
    let request_id = request_friendship(&api, &alice_token, bob);
    let rejected = api.call(
        "POST",
        &format!("/friends/requests/{request_id}/reject"),
        Some(&bob_token),
        None,
    );
    assert_eq!(rejected.status, 200, "{rejected:?}");
    let alices = notifications(&api, &alice_token, 0);
    assert_eq!(kinds(&alices), ["friend_request_rejected"]);
    assert_eq!(alices["notifications"][0]["actor_id"], bob);
    assert_eq!(
        alices["notifications"][0]["details"]["request_id"],
        request_id
    );
    assert_eq!(
        kinds(&notifications(&api, &bob_token, 0)),
        ["friend_request_received"],
        "nothing more for the one who declined"
    );
}

#[test]
fn friend_and_group_events_are_stored_for_the_recipient() {
    let api = Api::new();
    let (alice, alice_token) = api.new_user("nal");
    let (bob, bob_token) = api.new_user("nbo");

    let request_id = request_friendship(&api, &alice_token, bob);
    let page = notifications(&api, &bob_token, 0);
    assert_eq!(kinds(&page), ["friend_request_received"]);
    assert_eq!(page["notifications"][0]["actor_id"], alice);
    assert_eq!(
        page["notifications"][0]["details"]["request_id"],
        request_id
    );
    assert_eq!(page["notifications"][0]["details"]["message"], "hey");
    let cursor = page["next_after_id"].as_u64().unwrap();

    api.call(
        "POST",
        &format!("/friends/requests/{request_id}/accept"),
        Some(&bob_token),
        None,
    );
    assert_eq!(
        kinds(&notifications(&api, &alice_token, 0)),
        ["friend_request_accepted"]
    );
    let bobs = notifications(&api, &bob_token, cursor);
    assert_eq!(
        kinds(&bobs),
        ["friend_added"],
        "the one who accepted is told too"
    );
    assert_eq!(bobs["notifications"][0]["actor_id"], alice);
    let cursor = bobs["next_after_id"].as_u64().unwrap();

    // Bob adds Alice to a group; she is told, and a cursor skips what was seen.
    let group = api.call(
        "POST",
        "/groups",
        Some(&bob_token),
        Some(json!({"name": "Book club", "join_mode": "open", "member_ids": [alice]})),
    );
    let group_id = group.body["group"]["group_id"].as_u64().unwrap();
    let alices = notifications(&api, &alice_token, 0);
    assert_eq!(kinds(&alices), ["friend_request_accepted", "group_added"]);
    assert_eq!(alices["notifications"][1]["group_id"], group_id);
    assert!(
        kinds(&notifications(&api, &bob_token, cursor)).is_empty(),
        "nothing new for bob yet"
    );

    // A third user joins: both members hear of it; Alice leaves: Bob hears of it.
    let (carol, carol_token) = api.new_user("nca");
    api.call(
        "POST",
        &format!("/groups/{group_id}/join"),
        Some(&carol_token),
        None,
    );
    assert_eq!(
        kinds(&notifications(&api, &bob_token, cursor)),
        ["group_member_joined"]
    );
    let joined = notifications(&api, &bob_token, cursor);
    assert_eq!(
        joined["notifications"][0]["details"]["user_ids"],
        json!([carol])
    );
    api.call(
        "POST",
        &format!("/groups/{group_id}/leave"),
        Some(&alice_token),
        None,
    );
    let after_leave = kinds(&notifications(&api, &bob_token, cursor));
    assert_eq!(after_leave, ["group_member_joined", "group_member_left"]);
    api.call(
        "DELETE",
        &format!("/groups/{group_id}"),
        Some(&bob_token),
        None,
    );
    assert!(kinds(&notifications(&api, &carol_token, 0)).contains(&"group_dissolved".to_owned()));
}

#[tokio::test]
async fn a_notification_is_pushed_to_the_recipients_gateway() {
    let api = Api::new();
    let stack = Stack::load();
    let (alice, alice_token) = api.new_user("pal");
    let (bob, _) = api.new_user("pbo");
    let gateway = chat_e2e::gateway_of(&stack, bob).await;
    let pushed = |addr: &str| chat_e2e::metric(addr, "chat_gateway_pushes_received_total");
    let before = pushed(&gateway.metrics);
    api.call(
        "POST",
        "/friends/requests",
        Some(&alice_token),
        Some(json!({"to_user_id": bob})),
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while pushed(&gateway.metrics) <= before {
        assert!(
            Instant::now() < deadline,
            "no push reached {} for user {bob}",
            gateway.name
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = alice;
}
