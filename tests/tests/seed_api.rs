//! The seed system's desktop client against our cluster: its HTTP calls through OpenResty, as
//! it makes them (`docs/seed-compat.md`, contract in the seed's client), each answer checked
//! for the exact fields and JSON types the client reads.

#[path = "seed_support/mod.rs"]
mod support;

use chat_e2e::api::{RawReply, Reply, send_bytes, send_raw};
use serde_json::{Value, json};
use support::{Seed, assert_refused, assert_success, keys};

/// Whether every value is a JSON number that is an unsigned integer (ids the client compares
/// with `===`).
fn is_id(value: &Value) -> bool {
    value.as_u64().is_some_and(|id| id > 0)
}

#[test]
fn seed_users_register_log_in_and_find_each_other() {
    let seed = Seed::new();
    let alice = seed.user("sal");
    let bob = seed.user("sbo");

    let me = seed.ok("user/userInfo", &alice.token, json!({}));
    assert_eq!(me["id"], alice.id);
    assert_eq!(me["name"], alice.name.as_str());
    assert_eq!(me["username"], alice.username.as_str());

    let hits = seed.ok(
        "user/searchUser",
        &alice.token,
        json!({"username": bob.username}),
    );
    let hits = hits.as_array().expect("data is a list");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(keys(&hits[0]), ["friendRelation", "id", "name", "username"]);
    assert_eq!(hits[0]["id"], bob.id);
    assert!(is_id(&hits[0]["id"]));
    assert_eq!(hits[0]["username"], bob.username.as_str());
    assert_eq!(hits[0]["name"], bob.name.as_str());
    assert_eq!(hits[0]["friendRelation"], false);

    // Nobody finds themselves, and an empty search finds nobody.
    let own = seed.ok(
        "user/searchUser",
        &alice.token,
        json!({"username": alice.username}),
    );
    assert_eq!(own, json!([]));
    assert_eq!(
        seed.ok("user/searchUser", &alice.token, json!({})),
        json!([])
    );
}

