//! Messages end to end through OpenResty, the gateway's REST API, the message service, MariaDB,
//! Redis (change stamps) and the account service: who may post and read, per-conversation seqs,
//! idempotent retries, cursors and unread counts, the login sync, recall and delete for me.
//! (The seed let anyone read any group's history and marked messages read when merely pulled.)

use std::collections::BTreeSet;

use chat_e2e::api::{Api, Reply};
use chat_e2e::{Stack, gateway_of, metric};
use serde_json::{Value, json};

fn send(api: &Api, token: &str, kind: &str, target: u64, client_id: &str, text: &str) -> Reply {
    api.call(
        "POST",
        "/messages",
        Some(token),
        Some(json!({
            "kind": kind,
            "target_id": target,
            "client_msg_id": client_id,
            "content": {"type": "text", "text": text},
        })),
    )
}

/// Sends and expects success; returns the result body.
fn sent(api: &Api, token: &str, kind: &str, target: u64, client_id: &str, text: &str) -> Value {
    let reply = send(api, token, kind, target, client_id, text);
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

fn get(api: &Api, token: &str, path: &str) -> Reply {
    api.call("GET", path, Some(token), None)
}

/// Every message of a conversation, paging forward from seq 0.
fn all_messages(api: &Api, token: &str, conversation: &str) -> Vec<Value> {
    let mut messages = Vec::new();
    let mut after = 0;
    loop {
        let page = get(
            api,
            token,
            &format!("/conversations/{conversation}/messages?after={after}&limit=200"),
        );
        assert_eq!(page.status, 200, "{page:?}");
        let batch = page.body["messages"].as_array().expect("messages").clone();
        if let Some(last) = batch.last() {
            after = last["seq"].as_u64().expect("seq");
        }
        messages.extend(batch);
        if !page.body["has_more"].as_bool().expect("has_more") {
            return messages;
        }
    }
}

fn seqs(messages: &[Value]) -> Vec<u64> {
    messages
        .iter()
        .map(|m| m["seq"].as_u64().expect("seq"))
        .collect()
}

fn direct_id(a: u64, b: u64) -> String {
    format!("d:{}:{}", a.min(b), a.max(b))
}

fn mark_read(api: &Api, token: &str, conversation: &str, seq: u64) -> Value {
    let reply = api.call(
        "POST",
        &format!("/conversations/{conversation}/read"),
        Some(token),
        Some(json!({"seq": seq})),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

#[test]
fn friends_chat_with_seqs_retries_cursors_and_history() {
    let api = Api::new();
    let (a, a_token) = api.new_user("dma");
    let (b, b_token) = api.new_user("dmb");
    api.befriend((a, &a_token), (b, &b_token));
    let conversation = direct_id(a, b);

    let first = sent(&api, &a_token, "direct", b, "c-1", "hello");
    assert_eq!(first["seq"], 1);
    assert_eq!(first["conversation_id"], conversation.as_str());
    assert_eq!(first["duplicate"], false);
    let retry = sent(&api, &a_token, "direct", b, "c-1", "hello");
    assert_eq!(retry["duplicate"], true, "{retry}");
    assert_eq!(retry["message_id"], first["message_id"]);
    assert_eq!(retry["seq"], 1, "a retry returns the first result");
    for (index, text) in ["hi", "how are you?"].iter().enumerate() {
        let reply = sent(&api, &b_token, "direct", a, &format!("b-{index}"), text);
        assert_eq!(reply["seq"], index as u64 + 2);
    }

    let messages = all_messages(&api, &b_token, &conversation);
    assert_eq!(
        seqs(&messages),
        vec![1, 2, 3],
        "one row for the retried send"
    );
    assert_eq!(
        messages[0]["content"],
        json!({"type": "text", "text": "hello"})
    );
    assert_eq!(messages[0]["sender_id"], a);
    assert_eq!(messages[0]["target_id"], b);
    assert_eq!(messages[0]["client_msg_id"], "c-1");

    // a sent seq 1 (so has read it) and has two unread from b.
    let listed = get(&api, &a_token, "/conversations");
    assert_eq!(listed.status, 200, "{listed:?}");
    let mine = &listed.body["conversations"][0];
    assert_eq!(mine["conversation_id"], conversation.as_str());
    assert_eq!(mine["kind"], "direct");
    assert_eq!(mine["target_id"], b);
    assert_eq!(mine["max_seq"], 3);
    assert_eq!(mine["read_seq"], 1);
    assert_eq!(mine["unread"], 2);
    assert_eq!(mine["last_message"]["seq"], 3);

    // Cursors move forward only and never past the last message.
    assert_eq!(
        mark_read(&api, &a_token, &conversation, 2),
        json!({"read_seq": 2, "unread": 1})
    );
    assert_eq!(
        mark_read(&api, &a_token, &conversation, 1),
        json!({"read_seq": 2, "unread": 1})
    );
    assert_eq!(
        mark_read(&api, &a_token, &conversation, 99),
        json!({"read_seq": 3, "unread": 0})
    );

    // History, newest first, by page.
    let back = get(
        &api,
        &a_token,
        &format!("/conversations/{conversation}/messages?before=0&limit=2"),
    );
    assert_eq!(back.status, 200, "{back:?}");
    assert_eq!(
        seqs(back.body["messages"].as_array().expect("messages")),
        vec![3, 2]
    );
    assert_eq!(back.body["has_more"], true);
    assert_eq!(back.body["max_seq"], 3);
    let older = get(
        &api,
        &a_token,
        &format!("/conversations/{conversation}/messages?before=2"),
    );
    assert_eq!(
        seqs(older.body["messages"].as_array().expect("messages")),
        vec![1]
    );
    assert_eq!(older.body["has_more"], false);
}

/// The writer sends its batches to MySQL as SQL text: whatever a client puts in an id or a text
/// must come back byte for byte, and a retry must still be recognized.
#[test]
fn quotes_backslashes_and_sql_in_ids_and_texts_are_stored_verbatim() {
    let api = Api::new();
    let (a, a_token) = api.new_user("sqa");
    let (b, b_token) = api.new_user("sqb");
    api.befriend((a, &a_token), (b, &b_token));
    let conversation = direct_id(a, b);
    let client_id = r#"o'brien\";--"#;
    let text = "it's \\'; DROP TABLE messages; -- \u{0} é 😀";
    let first = sent(&api, &a_token, "direct", b, client_id, text);
    let retry = sent(&api, &a_token, "direct", b, client_id, text);
    assert_eq!(retry["duplicate"], true, "{retry}");
    assert_eq!(retry["seq"], first["seq"]);
    let messages = all_messages(&api, &b_token, &conversation);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["client_msg_id"], client_id);
    assert_eq!(
        messages[0]["content"],
        json!({"type": "text", "text": text})
    );
}

#[test]
fn strangers_blocks_and_unfriending_stop_messages_and_nothing_is_stored() {
    let api = Api::new();
    let (a, a_token) = api.new_user("sta");
    let (b, b_token) = api.new_user("stb");
    let (c, c_token) = api.new_user("stc");

    let refused = send(&api, &a_token, "direct", b, "s-1", "hi stranger");
    assert_eq!(refused.status, 403, "{refused:?}");
    let page = get(
        &api,
        &a_token,
        &format!("/conversations/{}/messages", direct_id(a, b)),
    );
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.body["max_seq"], 0, "nothing stored: {page:?}");
    let listed = get(&api, &b_token, "/conversations");
    assert_eq!(listed.body["conversations"], json!([]), "{listed:?}");

    // Friends until one unfriends: the next send is refused at once.
    api.befriend((a, &a_token), (b, &b_token));
    sent(&api, &a_token, "direct", b, "s-2", "now we are friends");
    let deleted = api.call("DELETE", &format!("/friends/{a}"), Some(&b_token), None);
    assert!(deleted.status < 300, "{deleted:?}");
    let refused = send(&api, &a_token, "direct", b, "s-3", "still there?");
    assert_eq!(refused.status, 403, "{refused:?}");

    // A block stops both directions at once.
    api.befriend((a, &a_token), (c, &c_token));
    sent(&api, &c_token, "direct", a, "s-4", "hey");
    let blocked = api.call("PUT", &format!("/blocks/{a}"), Some(&c_token), None);
    assert!(blocked.status < 300, "{blocked:?}");
    assert_eq!(
        send(&api, &a_token, "direct", c, "s-5", "hello?").status,
        403
    );
    assert_eq!(send(&api, &c_token, "direct", a, "s-6", "bye").status, 403);
    assert_eq!(
        seqs(&all_messages(&api, &a_token, &direct_id(a, c))),
        vec![1]
    );

    // Nobody reads another pair's conversation; nobody messages themself.
    let peek = get(
        &api,
        &c_token,
        &format!("/conversations/{}/messages", direct_id(a, b)),
    );
    assert_eq!(peek.status, 404, "{peek:?}");
    let to_self = send(&api, &a_token, "direct", a, "s-7", "me");
    assert_eq!(to_self.status, 400, "{to_self:?}");
}

#[test]
fn bad_sends_get_clear_errors() {
    let api = Api::new();
    let (a, a_token) = api.new_user("bsa");
    let (b, b_token) = api.new_user("bsb");
    api.befriend((a, &a_token), (b, &b_token));
    let long = send(
        &api,
        &a_token,
        "direct",
        b,
        "b-1",
        &"x".repeat(8 * 1024 + 1),
    );
    assert_eq!(long.status, 400, "{long:?}");
    assert_eq!(long.code(), "content_too_large");
    let blank = send(&api, &a_token, "direct", b, "b-2", "   ");
    assert_eq!(blank.code(), "invalid_content", "{blank:?}");
    let bad_id = send(&api, &a_token, "direct", b, "has space", "hi");
    assert_eq!(bad_id.code(), "invalid_client_msg_id", "{bad_id:?}");
    let reserved = send(&api, &a_token, "direct", b, "#recall:x", "hi");
    assert_eq!(reserved.code(), "invalid_client_msg_id", "{reserved:?}");
    let custom = api.call(
        "POST",
        "/messages",
        Some(&a_token),
        Some(
            json!({"kind": "direct", "target_id": b, "client_msg_id": "b-3",
                    "content": {"type": "custom", "data": {"card": {"id": 7}}}}),
        ),
    );
    assert_eq!(custom.status, 200, "{custom:?}");
    let image = api.call(
        "POST",
        "/messages",
        Some(&a_token),
        Some(
            json!({"kind": "direct", "target_id": b, "client_msg_id": "b-4",
                    "content": {"type": "image", "url": "ftp://nope", "size_bytes": 1}}),
        ),
    );
    assert_eq!(image.code(), "invalid_content", "{image:?}");
    let bad_conversation = get(&api, &a_token, "/conversations/d:2:1/messages");
    assert_eq!(bad_conversation.status, 400, "{bad_conversation:?}");
    let messages = all_messages(&api, &b_token, &direct_id(a, b));
    assert_eq!(
        seqs(&messages),
        vec![1],
        "only the valid custom message was stored"
    );
    assert_eq!(
        messages[0]["content"],
        json!({"type": "custom", "data": {"card": {"id": 7}}})
    );
}

#[test]
fn only_members_post_to_and_read_a_group() {
    let api = Api::new();
    let (owner, owner_token) = api.new_user("gro");
    let (member, member_token) = api.new_user("grm");
    let (muted, muted_token) = api.new_user("gru");
    let (_, outsider_token) = api.new_user("grx");
    api.befriend((owner, &owner_token), (member, &member_token));
    api.befriend((owner, &owner_token), (muted, &muted_token));
    let group = api.create_group(
        &owner_token,
        json!({"name": "Talk", "join_mode": "open", "member_ids": [member, muted]}),
    );
    let conversation = format!("g:{group}");

    assert_eq!(
        sent(&api, &member_token, "group", group, "g-1", "first")["seq"],
        1
    );
    let refused = send(&api, &outsider_token, "group", group, "x-1", "let me in");
    assert_eq!(refused.status, 403, "{refused:?}");
    let peek = get(
        &api,
        &outsider_token,
        &format!("/conversations/{conversation}/messages"),
    );
    assert_eq!(peek.status, 403, "{peek:?}");
    let counts = get(
        &api,
        &outsider_token,
        &format!("/conversations/{conversation}/read-counts?seqs=1"),
    );
    assert_eq!(counts.status, 403, "{counts:?}");

    // A mute takes effect at once.
    let mute = api.call(
        "PUT",
        &format!("/groups/{group}/mutes/{muted}"),
        Some(&owner_token),
        Some(json!({"duration_s": 600})),
    );
    assert_eq!(mute.status, 200, "{mute:?}");
    assert_eq!(
        send(&api, &muted_token, "group", group, "u-1", "shh").status,
        403
    );

    // So does a kick, for posting and reading.
    let kick = api.call(
        "DELETE",
        &format!("/groups/{group}/members/{member}"),
        Some(&owner_token),
        None,
    );
    assert!(kick.status < 300, "{kick:?}");
    assert_eq!(
        send(&api, &member_token, "group", group, "g-2", "hello?").status,
        403
    );
    let gone = get(
        &api,
        &member_token,
        &format!("/conversations/{conversation}/messages"),
    );
    assert_eq!(gone.status, 403, "{gone:?}");

    // And a join: the outsider posts right after joining.
    let joined = api.call(
        "POST",
        &format!("/groups/{group}/join"),
        Some(&outsider_token),
        Some(json!({})),
    );
    assert_eq!(joined.status, 200, "{joined:?}");
    assert_eq!(
        sent(&api, &outsider_token, "group", group, "x-2", "hi all")["seq"],
        2
    );
    assert_eq!(
        sent(&api, &owner_token, "group", group, "o-1", "welcome")["seq"],
        3
    );

    let messages = all_messages(&api, &owner_token, &conversation);
    assert_eq!(
        seqs(&messages),
        vec![1, 2, 3],
        "nothing stored from refused sends"
    );

    // The muted member never posted, yet sees the group with its unread messages.
    let listed = get(&api, &muted_token, "/conversations");
    let row = listed.body["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .find(|c| c["conversation_id"] == conversation.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the group is listed: {listed:?}"));
    assert_eq!(row["kind"], "group");
    assert_eq!(row["target_id"], group);
    assert_eq!(row["unread"], 3, "{row}");

    // Read counts: who (besides the sender) has read each message.
    mark_read(&api, &muted_token, &conversation, 2);
    let counts = get(
        &api,
        &owner_token,
        &format!("/conversations/{conversation}/read-counts?seqs=1,2,3"),
    );
    assert_eq!(counts.status, 200, "{counts:?}");
    // Cursors: owner 3 (by posting it), outsider 2 (by posting it), muted 2 (marked). So seq 1
    // (by the kicked member) was read by all three; seq 2 (the outsider's) by the owner and the
    // muted member; seq 3 (the owner's) by nobody else yet.
    assert_eq!(
        counts.body["counts"],
        json!([{"seq": 1, "read_by": 3}, {"seq": 2, "read_by": 2}, {"seq": 3, "read_by": 0}])
    );
}

