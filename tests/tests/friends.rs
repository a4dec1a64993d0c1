//! Friends and blocks end to end through REST: requests, answers, remarks, deletion, blocks,
//! the service-to-service checks, and that nobody can act on someone else's request.

use chat_e2e::api::Api;
use serde_json::{Value, json};

fn request_id(reply: &Value) -> u64 {
    reply["request"]["request_id"]
        .as_u64()
        .expect("a request id")
}

fn friend_ids(api: &Api, token: &str) -> Vec<u64> {
    let reply = api.call("GET", "/friends", Some(token), None);
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["friends"]
        .as_array()
        .expect("friends")
        .iter()
        .filter_map(|f| f["user"]["user_id"].as_u64())
        .collect()
}

#[test]
fn a_request_accepted_makes_friends_on_both_sides_with_their_own_remarks() {
    let api = Api::new();
    let (alice, alice_token) = api.new_user("alice");
    let (bob, bob_token) = api.new_user("bob");

    let sent = api.call(
        "POST",
        "/friends/requests",
        Some(&alice_token),
        Some(json!({"to_user_id": bob, "message": "hi bob", "remark": "Bobby"})),
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    assert_eq!(sent.body["request"]["status"], "pending");
    let id = request_id(&sent.body);

    // A second request updates the pending one rather than adding another.
    let again = api.call(
        "POST",
        "/friends/requests",
        Some(&alice_token),
        Some(json!({"to_user_id": bob, "message": "hello again", "remark": "Bobby"})),
    );
    assert_eq!(request_id(&again.body), id);
    assert_eq!(again.body["request"]["message"], "hello again");

    let incoming = api.call(
        "GET",
        "/friends/requests?direction=incoming",
        Some(&bob_token),
        None,
    );
    let listed: Vec<u64> = incoming.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["request_id"].as_u64())
        .collect();
    assert!(listed.contains(&id), "bob sees the request: {incoming:?}");
    let outgoing = api.call(
        "GET",
        "/friends/requests?direction=outgoing",
        Some(&alice_token),
        None,
    );
    assert!(
        outgoing.body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["request_id"] == id)
    );

    // Only the recipient may accept: alice cannot accept her own request.
    let own = api.call(
        "POST",
        &format!("/friends/requests/{id}/accept"),
        Some(&alice_token),
        None,
    );
    assert_eq!(own.status, 404, "{own:?}");
    let accepted = api.call(
        "POST",
        &format!("/friends/requests/{id}/accept"),
        Some(&bob_token),
        Some(json!({"remark": "Ally"})),
    );
    assert_eq!(accepted.status, 200, "{accepted:?}");
    assert_eq!(accepted.body["friend"]["user"]["user_id"], alice);
    assert_eq!(accepted.body["friend"]["remark"], "Ally");

    // A confirmed request cannot be confirmed twice.
    let twice = api.call(
        "POST",
        &format!("/friends/requests/{id}/accept"),
        Some(&bob_token),
        None,
    );
    assert_eq!((twice.status, twice.code()), (409, "not_pending"));

    assert_eq!(friend_ids(&api, &alice_token), vec![bob]);
    assert_eq!(friend_ids(&api, &bob_token), vec![alice]);
    let alices = api.call("GET", "/friends", Some(&alice_token), None);
    assert_eq!(
        alices.body["friends"][0]["remark"], "Bobby",
        "each side keeps its own remark"
    );

    let renamed = api.call(
        "PUT",
        &format!("/friends/{bob}/remark"),
        Some(&alice_token),
        Some(json!({"remark": "Robert"})),
    );
    assert_eq!(renamed.body["friend"]["remark"], "Robert");

    let search = api.call(
        "GET",
        &format!(
            "/users/search?q={}",
            accepted.body["friend"]["user"]["username"]
                .as_str()
                .unwrap()
        ),
        Some(&bob_token),
        None,
    );
    assert_eq!(search.body["hits"][0]["relation"], "friend");

    let again = api.call(
        "POST",
        "/friends/requests",
        Some(&alice_token),
        Some(json!({"to_user_id": bob})),
    );
    assert_eq!((again.status, again.code()), (409, "already_friends"));

    // Deleting ends it on both sides.
    assert_eq!(
        api.call(
            "DELETE",
            &format!("/friends/{alice}"),
            Some(&bob_token),
            None
        )
        .status,
        204
    );
    assert!(friend_ids(&api, &alice_token).is_empty());
    assert_eq!(
        api.call(
            "DELETE",
            &format!("/friends/{alice}"),
            Some(&bob_token),
            None
        )
        .status,
        404
    );
}

