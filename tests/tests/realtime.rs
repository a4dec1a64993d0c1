//! The WebSocket endpoint through OpenResty and on the gateways directly: everything that can
//! be refused is refused before the upgrade, as HTTP with a JSON error (the seed kept sockets
//! with bad tokens open and deaf).

use chat_e2e::api::Api;
use chat_e2e::{Stack, gateway_of};

fn upgrade(addr: &str, path: &str, token: Option<&str>, extra: &[&str]) -> chat_e2e::api::Reply {
    chat_e2e::rawws::upgrade(addr, path, token, extra).0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_upgrades_are_refused_before_the_socket_opens() {
    let stack = Stack::load();
    let api = Api::new();
    let (user, token) = tokio::task::block_in_place(|| api.new_user("wsr"));
    let public = api.public.clone();
    tokio::task::block_in_place(|| {
        let path = format!("/ws/{user}");
        let none = upgrade(&public, &path, None, &[]);
        assert_eq!(none.status, 401, "{none:?}");
        assert_eq!(none.code(), "unauthenticated");
        let bad = upgrade(&public, &path, Some("not-a-token"), &[]);
        assert_eq!(bad.status, 401, "{bad:?}");
        let other = upgrade(&public, &format!("/ws/{}", user + 1), Some(&token), &[]);
        assert_eq!(
            other.status, 403,
            "the token's user is not the path's: {other:?}"
        );
        let opened = upgrade(&public, &path, Some(&token), &[]);
        assert_eq!(opened.status, 101, "a good token upgrades: {opened:?}");
        let browser = upgrade(
            &public,
            &path,
            None,
            &[&format!("Sec-WebSocket-Protocol: chat.v1, token.{token}")],
        );
        assert_eq!(browser.status, 101, "{browser:?}");
        assert!(
            browser
                .headers
                .to_ascii_lowercase()
                .contains("sec-websocket-protocol: chat.v1"),
            "{browser:?}"
        );
        let query = upgrade(&public, &format!("{path}?token={token}"), None, &[]);
        assert_eq!(query.status, 101, "{query:?}");
    });

    // A gateway that does not own the user names the owner.
    let owner = gateway_of(&stack, user).await;
    let other = stack
        .gateways
        .iter()
        .find(|g| g.name != owner.name)
        .expect("three gateways")
        .clone();
    tokio::task::block_in_place(|| {
        let moved = upgrade(&other.http, &format!("/ws/{user}"), Some(&token), &[]);
        assert_eq!(moved.status, 421, "{moved:?}");
        assert_eq!(
            moved.body["moved"]["addr"],
            owner.http.as_str(),
            "{moved:?}"
        );
        let direct = upgrade(&owner.http, "/ws", Some(&token), &[]);
        assert_eq!(direct.status, 101, "/ws on the owner: {direct:?}");
        let not_ws = chat_e2e::api::call(&owner.http, "GET", "/ws", Some(&token), None, &[]);
        assert_eq!(not_ws.status, 426, "{not_ws:?}");
    });
}

use chat_e2e::rawws::session as raw_session;

/// What RFC 6455 forbids ends the session with 1002 (protocol error), not a normal 1000.
#[test]
fn protocol_violations_are_closed_with_1002() {
    let api = Api::new();
    let (user, token) = api.new_user("wsp");
    let violations: [(&str, u8, Vec<u8>); 5] = [
        ("a reserved bit", 0x80 | 0x40 | 0x1, b"{}".to_vec()),
        ("a reserved opcode", 0x80 | 0x3, Vec::new()),
        ("a fragmented ping", 0x9, Vec::new()),
        ("a ping over 125 bytes", 0x80 | 0x9, vec![b'p'; 126]),
        ("a continuation out of place", 0x80, b"{}".to_vec()),
    ];
    for (what, first_byte, payload) in violations {
        let mut ws = raw_session(&api.public, user, &token);
        ws.send_frame(first_byte, &payload).expect("send");
        ws.stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("a read timeout");
        assert_eq!(ws.close_code().expect("a close frame"), 1002, "{what}");
    }
}

#[test]
fn garbage_frames_get_error_frames_and_the_session_stays_up() {
    let api = Api::new();
    let (user, token) = api.new_user("wsg");
    let mut ws = raw_session(&api.public, user, &token);
    for garbage in ["{nope", r#"{"type":"dance"}"#, r#"{"type":"read"}"#, "[]"] {
        ws.send_text(garbage).expect("send");
        let answer = ws.read_json().expect("an answer");
        assert_eq!(answer["type"], "error", "{garbage}: {answer}");
        assert_eq!(answer["code"], "bad_frame", "{garbage}: {answer}");
    }
    ws.send(chat_e2e::rawws::BINARY, b"\x00\x01")
        .expect("send binary");
    assert_eq!(ws.read_json().expect("an answer")["code"], "bad_frame");
    let to_nobody = r#"{"type":"send","client_msg_id":"g1","kind":"direct","target_id":1,"content":{"type":"text","text":"hi"}}"#;
    ws.send_text(to_nobody).expect("send");
    let refused = ws.read_json().expect("an answer");
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_eq!(refused["client_msg_id"], "g1", "{refused}");
    ws.send_text(r#"{"type":"ping"}"#).expect("send");
    assert_eq!(
        ws.read_json().expect("pong")["type"],
        "pong",
        "the session is still up"
    );
}

/// The message service pushes only to users it finds online, so a gateway makes a user visible
/// as online before its `hello`: a message sent the moment `hello` arrives still comes as a
/// push (a raw session never syncs), while a message to someone offline costs no push.
#[test]
fn a_message_sent_right_after_hello_is_pushed_and_offline_users_get_no_push() {
    const OFFLINE: &str = "chat_message_push_recipients_total{outcome=\"offline\"}";
    let stack = Stack::load();
    let api = Api::new();
    let (alice, alice_token) = api.new_user("wpa");
    let (bob, bob_token) = api.new_user("wpb");
    api.befriend((alice, &alice_token), (bob, &bob_token));
    let send = |text: &str, id: &str| {
        let body = serde_json::json!({
            "kind": "direct", "target_id": bob, "client_msg_id": id,
            "content": { "type": "text", "text": text },
        });
        let reply = api.call("POST", "/messages", Some(&alice_token), Some(body));
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["seq"].as_u64().expect("a seq")
    };

    let offline_before = chat_e2e::metric(&stack.message.metrics, OFFLINE);
    assert_eq!(send("while bob is away", "wp-1"), 1);
    // Both ends were offline (alice sent over REST): at least two recipients left out, once the
    // lookup (after the reply) has run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut offline_after = chat_e2e::metric(&stack.message.metrics, OFFLINE);
    while offline_after < offline_before + 2.0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        offline_after = chat_e2e::metric(&stack.message.metrics, OFFLINE);
    }
    assert!(
        offline_after >= offline_before + 2.0,
        "offline recipients are left out: {offline_before} -> {offline_after}"
    );

    let mut ws = raw_session(&api.public, bob, &bob_token);
    assert_eq!(send("the moment bob is back", "wp-2"), 2);
    let pushed = loop {
        let frame = ws
            .read_json()
            .expect("the push (reads time out after 10 s)");
        if frame["type"] == "message" {
            break frame;
        }
    };
    assert_eq!(pushed["message"]["seq"], 2, "{pushed}");
    assert_eq!(pushed["message"]["sender_id"], alice, "{pushed}");
}

#[test]
fn a_frame_over_the_limit_closes_the_session_with_1009() {
    let api = Api::new();
    let (user, token) = api.new_user("wsb");
    let mut ws = raw_session(&api.public, user, &token);
    let huge = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(1 << 20));
    // Send from another thread and read meanwhile: the server answers as soon as it has seen
    // the frame's length, while the rest is still on its way.
    let mut sender = chat_e2e::rawws::RawWs {
        stream: ws.stream.try_clone().expect("a second handle"),
    };
    let sending = std::thread::spawn(move || {
        let _ = sender.send_text(&huge);
    });
    assert_eq!(ws.close_code().expect("a close frame"), 1009);
    let _ = sending.join();
    // Everyone else is still served.
    let (other, other_token) = api.new_user("wsc");
    let mut fine = raw_session(&api.public, other, &other_token);
    fine.send_text(r#"{"type":"ping"}"#).expect("send");
    assert_eq!(fine.read_json().expect("pong")["type"], "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_cut_off_and_others_are_served() {
    let stack = Stack::load();
    let api = Api::new();
    let (sender, sender_token, stuck, stuck_token, reader, reader_token) =
        tokio::task::block_in_place(|| {
            let (sender, sender_token) = api.new_user("wss");
            let (stuck, stuck_token) = api.new_user("wsn");
            let (reader, reader_token) = api.new_user("wsr");
            api.befriend((sender, &sender_token), (stuck, &stuck_token));
            api.befriend((sender, &sender_token), (reader, &reader_token));
            (
                sender,
                sender_token,
                stuck,
                stuck_token,
                reader,
                reader_token,
            )
        });
    let gateway = gateway_of(&stack, stuck).await;
    let kicks = || chat_e2e::metric(&gateway.metrics, "chat_gateway_slow_consumer_kicks_total");
    let before = tokio::task::block_in_place(kicks);
    let mut never_read =
        tokio::task::block_in_place(|| raw_session(&api.public, stuck, &stuck_token));
    let big = "y".repeat(8000);
    let mut cut_off = false;
    for n in 0..3000 {
        tokio::task::block_in_place(|| {
            let reply = api.call(
                "POST",
                "/messages",
                Some(&sender_token),
                Some(serde_json::json!({"kind": "direct", "target_id": stuck,
                    "client_msg_id": format!("flood-{n}"), "content": {"type": "text", "text": big}})),
            );
            assert_eq!(reply.status, 200, "{reply:?}");
        });
        if n % 50 == 49 {
            if tokio::task::block_in_place(kicks) > before {
                cut_off = true;
                break;
            }
            // Writing is not reading: the pings keep the session clear of the idle timeout,
            // which a slow flood (a busy machine, a big database) would otherwise reach first.
            let _ = never_read.send_text(r#"{"type":"ping"}"#);
        }
    }
    assert!(cut_off, "the gateway cut off the client that never reads");
    // Others are served: a fresh session gets its message pushed.
    let mut ws = tokio::task::block_in_place(|| raw_session(&api.public, reader, &reader_token));
    tokio::task::block_in_place(|| {
        let reply = api.call(
            "POST",
            "/messages",
            Some(&sender_token),
            Some(serde_json::json!({"kind": "direct", "target_id": reader,
                "client_msg_id": "after-flood", "content": {"type": "text", "text": "still here"}})),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        let pushed = ws.read_json().expect("a pushed message");
        assert_eq!(pushed["type"], "message", "{pushed}");
        assert_eq!(pushed["message"]["content"]["text"], "still here");
    });
    let _ = sender;
}

mod chat {
    //! Real clients (`chat-client`) through OpenResty: exactly once, in seq order, on every
    //! device, across gateways; catching up by sync.

    use std::collections::HashMap;
    use std::time::Duration;

    use chat_client::wire::{ChatMessage, ConversationKind};
    use chat_client::{Client, Config, Event, Events, Rest, StartFrom};
    use chat_e2e::api::unique_name;
    use chat_e2e::{Stack, gateway_of};

    pub struct User {
        pub id: u64,
        pub token: String,
        pub rest: Rest,
    }

    pub async fn user(prefix: &str) -> User {
        let stack = Stack::load();
        let rest = Rest::new(&stack.public_url).expect("the public URL");
        let login = rest
            .sign_up(&unique_name(prefix), "a long enough password")
            .await
            .expect("sign up");
        User {
            id: login.user.user_id,
            rest: rest.with_token(login.token.clone()),
            token: login.token,
        }
    }

    pub async fn online(user: &User) -> (Client, Events) {
        let stack = Stack::load();
        let mut config = Config::new(stack.public_url.clone(), user.token.clone(), user.id);
        config.start = StartFrom::Unread;
        Client::connect(config).await.expect("a session")
    }

    /// Messages from `events` until `count` arrived (or 30 s passed), in arrival order.
    pub async fn messages(events: &mut Events, count: usize) -> Vec<ChatMessage> {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while got.len() < count {
            let next = tokio::time::timeout_at(deadline, events.recv()).await;
            match next {
                Ok(Some(Event::Message(message))) => got.push(message),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        got
    }

    /// Per conversation, the seqs in the order they arrived.
    pub fn seqs_by_conversation(messages: &[ChatMessage]) -> HashMap<String, Vec<u64>> {
        let mut by: HashMap<String, Vec<u64>> = HashMap::new();
        for message in messages {
            by.entry(message.conversation_id.clone())
                .or_default()
                .push(message.seq);
        }
        by
    }

    /// Users until two are held by different gateways.
    pub async fn on_two_gateways(prefix: &str) -> (User, User) {
        let stack = Stack::load();
        let first = user(prefix).await;
        let home = gateway_of(&stack, first.id).await.name;
        loop {
            let other = user(prefix).await;
            if gateway_of(&stack, other.id).await.name != home {
                return (first, other);
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn friends_on_two_gateways_and_a_second_device_get_each_message_once_in_order() {
        let (alice, bob) = on_two_gateways("rta").await;
        alice
            .rest
            .befriend(&bob.rest, bob.id)
            .await
            .expect("friends");
        let (phone, mut phone_events) = online(&alice).await;
        let (_laptop, mut laptop_events) = online(&alice).await;
        let (bob_client, mut bob_events) = online(&bob).await;
        for n in 0..20 {
            phone
                .send_text(ConversationKind::Direct, bob.id, format!("a{n}"))
                .await
                .expect("alice sends");
            bob_client
                .send_text(ConversationKind::Direct, alice.id, format!("b{n}"))
                .await
                .expect("bob sends");
        }
        let expected: Vec<u64> = (1..=40).collect();
        for (who, events) in [
            ("alice's phone", &mut phone_events),
            ("alice's laptop", &mut laptop_events),
            ("bob", &mut bob_events),
        ] {
            let got = messages(events, 40).await;
            let by = seqs_by_conversation(&got);
            assert_eq!(by.len(), 1, "{who}: one conversation");
            let seqs = by.into_values().next().unwrap_or_default();
            assert_eq!(seqs, expected, "{who}: every message once, in seq order");
            let extra = tokio::time::timeout(Duration::from_millis(300), events.recv()).await;
            assert!(
                !matches!(extra, Ok(Some(Event::Message(_)))),
                "{who}: nothing more: {extra:?}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_group_of_fifty_gets_every_message_once_in_order() {
        const MEMBERS: usize = 50;
        const SENDERS: usize = 5;
        const EACH: usize = 8;
        let owner = user("rgo").await;
        let group = owner
            .rest
            .create_group("Fifty", chat_client::JoinMode::Open, &[])
            .await
            .expect("a group");
        let mut members = vec![owner];
        for _ in 1..MEMBERS {
            let member = user("rgm").await;
            member
                .rest
                .join_group(group.group_id, None)
                .await
                .expect("join");
            members.push(member);
        }
        let mut clients = Vec::new();
        for member in &members {
            clients.push(online(member).await);
        }
        let senders: Vec<Client> = clients
            .iter()
            .take(SENDERS)
            .map(|(c, _)| c.clone())
            .collect();
        let sends = senders.into_iter().enumerate().map(|(index, client)| {
            tokio::spawn(async move {
                for n in 0..EACH {
                    client
                        .send_text(
                            ConversationKind::Group,
                            group.group_id,
                            format!("{index}-{n}"),
                        )
                        .await
                        .expect("a member sends");
                }
            })
        });
        for send in sends.collect::<Vec<_>>() {
            send.await.expect("a sender");
        }
        let total = SENDERS * EACH;
        let expected: Vec<u64> = (1..=total as u64).collect();
        for (index, (_, events)) in clients.iter_mut().enumerate() {
            let got = messages(events, total).await;
            let seqs: Vec<u64> = got.iter().map(|m| m.seq).collect();
            assert_eq!(
                seqs, expected,
                "member {index}: every message once, in order"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_offline_user_gets_two_hundred_messages_by_sync_with_unread_counts() {
        let alice = user("rsa").await;
        let bob = user("rsb").await;
        alice
            .rest
            .befriend(&bob.rest, bob.id)
            .await
            .expect("friends");
        let (sender, _sender_events) = online(&alice).await;
        for n in 0..200 {
            sender
                .send_text(
                    ConversationKind::Direct,
                    bob.id,
                    format!("while you were out {n}"),
                )
                .await
                .expect("alice sends");
        }
        let unread = bob.rest.sync().await.expect("sync");
        assert_eq!(unread.len(), 1);
        assert_eq!(
            unread[0].conversation.unread, 200,
            "{:?}",
            unread[0].conversation
        );
        let (_bob_client, mut bob_events) = online(&bob).await;
        let got = messages(&mut bob_events, 200).await;
        let seqs: Vec<u64> = got.iter().map(|m| m.seq).collect();
        assert_eq!(
            seqs,
            (1..=200).collect::<Vec<u64>>(),
            "all of them, once, in order"
        );
        let extra = tokio::time::timeout(Duration::from_millis(500), bob_events.recv()).await;
        assert!(!matches!(extra, Ok(Some(Event::Message(_)))), "{extra:?}");
    }
}