#[test]
fn seed_friend_applications_list_both_directions_with_their_outcome() {
    let seed = Seed::new();
    let alice = seed.user("sfa");
    let bob = seed.user("sfb");

    let applied = seed.ok(
        "applyFriend/applyFriend",
        &alice.token,
        json!({"proposerRemark": "it is alice", "targetUser": bob.id, "appliedRemark": "Bobby"}),
    );
    assert_eq!(applied["proposerId"], alice.id);
    assert_eq!(applied["targetUser"], bob.id);
    assert_eq!(applied["applyPass"], 0);

    // Bob sees it incoming, Alice outgoing, both pending.
    for user in [&alice, &bob] {
        let records = seed.ok("applyFriend/applyRecord", &user.token, json!({}));
        let records = records.as_array().expect("a list");
        assert_eq!(records.len(), 1, "{records:?}");
        let record = &records[0];
        assert!(is_id(&record["proposerId"]) && is_id(&record["targetUser"]));
        assert_eq!(record["proposerId"], alice.id);
        assert_eq!(record["targetUser"], bob.id);
        assert_eq!(record["proposerName"], alice.name.as_str());
        assert_eq!(record["proposerRemark"], "it is alice");
        assert_eq!(record["applyPass"], 0);
        let created = record["createdAt"].as_str().expect("createdAt");
        assert_eq!(created.len(), "yyyy-MM-dd HH:mm:ss".len(), "{created}");
    }

    // Bob accepts with the client's whole local record, extras included.
    let confirmed = seed.ok(
        "applyFriend/applyFriendConfirm",
        &bob.token,
        json!({
            "_id": 3, "selfId": bob.id, "proposerId": alice.id, "proposerName": alice.name,
            "proposerRemark": "it is alice", "targetUser": bob.id, "applyPassDesc": "pending",
            "createdAt": "2026-12-06 10:00:00", "appliedRemark": "Ally", "applyPass": 1,
        }),
    );
    assert_eq!(confirmed["applyPass"], 1);
    assert_eq!(confirmed["proposerId"], alice.id);

    for user in [&alice, &bob] {
        let records = seed.ok("applyFriend/applyRecord", &user.token, json!({}));
        let last = records
            .as_array()
            .and_then(|r| r.last())
            .cloned()
            .expect("a record");
        assert_eq!(last["applyPass"], 1, "{records}");
    }

    // Each sees the other as a friend, with the remark they gave.
    let alices = seed.ok(
        "friendship/friendList",
        &alice.token,
        json!({"name": "", "searchType": 1}),
    );
    assert_eq!(alices.as_array().map(Vec::len), Some(1), "{alices}");
    let friend = &alices[0];
    assert_eq!(
        keys(friend),
        ["friendId", "friendName", "friendRemark", "id"]
    );
    assert!(is_id(&friend["id"]));
    assert_eq!(friend["friendId"], bob.id);
    assert_eq!(friend["friendName"], bob.name.as_str());
    assert_eq!(friend["friendRemark"], "Bobby");
    let bobs = seed.ok(
        "friendship/friendList",
        &bob.token,
        json!({"name": "", "searchType": 1}),
    );
    assert_eq!(bobs[0]["friendId"], alice.id);
    assert_eq!(bobs[0]["friendRemark"], "Ally");

    let hits = seed.ok(
        "user/searchUser",
        &alice.token,
        json!({"username": bob.username}),
    );
    assert_eq!(hits[0]["friendRelation"], true);

    // `updateLast` keeps only what changed since then.
    let later = support::now_ms() + 60_000;
    let none = seed.call(
        "POST",
        &format!("applyFriend/applyRecord?updateLast={later}"),
        Some(&bob.token),
        None,
    );
    assert_success(&none);
    assert_eq!(none.body["data"], json!([]));
    let bad = seed.call(
        "POST",
        "applyFriend/applyRecord?updateLast=yesterday",
        Some(&bob.token),
        None,
    );
    assert_refused(&bad, 400);
}

#[test]
fn seed_rejected_application_reads_apply_pass_2_and_a_stale_one_is_not_found() {
    let seed = Seed::new();
    let alice = seed.user("sra");
    let bob = seed.user("srb");
    seed.ok(
        "applyFriend/applyFriend",
        &alice.token,
        json!({"proposerRemark": "", "targetUser": bob.id, "appliedRemark": ""}),
    );
    let rejected = seed.ok(
        "applyFriend/applyFriendConfirm",
        &bob.token,
        json!({"proposerId": alice.id, "targetUser": bob.id, "appliedRemark": "", "applyPass": 2}),
    );
    assert_eq!(rejected["applyPass"], 2);
    let records = seed.ok("applyFriend/applyRecord", &alice.token, json!({}));
    assert_eq!(records[0]["applyPass"], 2, "{records}");
    assert_eq!(
        seed.ok("friendship/friendList", &alice.token, json!({})),
        json!([])
    );

    // Answering again: there is no pending application any more.
    let again = seed.post(
        "applyFriend/applyFriendConfirm",
        Some(&bob.token),
        json!({"proposerId": alice.id, "targetUser": bob.id, "applyPass": 1}),
    );
    assert_refused(&again, 404);
    // Only the target answers.
    let not_mine = seed.post(
        "applyFriend/applyFriendConfirm",
        Some(&alice.token),
        json!({"proposerId": alice.id, "targetUser": bob.id, "applyPass": 1}),
    );
    assert_refused(&not_mine, 403);
}