#[test]
fn asking_someone_who_already_asked_me_accepts_their_request() {
    let api = Api::new();
    let (carol, carol_token) = api.new_user("carol");
    let (dan, dan_token) = api.new_user("dan");
    let theirs = api.call(
        "POST",
        "/friends/requests",
        Some(&carol_token),
        Some(json!({"to_user_id": dan})),
    );
    let mine = api.call(
        "POST",
        "/friends/requests",
        Some(&dan_token),
        Some(json!({"to_user_id": carol})),
    );
    assert_eq!(mine.status, 200);
    assert_eq!(request_id(&mine.body), request_id(&theirs.body));
    assert_eq!(mine.body["request"]["status"], "accepted");
    assert_eq!(friend_ids(&api, &carol_token), vec![dan]);
}

#[test]
fn requests_can_be_rejected_or_cancelled_only_by_the_right_side() {
    let api = Api::new();
    let (_, erin_token) = api.new_user("erin");
    let (frank, frank_token) = api.new_user("frank");
    let (_, mallory_token) = api.new_user("mallory");

    let id = request_id(
        &api.call(
            "POST",
            "/friends/requests",
            Some(&erin_token),
            Some(json!({"to_user_id": frank})),
        )
        .body,
    );
    for path in ["accept", "reject", "cancel"] {
        let reply = api.call(
            "POST",
            &format!("/friends/requests/{id}/{path}"),
            Some(&mallory_token),
            None,
        );
        assert_eq!(reply.status, 404, "a stranger cannot {path}: {reply:?}");
    }
    assert_eq!(
        api.call(
            "POST",
            &format!("/friends/requests/{id}/cancel"),
            Some(&frank_token),
            None
        )
        .status,
        404,
        "the recipient cannot cancel"
    );
    let cancelled = api.call(
        "POST",
        &format!("/friends/requests/{id}/cancel"),
        Some(&erin_token),
        None,
    );
    assert_eq!(cancelled.body["request"]["status"], "cancelled");
    assert_eq!(
        api.call(
            "POST",
            &format!("/friends/requests/{id}/accept"),
            Some(&frank_token),
            None
        )
        .status,
        409
    );

    let id = request_id(
        &api.call(
            "POST",
            "/friends/requests",
            Some(&erin_token),
            Some(json!({"to_user_id": frank})),
        )
        .body,
    );
    let rejected = api.call(
        "POST",
        &format!("/friends/requests/{id}/reject"),
        Some(&frank_token),
        None,
    );
    assert_eq!(rejected.body["request"]["status"], "rejected");
    assert!(friend_ids(&api, &frank_token).is_empty());
}

#[test]
fn no_requests_to_self_to_strangers_that_do_not_exist_or_across_a_block() {
    let api = Api::new();
    let (gina, gina_token) = api.new_user("gina");
    let (hank, hank_token) = api.new_user("hank");
    let to_self = api.call(
        "POST",
        "/friends/requests",
        Some(&gina_token),
        Some(json!({"to_user_id": gina})),
    );
    assert_eq!((to_self.status, to_self.code()), (400, "self_request"));
    let nobody = api.call(
        "POST",
        "/friends/requests",
        Some(&gina_token),
        Some(json!({"to_user_id": 999_999_999_999u64})),
    );
    assert_eq!(nobody.status, 404);

    let pending = request_id(
        &api.call(
            "POST",
            "/friends/requests",
            Some(&hank_token),
            Some(json!({"to_user_id": gina})),
        )
        .body,
    );
    assert_eq!(
        api.call("PUT", &format!("/blocks/{hank}"), Some(&gina_token), None)
            .status,
        204
    );
    let blocked = api.call("GET", "/blocks", Some(&gina_token), None);
    assert_eq!(blocked.body["users"][0]["user_id"], hank);
    // The block ended the pending request and stops new ones both ways.
    assert_eq!(
        api.call(
            "POST",
            &format!("/friends/requests/{pending}/accept"),
            Some(&gina_token),
            None
        )
        .status,
        409
    );
    for (token, to) in [(&hank_token, gina), (&gina_token, hank)] {
        let reply = api.call(
            "POST",
            "/friends/requests",
            Some(token),
            Some(json!({"to_user_id": to})),
        );
        assert_eq!(reply.status, 403, "{reply:?}");
    }
    let search = api.call(
        "GET",
        &format!(
            "/users/search?q={}",
            blocked.body["users"][0]["username"].as_str().unwrap()
        ),
        Some(&gina_token),
        None,
    );
    assert_eq!(search.body["hits"][0]["relation"], "blocked");

    assert_eq!(
        api.call(
            "DELETE",
            &format!("/blocks/{hank}"),
            Some(&gina_token),
            None
        )
        .status,
        204
    );
    assert_eq!(
        api.call(
            "DELETE",
            &format!("/blocks/{hank}"),
            Some(&gina_token),
            None
        )
        .status,
        404
    );
    let after = api.call(
        "POST",
        "/friends/requests",
        Some(&hank_token),
        Some(json!({"to_user_id": gina})),
    );
    assert_eq!(after.status, 200, "unblocked: requests work again");
}

