//! Through OpenResty, every user's WebSocket request lands on the gateway that owns the user's
//! slot, before and after a gateway joins; bad user ids get a JSON 400.

use std::time::Duration;

use chat_e2e::cluster::{TestCluster, router_client, wait_for_table};
use chat_e2e::openresty::OpenResty;
use chat_routing::SlotTable;

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response
        .split("\r\n\r\n")
        .next()?
        .lines()
        .find_map(|line| {
            line.split_once(':')
                .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        })
        .map(|(_, value)| value.trim())
}

/// A thousand pseudo-random uids across the whole u64 range, the same every run.
fn uids() -> Vec<u64> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    (0..1000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.max(1)
        })
        .collect()
}

fn assert_every_user_lands_on_its_owner(nginx: &OpenResty, table: &SlotTable) {
    for uid in uids() {
        let response = nginx.get(&format!("/ws/{uid}"), "");
        let expected = table.tag_of(uid).expect("every slot has an owner");
        assert_eq!(
            header(&response, "x-chat-gateway"),
            Some(expected),
            "uid {uid}: {response}"
        );
        assert!(
            response.contains(" 426 "),
            "the owner answers, not a moved: {response}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openresty_routes_each_user_to_its_slot_owner() {
    let cluster = TestCluster::new("nginx");
    let router = cluster.start_router("router", &[]);
    let _gateways = [
        cluster.start_gateway("g0", &router),
        cluster.start_gateway("g1", &router),
        cluster.start_gateway("g2", &router),
    ];
    let mut client = router_client(&router).await;
    let (three, _) = wait_for_table(&mut client, Duration::from_secs(5), "three gateways", |t| {
        t.gateways().len() == 3
    })
    .await;
    let nginx = OpenResty::start(&cluster.stack.run_dir, &cluster.name, &router.http);
    nginx.wait_for_epoch(three.epoch()).await;
    assert_every_user_lands_on_its_owner(&nginx, &three);

    // The other ways to name the user route the same.
    let uid = 1029_u64;
    let owner = three.tag_of(uid);
    assert_eq!(
        header(
            &nginx.get("/ws", "X-User-Route: 1029\r\n"),
            "x-chat-gateway"
        ),
        owner
    );
    assert_eq!(
        header(&nginx.get("/api/v1/ws/1029/chat", ""), "x-chat-gateway"),
        owner
    );

    // Bad user ids are refused by OpenResty itself, with a JSON error.
    for path in ["/ws/abc", "/ws/", "/ws/-5", "/ws/18446744073709551616"] {
        let response = nginx.get(path, "");
        assert!(response.contains(" 400 "), "{path}: {response}");
        assert!(
            response.contains(r#""code":"bad_user_id""#),
            "{path}: {response}"
        );
    }

    // A fourth gateway joins; OpenResty follows the new table.
    let _g3 = cluster.start_gateway("g3", &router);
    let (four, _) = wait_for_table(&mut client, Duration::from_secs(5), "four gateways", |t| {
        t.gateways().len() == 4
    })
    .await;
    nginx.wait_for_epoch(four.epoch()).await;
    assert_every_user_lands_on_its_owner(&nginx, &four);
}

/// Every file under `dir` and its subfolders (the run directory: logs of the stack, of
/// OpenResty and of the tests' private clusters).
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// `?token=` (the seed's client, and our last resort) works through OpenResty, which moves it
/// into a header for the gateway and logs the path without the query: after a session, no log
/// of the stack (OpenResty's access and error logs, every service's) holds the token.
#[test]
fn a_token_in_the_query_string_reaches_no_log() {
    let stack = chat_e2e::Stack::load();
    let api = chat_e2e::api::Api::new();
    let (user, token) = api.new_user("qtok");
    let path = format!("/ws/{user}?v=1&token={token}");
    let (reply, stream) = chat_e2e::rawws::upgrade(&api.public, &path, None, &[]);
    assert_eq!(reply.status, 101, "{reply:?}");
    let mut ws = chat_e2e::rawws::RawWs { stream };
    let hello = ws.read_json().expect("hello");
    assert_eq!(hello["user_id"], user, "{hello}");
    ws.send_text(r#"{"type":"ping"}"#).expect("ping");
    assert_eq!(ws.read_json().expect("pong")["type"], "pong");
    drop(ws);
    // nginx writes a WebSocket's access line when the connection ends.
    std::thread::sleep(Duration::from_secs(1));
    let leaks: Vec<String> = files_under(&stack.run_dir)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
        .filter(|path| {
            std::fs::read(path)
                .map(|bytes| {
                    bytes
                        .windows(token.len())
                        .any(|window| window == token.as_bytes())
                })
                .unwrap_or(false)
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(leaks.is_empty(), "the token is written in {leaks:?}");
    let access = std::fs::read_to_string(stack.run_dir.join("openresty/logs/access.log"))
        .expect("OpenResty's access log");
    assert!(
        access.contains(&format!("\"GET /ws/{user} HTTP/1.1\" 101")),
        "the session's line names the path without its query"
    );
}

/// What OpenResty refuses itself, before any gateway is asked, answers the API's JSON error body
/// too (issue 19: these were nginx's HTML pages).
#[test]
fn openresty_refusals_are_json() {
    let stack = chat_e2e::Stack::load();
    let public = stack.public_url.trim_start_matches("http://");
    let long_uri = format!(
        "GET /api/v1/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(20_000)
    );
    let big_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let cases = [
        (long_uri.as_str(), 414, "uri_too_long"),
        ("GARBAGE\r\n\r\n", 400, "bad_request"),
        (
            "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
            400,
            "bad_request",
        ),
        ("GET / HTTP/1.1\r\n\r\n", 400, "bad_request"),
        (big_header.as_str(), 400, "bad_request"),
    ];
    for (request, status, code) in cases {
        let response = chat_e2e::http_request(public, request);
        let shown: String = response.chars().take(200).collect();
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status} ")),
            "{status} expected: {shown}"
        );
        assert!(
            header(&response, "content-type") == Some("application/json"),
            "{shown}"
        );
        let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(json["code"], code, "{shown}");
    }
}