#[test]
fn seed_direct_messages_missed_while_away_are_pulled_exactly_once() {
    let seed = Seed::new();
    let alice = seed.user("sda");
    let bob = seed.user("sdb");
    seed.befriend(&alice, &bob);

    let first = seed.send_text(&alice, 1, bob.id, "first");
    assert!(is_id(&first["msgId"]), "{first}");
    assert!(first["dateTime"].as_u64().is_some(), "{first}");
    assert_eq!(first["sendUserId"], alice.id);
    assert_eq!(first["content"], "first");
    let second = seed.send_text(&alice, 1, bob.id, "second");
    assert!(second["msgId"].as_u64() > first["msgId"].as_u64());

    let pulled = seed.ok("chatMsg/selectNotReadMsg", &bob.token, json!({}));
    let pulled = pulled.as_array().expect("a list");
    assert_eq!(pulled.len(), 2, "{pulled:?}");
    for (message, sent) in pulled.iter().zip([&first, &second]) {
        assert_eq!(message["msgId"], sent["msgId"]);
        assert_eq!(message["sendUserId"], alice.id);
        assert_eq!(message["receiveUserId"], bob.id);
        assert_eq!(message["chatType"], 1);
        assert_eq!(message["contentType"], 1);
        assert_eq!(message["content"], sent["content"]);
        assert_eq!(message["dateTime"], sent["dateTime"]);
        assert!(message["dateTime"].is_u64());
    }
    assert_eq!(
        seed.ok("chatMsg/selectNotReadMsg", &bob.token, json!({})),
        json!([])
    );
    // The sender has nothing unread: her own messages are not hers to pull.
    assert_eq!(
        seed.ok("chatMsg/selectNotReadMsg", &alice.token, json!({})),
        json!([])
    );
}

#[test]
fn seed_resend_after_a_timeout_is_stored_once() {
    let seed = Seed::new();
    let alice = seed.user("ssa");
    let bob = seed.user("ssb");
    seed.befriend(&alice, &bob);
    let body = json!({
        "chatType": 1, "saveType": "1", "sendUserId": alice.id, "receiveUserId": bob.id,
        "friendId": bob.id, "content": "once", "dateTime": 1_765_000_000_000u64,
        "contentType": 1, "msgType": 2, "groupId": -1,
    });
    let first = seed.ok("chatMsg/sendMsg", &alice.token, body.clone());
    let again = seed.ok("chatMsg/sendMsg", &alice.token, body);
    assert_eq!(first["msgId"], again["msgId"]);
    let pulled = seed.ok("chatMsg/selectNotReadMsg", &bob.token, json!({}));
    assert_eq!(pulled.as_array().map(Vec::len), Some(1), "{pulled}");
}

#[test]
fn seed_strangers_cannot_message_each_other() {
    let seed = Seed::new();
    let alice = seed.user("sxa");
    let mallory = seed.user("sxm");
    let body = json!({
        "chatType": 1, "sendUserId": mallory.id, "receiveUserId": alice.id,
        "friendId": alice.id, "content": "buy now", "dateTime": support::now_ms(),
        "contentType": 1, "msgType": 2, "groupId": -1,
    });
    assert_refused(
        &seed.post("chatMsg/sendMsg", Some(&mallory.token), body),
        403,
    );
    // Nor as someone else.
    let forged = json!({
        "chatType": 1, "sendUserId": alice.id, "receiveUserId": alice.id,
        "content": "x", "contentType": 1, "groupId": -1,
    });
    assert_refused(
        &seed.post("chatMsg/sendMsg", Some(&mallory.token), forged),
        403,
    );
    assert_eq!(
        seed.ok("chatMsg/selectNotReadMsg", &alice.token, json!({})),
        json!([])
    );
}