#[test]
fn malformed_friend_calls_get_clear_errors() {
    let api = Api::new();
    let (_, token) = api.new_user("ivan");
    let bad_id = api.call("POST", "/friends/requests/abc/accept", Some(&token), None);
    assert_eq!((bad_id.status, bad_id.code()), (400, "invalid_id"));
    let bad_direction = api.call(
        "GET",
        "/friends/requests?direction=sideways",
        Some(&token),
        None,
    );
    assert_eq!(
        (bad_direction.status, bad_direction.code()),
        (400, "invalid_direction")
    );
    let missing_field = api.call(
        "POST",
        "/friends/requests",
        Some(&token),
        Some(json!({"message": "who?"})),
    );
    assert_eq!(
        (missing_field.status, missing_field.code()),
        (400, "invalid_json")
    );
    let no_token = api.call("GET", "/friends", None, None);
    assert_eq!(no_token.status, 401);
}

#[test]
fn search_shows_pending_requests_either_way() {
    let api = Api::new();
    let (jo, jo_token) = api.new_user("jo");
    let (kim, kim_token) = api.new_user("kim");
    api.call(
        "POST",
        "/friends/requests",
        Some(&jo_token),
        Some(json!({"to_user_id": kim})),
    );
    let username = |id: u64, token: &str| -> String {
        let reply = api.call("GET", &format!("/users?ids={id}"), Some(token), None);
        reply.body["users"][0]["username"]
            .as_str()
            .expect("a username")
            .to_owned()
    };
    let kim_name = username(kim, &jo_token);
    let jo_name = username(jo, &kim_token);
    let seen_by_jo = api.call(
        "GET",
        &format!("/users/search?q={kim_name}"),
        Some(&jo_token),
        None,
    );
    assert_eq!(seen_by_jo.body["hits"][0]["relation"], "request_sent");
    let seen_by_kim = api.call(
        "GET",
        &format!("/users/search?q={jo_name}"),
        Some(&kim_token),
        None,
    );
    assert_eq!(seen_by_kim.body["hits"][0]["relation"], "request_received");
}

/// Malformed query strings and path ids get a 400 with the API's JSON error body on every
/// route (issue 19: nine GET routes answered axum's plain text, and `+1` passed as an id).
#[test]
fn malformed_queries_and_ids_get_json_400s() {
    let api = Api::new();
    let (_, token) = api.new_user("badq");
    for path in [
        "/friends?limit=-1",
        "/friends/requests?limit=x",
        "/blocks?limit=-1",
        "/groups?limit=-1",
        "/groups/1/members?limit=-1",
        "/groups/1/join-requests?limit=-1",
        "/notifications?after_id=-1",
        "/users",
        "/users/search?q=a&limit=-1",
    ] {
        let reply = api.call("GET", path, Some(&token), None);
        assert_eq!(reply.status, 400, "{path}: {reply:?}");
        assert_eq!(reply.body["code"], "invalid_query", "{path}: {reply:?}");
    }
    for (method, path) in [
        ("GET", "/groups/+1"),
        ("DELETE", "/groups/+1/members/2"),
        ("GET", "/groups/01x"),
    ] {
        let reply = api.call(method, path, Some(&token), None);
        assert_eq!(reply.status, 400, "{path}: {reply:?}");
        assert_eq!(reply.body["code"], "invalid_id", "{path}: {reply:?}");
    }
    let seq = api.call(
        "POST",
        "/conversations/d:1:2/messages/+3/recall",
        Some(&token),
        None,
    );
    assert_eq!(seq.status, 400, "{seq:?}");
    assert_eq!(seq.body["code"], "invalid_seq", "{seq:?}");
    // A known path with a method it does not serve: 405 with the JSON body, not an empty one.
    let method = api.call("PUT", "/friends", Some(&token), None);
    assert_eq!(method.status, 405, "{method:?}");
    assert_eq!(method.body["code"], "method_not_allowed", "{method:?}");
}