#[test]
fn the_sender_recalls_and_anyone_deletes_for_themself() {
    let api = Api::new();
    let (a, a_token) = api.new_user("rca");
    let (b, b_token) = api.new_user("rcb");
    api.befriend((a, &a_token), (b, &b_token));
    let conversation = direct_id(a, b);
    sent(&api, &a_token, "direct", b, "r-1", "oops");
    sent(&api, &b_token, "direct", a, "r-2", "what?");

    let recall = |token: &str, seq: u64| {
        api.call(
            "POST",
            &format!("/conversations/{conversation}/messages/{seq}/recall"),
            Some(token),
            None,
        )
    };
    let not_mine = recall(&b_token, 1);
    assert_eq!(not_mine.status, 403, "{not_mine:?}");
    let recalled = recall(&a_token, 1);
    assert_eq!(recalled.status, 200, "{recalled:?}");
    assert_eq!(recalled.body["recall_seq"], 3);
    let again = recall(&a_token, 1);
    assert_eq!(again.status, 409, "{again:?}");
    assert_eq!(again.code(), "already_recalled");

    let messages = all_messages(&api, &b_token, &conversation);
    assert_eq!(seqs(&messages), vec![1, 2, 3]);
    assert_eq!(
        messages[0]["content"]["type"], "recalled",
        "{}",
        messages[0]
    );
    assert_eq!(messages[0]["content"]["recalled_seq"], 1);
    assert_eq!(
        messages[2]["content"]["type"], "recalled",
        "the recall event"
    );
    assert_eq!(messages[2]["content"]["recalled_seq"], 1);
    assert_eq!(messages[1]["content"]["text"], "what?");

    let hidden = api.call(
        "POST",
        &format!("/conversations/{conversation}/messages/delete-for-me"),
        Some(&b_token),
        Some(json!({"seqs": [2]})),
    );
    assert_eq!(hidden.status, 204, "{hidden:?}");
    assert_eq!(
        seqs(&all_messages(&api, &b_token, &conversation)),
        vec![1, 3]
    );
    assert_eq!(
        seqs(&all_messages(&api, &a_token, &conversation)),
        vec![1, 2, 3]
    );
}