#[test]
fn seed_group_of_three_creates_adds_members_and_pulls_after_a_msg_id() {
    let seed = Seed::new();
    let owner = seed.user("sgo");
    let bea = seed.user("sgb");
    let cy = seed.user("sgc");
    let outsider = seed.user("sgx");
    seed.befriend(&owner, &bea);
    seed.befriend(&owner, &cy);

    let group = seed.ok(
        "groupInfo/addGroupChat",
        &owner.token,
        json!({"groupName": "Book club", "groupRemark": "Tuesdays"}),
    );
    assert!(is_id(&group["id"]), "{group}");
    assert_eq!(group["groupName"], "Book club");
    assert_eq!(group["groupRemark"], "Tuesdays");
    let group_id = group["id"].as_u64().unwrap();

    let added = seed.post(
        "groupInfo/addGroupMembers",
        Some(&owner.token),
        json!({"groupId": group_id, "userIds": [bea.id, cy.id]}),
    );
    assert_success(&added);

    for path in ["findGroupMemberById", "findAllGroupMemberById"] {
        let members = seed.get_ok(&format!("groupInfo/{path}?groupId={group_id}"), &bea.token);
        let members = members.as_array().expect("a list");
        let mut ids: Vec<u64> = members
            .iter()
            .filter_map(|m| m["memberId"].as_u64())
            .collect();
        ids.sort_unstable();
        let mut expected = vec![owner.id, bea.id, cy.id];
        expected.sort_unstable();
        assert_eq!(ids, expected, "{members:?}");
        let owner_row = members.iter().find(|m| m["memberId"] == owner.id).unwrap();
        assert_eq!(owner_row["memberRemark"], owner.name.as_str());
    }

    let first = seed.send_text(&owner, 2, group_id, "welcome");
    let second = seed.send_text(&bea, 2, group_id, "hello all");
    let third = seed.send_text(&owner, 2, group_id, "agenda");

    let after_first = seed.ok(
        "chatMsg/selectGroupChatMsgNotRead",
        &cy.token,
        json!({"groupList": [{"groupId": group_id, "msgId": first["msgId"]}]}),
    );
    let rows = after_first.as_array().expect("a list");
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (row, sent) in rows.iter().zip([&second, &third]) {
        assert_eq!(row["msgId"], sent["msgId"]);
        assert_eq!(row["groupId"], group_id);
        assert_eq!(row["receiveUserId"], cy.id, "the reader, not the group");
        assert_eq!(row["chatType"], 2);
        assert_eq!(row["contentType"], 1);
        assert_eq!(row["content"], sent["content"]);
        assert!(row["dateTime"].is_u64());
    }
    assert_eq!(rows[0]["sendUserId"], bea.id);

    // From nothing: the whole history; after the last: nothing.
    let all = seed.ok(
        "chatMsg/selectGroupChatMsgNotRead",
        &cy.token,
        json!({"groupList": [{"groupId": group_id, "msgId": 0}]}),
    );
    assert_eq!(all.as_array().map(Vec::len), Some(3), "{all}");
    let none = seed.ok(
        "chatMsg/selectGroupChatMsgNotRead",
        &cy.token,
        json!({"groupList": [{"groupId": group_id, "msgId": third["msgId"]}]}),
    );
    assert_eq!(none, json!([]));
    assert_eq!(
        seed.ok(
            "chatMsg/selectGroupChatMsgNotRead",
            &cy.token,
            json!({"groupList": []})
        ),
        json!([])
    );

    // Outsiders read nothing of it and post nothing to it.
    let theirs = seed.ok(
        "chatMsg/selectGroupChatMsgNotRead",
        &outsider.token,
        json!({"groupList": [{"groupId": group_id, "msgId": 0}]}),
    );
    assert_eq!(theirs, json!([]));
    let members = seed.call(
        "GET",
        &format!("groupInfo/findGroupMemberById?groupId={group_id}"),
        Some(&outsider.token),
        None,
    );
    assert_refused(&members, 403);
    let body = json!({
        "chatType": 2, "receiveUserId": group_id, "friendId": group_id, "groupId": group_id,
        "content": "spam", "contentType": 1, "dateTime": support::now_ms(),
    });
    assert_refused(
        &seed.post("chatMsg/sendMsg", Some(&outsider.token), body),
        403,
    );
    // A plain member does not add people to a seed group (it is invite-only).
    let by_member = seed.post(
        "groupInfo/addGroupMembers",
        Some(&bea.token),
        json!({"groupId": group_id, "userIds": [owner.id]}),
    );
    assert!(by_member.body["code"] != 202, "{by_member:?}");
}

#[test]
fn seed_tokens_passwords_and_bad_input_get_envelope_codes() {
    let seed = Seed::new();
    let alice = seed.user("sea");

    assert_refused(&seed.post("user/userInfo", None, json!({})), 506);
    assert_refused(
        &seed.post("user/userInfo", Some("not-a-token"), json!({})),
        505,
    );
    let wrong = seed.post(
        "user/login",
        None,
        json!({"username": alice.username, "password": "not the password"}),
    );
    assert_refused(&wrong, 509);
    let nobody = seed.post(
        "user/login",
        None,
        json!({"username": "nobody-by-this-name", "password": "whatever it is"}),
    );
    assert_refused(&nobody, 509);
    let differ = seed.post(
        "user/insertUser",
        None,
        json!({"username": "someone-new", "name": "x", "password": "password-one", "confirmPwd": "password-two"}),
    );
    assert_refused(&differ, 400);
    let taken = seed.post(
        "user/insertUser",
        None,
        json!({"username": alice.username, "name": "x", "password": support::PASSWORD, "confirmPwd": support::PASSWORD}),
    );
    assert_refused(&taken, 409);
    let short = seed.post(
        "user/insertUser",
        None,
        json!({"username": "shorty-pw", "name": "x", "password": "123", "confirmPwd": "123"}),
    );
    assert_refused(&short, 400);

    // Malformed or mistyped bodies and queries: code 400 in an envelope, never a 5xx.
    let token = Some(alice.token.as_str());
    let raw = chat_e2e::api::send_raw(
        &seed.public,
        "POST",
        "/api/v1/user/searchUser",
        None,
        b"{not json",
        "application/json",
        &[&format!("token: {}", alice.token)],
    );
    assert_refused(&raw, 400);
    for (path, body) in [
        ("applyFriend/applyFriend", json!({"targetUser": "abc"})),
        ("applyFriend/applyFriend", json!({"targetUser": -4})),
        (
            "applyFriend/applyFriendConfirm",
            json!({"proposerId": 1, "targetUser": alice.id, "applyPass": 7}),
        ),
        ("chatMsg/sendMsg", json!({"chatType": 9, "content": "x"})),
        (
            "chatMsg/sendMsg",
            json!({"chatType": 1, "content": "x", "contentType": 5, "receiveUserId": 1}),
        ),
        (
            "chatMsg/sendMsg",
            json!({"chatType": 1, "content": "x", "groupId": -1}),
        ),
        (
            "chatMsg/selectGroupChatMsgNotRead",
            json!({"groupList": [{"groupId": "x"}]}),
        ),
        (
            "groupInfo/addGroupMembers",
            json!({"groupId": 1, "userIds": ["a"]}),
        ),
        ("groupInfo/addGroupChat", json!({"groupRemark": "no name"})),
    ] {
        let reply = seed.post(path, token, body.clone());
        assert_refused(&reply, 400);
        assert!(reply.body["data"].is_null(), "{path} {body}: {reply:?}");
    }
    for query in ["", "?groupId=abc", "?groupId=-1", "?groupId=0"] {
        let reply = seed.call(
            "GET",
            &format!("groupInfo/findGroupMemberById{query}"),
            token,
            None,
        );
        assert_refused(&reply, 400);
    }
    // Unknown ids are refusals, not failures.
    let ghost = seed.post(
        "applyFriend/applyFriend",
        token,
        json!({"targetUser": 9_000_000_000u64, "proposerRemark": ""}),
    );
    assert!(
        ghost.status == 200 && ghost.body["code"] != 202,
        "{ghost:?}"
    );
}