#[test]
fn the_login_sync_returns_every_unread_conversation_with_its_first_page() {
    let api = Api::new();
    let (a, a_token) = api.new_user("sya");
    let (b, b_token) = api.new_user("syb");
    let (c, c_token) = api.new_user("syc");
    api.befriend((a, &a_token), (b, &b_token));
    api.befriend((a, &a_token), (c, &c_token));
    for n in 0..60 {
        sent(
            &api,
            &b_token,
            "direct",
            a,
            &format!("y-{n}"),
            &format!("message {n}"),
        );
    }
    sent(&api, &c_token, "direct", a, "z-1", "ping");
    mark_read(&api, &a_token, &direct_id(a, c), 1);

    let sync = get(&api, &a_token, "/sync?per_conversation=50");
    assert_eq!(sync.status, 200, "{sync:?}");
    let conversations = sync.body["conversations"]
        .as_array()
        .expect("conversations");
    assert_eq!(
        conversations.len(),
        1,
        "only the unread conversation: {sync:?}"
    );
    let unread = &conversations[0];
    assert_eq!(
        unread["conversation"]["conversation_id"],
        direct_id(a, b).as_str()
    );
    assert_eq!(unread["conversation"]["unread"], 60);
    assert_eq!(
        seqs(unread["messages"].as_array().expect("messages")),
        (1..=50).collect::<Vec<_>>()
    );
    assert_eq!(unread["has_more"], true);
}