#[test]
fn seed_blocks_made_on_our_api_hold_on_the_seed_path() {
    let seed = Seed::new();
    let alice = seed.user("sba");
    let bob = seed.user("sbb");
    seed.befriend(&alice, &bob);
    seed.send_text(&alice, 1, bob.id, "before");

    // Bob blocks Alice from one of our clients; her seed client can no longer reach him.
    let api = chat_e2e::api::Api::new();
    let blocked = api.call(
        "PUT",
        &format!("/blocks/{}", alice.id),
        Some(&bob.token),
        None,
    );
    assert_eq!(blocked.status, 204, "{blocked:?}");
    let body = json!({
        "chatType": 1, "sendUserId": alice.id, "receiveUserId": bob.id, "friendId": bob.id,
        "content": "after", "contentType": 1, "msgType": 2, "groupId": -1,
        "dateTime": support::now_ms(),
    });
    assert_refused(&seed.post("chatMsg/sendMsg", Some(&alice.token), body), 403);
    let pulled = seed.ok("chatMsg/selectNotReadMsg", &bob.token, json!({}));
    let contents: Vec<&str> = pulled
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|row| row["content"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(contents, ["before"]);
}

/// The first bytes of a WebM recording (an EBML header), which the gateway sniffs as audio/webm.
const WEBM: [u8; 16] = [
    0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81,
];
const BOUNDARY: &str = "----seedVoiceBoundary7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body with one part per (field, file name, bytes), as a browser's
/// FormData sends it.
fn form(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, file_name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: audio/webm\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// `file/upload` with `body` as the seed client posts its FormData.
fn upload_form(seed: &Seed, token: Option<&str>, body: &[u8], content_type: &str) -> Reply {
    let header = token.map(|token| format!("token: {token}"));
    let headers: Vec<&str> = header.iter().map(String::as_str).collect();
    send_raw(
        &seed.public,
        "POST",
        "/api/v1/file/upload",
        None,
        body,
        content_type,
        &headers,
    )
}

/// Uploads `bytes` as the `file` part; the reply.
fn upload_voice(seed: &Seed, token: &str, bytes: &[u8]) -> Reply {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    upload_form(
        seed,
        Some(token),
        &form(&[("file", "7_audio.WebM", bytes)]),
        &content_type,
    )
}

/// `file/download?fileName=` with the key as the client's axios sends it (URL-encoded).
fn download_voice(seed: &Seed, token: Option<&str>, key: &str) -> RawReply {
    let header = token.map(|token| format!("token: {token}"));
    let headers: Vec<&str> = header.iter().map(String::as_str).collect();
    let key = key.replace('/', "%2F");
    send_bytes(
        &seed.public,
        "GET",
        &format!("/api/v1/file/download?fileName={key}"),
        None,
        &[],
        "",
        &headers,
    )
}

/// The key the client derives from a voice note's address: what follows `/chat`.
fn key_of(url: &str) -> &str {
    let at = url.find("/chat").expect("an address with /chat") + "/chat".len();
    &url[at..]
}

/// `chatMsg/sendMsg` of a voice note as the seed client sends it (no `dateTime`).
fn voice_body(from: &support::SeedUser, to: u64, url: &str, seconds: u64) -> Value {
    json!({
        "contentType": 2, "chatType": 1, "content": url, "saveType": "1",
        "sendUserId": from.id, "receiveUserId": to, "friendId": to, "groupId": -1,
        "msgType": 2, "contentLen": seconds,
    })
}

#[test]
fn seed_voice_note_round_trip_uploads_sends_pulls_and_downloads() {
    let seed = Seed::new();
    let alice = seed.user("sva");
    let bob = seed.user("svb");
    let stranger = seed.user("svc");
    seed.befriend(&alice, &bob);

    let uploaded = upload_voice(&seed, &alice.token, &WEBM);
    assert_success(&uploaded);
    assert_eq!(keys(&uploaded.body), ["code", "data", "remark"]);
    let url = uploaded.body["data"]
        .as_str()
        .expect("an address")
        .to_owned();
    let id: u64 = url
        .strip_prefix("/api/v1/file/chat/")
        .and_then(|id| id.parse().ok())
        .expect("/api/v1/file/chat/{file id}");

    let sent = seed.ok(
        "chatMsg/sendMsg",
        &alice.token,
        voice_body(&alice, bob.id, &url, 3),
    );
    assert!(is_id(&sent["msgId"]), "{sent}");
    assert_eq!(sent["content"], url.as_str());
    assert_eq!(sent["contentType"], 2);
    assert_eq!(sent["contentLen"], 3);

    let pulled = seed.ok("chatMsg/selectNotReadMsg", &bob.token, json!({}));
    let pulled = pulled.as_array().expect("a list");
    assert_eq!(pulled.len(), 1, "{pulled:?}");
    let note = &pulled[0];
    assert_eq!(note["msgId"], sent["msgId"]);
    assert_eq!(note["sendUserId"], alice.id);
    assert_eq!(note["receiveUserId"], bob.id);
    assert_eq!(note["chatType"], 1);
    assert_eq!(note["contentType"], 2);
    assert_eq!(note["content"], url.as_str());
    assert!(
        note["contentLen"].is_u64() && note["contentLen"] == 3,
        "{note}"
    );
    assert!(note["dateTime"].is_u64(), "{note}");

    // The recipient hears it through the key the client derives (with or without its slash),
    // and so does the sender; a stranger and a caller without a token fail the call.
    let key = key_of(&url);
    assert_eq!(key, format!("/{id}"));
    for (token, key) in [
        (&bob.token, key),
        (&bob.token, &key[1..]),
        (&alice.token, key),
    ] {
        let heard = download_voice(&seed, Some(token), key);
        assert_eq!((heard.status, heard.body.as_slice()), (200, &WEBM[..]));
        assert_eq!(heard.header("content-type"), Some("audio/webm"));
    }
    let refused = download_voice(&seed, Some(&stranger.token), key);
    assert_eq!(refused.status, 404, "{refused:?}");
    let refused = download_voice(&seed, None, key).into_json();
    assert_eq!((refused.status, &refused.body["code"]), (401, &json!(506)));
    let refused = download_voice(&seed, Some(&bob.token), "/nothing.webm");
    assert_eq!(refused.status, 404, "{refused:?}");

    // The stored message names our upload: our own clients play it from our download path.
    let api = chat_e2e::api::Api::new();
    let conversation = format!("d:{}:{}", alice.id.min(bob.id), alice.id.max(bob.id));
    let page = api.call(
        "GET",
        &format!("/conversations/{conversation}/messages?after=0&limit=10"),
        Some(&bob.token),
        None,
    );
    assert_eq!(page.status, 200, "{page:?}");
    let content = &page.body["messages"][0]["content"];
    assert_eq!(content["type"], "voice", "{content}");
    assert_eq!(content["file_id"], id);
    assert_eq!(content["duration_ms"], 3000);
    assert_eq!(content["mime"], "audio/webm");
    assert_eq!(content["url"], format!("/api/v1/files/{id}"));
    let ours = send_bytes(
        &seed.public,
        "GET",
        &format!("/api/v1/files/{id}"),
        Some(&bob.token),
        &[],
        "",
        &[],
    );
    assert_eq!((ours.status, ours.body.as_slice()), (200, &WEBM[..]));
}

#[test]
fn seed_voice_uploads_that_are_refused_are_code_510() {
    let seed = Seed::new();
    let alice = seed.user("svr");
    let multipart = format!("multipart/form-data; boundary={BOUNDARY}");

    let text = upload_voice(&seed, &alice.token, b"not a recording at all");
    assert_refused(&text, 510);
    let no_field = upload_form(
        &seed,
        Some(&alice.token),
        &form(&[("voice", "a.webm", &WEBM)]),
        &multipart,
    );
    assert_refused(&no_field, 510);
    let not_a_form = upload_form(&seed, Some(&alice.token), &WEBM, "application/json");
    assert_refused(&not_a_form, 510);
    // One byte over the gateways' voice limit (10 MiB): refused by the gateway as it streams.
    let mut long = vec![0u8; 10 * 1024 * 1024 + 1];
    long[..WEBM.len()].copy_from_slice(&WEBM);
    assert_refused(&upload_voice(&seed, &alice.token, &long), 510);
    // Far over it: refused by OpenResty before any gateway, with the same envelope.
    long.resize(12 * 1024 * 1024, 0);
    assert_refused(&upload_voice(&seed, &alice.token, &long), 510);
    // No token: the seed's 506, before the body is read.
    assert_refused(
        &upload_form(&seed, None, &form(&[("file", "a.webm", &WEBM)]), &multipart),
        506,
    );
}

#[test]
fn seed_voice_notes_can_only_name_the_senders_own_voice_uploads() {
    let seed = Seed::new();
    let alice = seed.user("svo");
    let bob = seed.user("svp");
    seed.befriend(&alice, &bob);
    let url = upload_voice(&seed, &alice.token, &WEBM).body["data"]
        .as_str()
        .expect("an address")
        .to_owned();
    // Bob cannot send Alice's upload (it reads as no file of his), nor an address that only
    // looks like ours.
    for content in [url.as_str(), "/api/v1/file/chat/abc"] {
        let reply = seed.post(
            "chatMsg/sendMsg",
            Some(&bob.token),
            voice_body(&bob, alice.id, content, 1),
        );
        assert_refused(&reply, 400);
    }
    // A picture uploaded on our API is not a voice note.
    let api = chat_e2e::api::Api::new();
    let picture = chat_e2e::files::uploaded_png(&api, &alice.token);
    let reply = seed.post(
        "chatMsg/sendMsg",
        Some(&alice.token),
        voice_body(&alice, bob.id, &format!("/api/v1/file/chat/{picture}"), 1),
    );
    assert_refused(&reply, 400);
    // An address elsewhere is kept as it is (older seed data).
    let foreign = "http://minio:9000/chat/2024/a.webm";
    let sent = seed.ok(
        "chatMsg/sendMsg",
        &alice.token,
        voice_body(&alice, bob.id, foreign, 2),
    );
    assert_eq!(sent["content"], foreign);
}

#[test]
fn seed_voice_note_sent_from_our_api_shows_on_the_seed_path() {
    let seed = Seed::new();
    let alice = seed.user("svw");
    let bob = seed.user("svx");
    seed.befriend(&alice, &bob);
    // Alice records on our web client: an upload, then a voice content naming it.
    let api = chat_e2e::api::Api::new();
    let uploaded = chat_e2e::files::upload(&api, Some(&alice.token), "voice", "hi.webm", &WEBM);
    assert_eq!(uploaded.status, 201, "{uploaded:?}");
    let id = uploaded.body["file_id"].as_u64().expect("a file id");
    let sent = api.call(
        "POST",
        "/messages",
        Some(&alice.token),
        Some(json!({
            "kind": "direct", "target_id": bob.id, "client_msg_id": "voice-web-1",
            "content": {"type": "voice", "file_id": id, "duration_ms": 2100},
        })),
    );
    assert_eq!(sent.status, 200, "{sent:?}");

    let pulled = seed.ok("chatMsg/selectNotReadMsg", &bob.token, json!({}));
    let note = &pulled[0];
    let url = format!("/api/v1/file/chat/{id}");
    assert_eq!(note["contentType"], 2, "{pulled}");
    assert_eq!(note["content"], url.as_str());
    assert_eq!(note["contentLen"], 3);
    let heard = download_voice(&seed, Some(&bob.token), key_of(&url));
    assert_eq!((heard.status, heard.body.as_slice()), (200, &WEBM[..]));
}