#[test]
fn fifty_concurrent_senders_get_seqs_one_to_n_without_gaps() {
    const SENDERS: usize = 50;
    const EACH: usize = 6;
    let api = Api::new();
    let (_, owner_token) = api.new_user("cco");
    let group = api.create_group(&owner_token, json!({"name": "Crowd", "join_mode": "open"}));
    let mut tokens = vec![owner_token.clone()];
    for _ in 1..SENDERS {
        let (_, token) = api.new_user("ccm");
        let joined = api.call(
            "POST",
            &format!("/groups/{group}/join"),
            Some(&token),
            Some(json!({})),
        );
        assert_eq!(joined.status, 200, "{joined:?}");
        tokens.push(token);
    }
    let acked: Vec<(String, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(sender, token)| {
                let api = &api;
                scope.spawn(move || {
                    (0..EACH)
                        .map(|n| {
                            let id = format!("p{sender}-{n}");
                            let body = sent(api, token, "group", group, &id, "race");
                            (id, body["seq"].as_u64().expect("seq"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a sender thread"))
            .collect()
    });
    let total = (SENDERS * EACH) as u64;
    let acked_seqs: BTreeSet<u64> = acked.iter().map(|(_, seq)| *seq).collect();
    assert_eq!(
        acked_seqs,
        (1..=total).collect::<BTreeSet<u64>>(),
        "acks: no gap, no duplicate"
    );
    let stored = all_messages(&api, &owner_token, &format!("g:{group}"));
    assert_eq!(seqs(&stored), (1..=total).collect::<Vec<u64>>());
    for (id, seq) in acked {
        let row = &stored[(seq - 1) as usize];
        assert_eq!(
            row["client_msg_id"],
            id.as_str(),
            "the ack names the stored row"
        );
    }
}

/// Pushes reach the gateways that hold the recipients (issue 6 asserts the frames clients get;
/// here, each recipient's gateway consumes more pushes from its own tag).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_message_is_pushed_to_every_gateway_holding_a_member() {
    let stack = Stack::load();
    let api = Api::new();
    let (group, owner_token, members) = tokio::task::block_in_place(|| {
        let (_, owner_token) = api.new_user("fpo");
        let group = api.create_group(&owner_token, json!({"name": "Fan", "join_mode": "open"}));
        let mut members = Vec::new();
        for _ in 0..8 {
            let (id, token) = api.new_user("fpm");
            let path = format!("/groups/{group}/join");
            assert_eq!(
                api.call("POST", &path, Some(&token), Some(json!({})))
                    .status,
                200
            );
            members.push(id);
        }
        (group, owner_token, members)
    });
    let mut gateways = Vec::new();
    for member in &members {
        let gateway = gateway_of(&stack, *member).await;
        if !gateways
            .iter()
            .any(|g: &chat_e2e::GatewayAddrs| g.name == gateway.name)
        {
            gateways.push(gateway);
        }
    }
    let pushes = |addr: &str| metric(addr, "chat_gateway_pushes_received_total");
    let before: Vec<f64> =
        tokio::task::block_in_place(|| gateways.iter().map(|g| pushes(&g.metrics)).collect());
    tokio::task::block_in_place(|| sent(&api, &owner_token, "group", group, "fan-1", "to all"));
    for (gateway, before) in gateways.iter().zip(before) {
        let reached = chat_e2e::eventually(std::time::Duration::from_secs(15), || {
            let now = tokio::task::block_in_place(|| pushes(&gateway.metrics));
            async move { now > before }
        })
        .await;
        assert!(
            reached,
            "no push reached {} for group {group}",
            gateway.name
        );
    }
}
