//! Accounts end to end through REST (OpenResty -> gateway -> account -> MariaDB/Redis):
//! registration, login, sessions, profiles, passwords, lookups and search, and the seed's holes
//! that must not come back (forgeable or unrevocable tokens, duplicate usernames, username
//! enumeration through login errors).

use chat_e2e::api::{Api, send_raw, unique_name};
use serde_json::json;

#[test]
fn register_login_use_and_logout() {
    let api = Api::new();
    let name = unique_name("Alice");
    let user = api.register(&name, "correct horse battery");
    assert_eq!(user["username"], name.as_str());
    assert_eq!(
        user["nickname"],
        name.as_str(),
        "the nickname defaults to the username"
    );
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());

    let token = api.login(&name.to_uppercase(), "correct horse battery");
    let me = api.call("GET", "/me", Some(&token), None);
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user_id"], user["user_id"]);

    assert_eq!(
        api.call("POST", "/auth/logout", Some(&token), None).status,
        204
    );
    let after = api.call("GET", "/me", Some(&token), None);
    assert_eq!(
        after.status, 401,
        "a logged-out token stops working at once: {after:?}"
    );
    assert_eq!(after.code(), "unauthenticated");
}

#[test]
fn usernames_are_unique_ignoring_case() {
    let api = Api::new();
    let name = unique_name("bob");
    api.register(&name, "password-one");
    let again = api.call(
        "POST",
        "/auth/register",
        None,
        Some(json!({"username": name.to_uppercase(), "password": "password-two"})),
    );
    assert_eq!(
        (again.status, again.code()),
        (409, "username_taken"),
        "{again:?}"
    );
}

#[test]
fn bad_input_gets_clear_errors() {
    let api = Api::new();
    let cases = [
        (
            json!({"username": "ab", "password": "long enough"}),
            "invalid_username",
        ),
        (
            json!({"username": "has space", "password": "long enough"}),
            "invalid_username",
        ),
        (
            json!({"username": unique_name("c"), "password": "short"}),
            "invalid_password",
        ),
    ];
    for (body, code) in cases {
        let reply = api.call("POST", "/auth/register", None, Some(body));
        assert_eq!((reply.status, reply.code()), (400, code), "{reply:?}");
        assert!(
            !reply.body["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }
    let malformed = send_raw(
        &api.public,
        "POST",
        "/api/v1/auth/register",
        None,
        b"{not json",
        "application/json",
        &[],
    );
    assert_eq!(
        (malformed.status, malformed.code()),
        (400, "invalid_json"),
        "{malformed:?}"
    );
    let huge = format!(r#"{{"username":"x","password":"{}"}}"#, "p".repeat(100_000));
    let too_large = send_raw(
        &api.public,
        "POST",
        "/api/v1/auth/register",
        None,
        huge.as_bytes(),
        "application/json",
        &[],
    );
    assert_eq!(
        (too_large.status, too_large.code()),
        (413, "payload_too_large"),
        "{too_large:?}"
    );

    let missing = api.call("GET", "/me", None, None);
    assert_eq!((missing.status, missing.code()), (401, "missing_token"));
    for forged in [
        "ct1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "admin",
        "ct1.",
    ] {
        let reply = api.call("GET", "/me", Some(forged), None);
        assert_eq!(reply.status, 401, "a forged token is refused: {forged}");
    }
}

#[test]
fn login_failures_do_not_reveal_whether_the_user_exists() {
    let api = Api::new();
    let name = unique_name("carol");
    api.register(&name, "the real password");
    let ip = "198.51.100.7";
    let wrong_password = api.call_from(
        ip,
        "POST",
        "/auth/login",
        json!({"username": name, "password": "not the password"}),
    );
    let unknown_user = api.call_from(
        ip,
        "POST",
        "/auth/login",
        json!({"username": unique_name("nobody"), "password": "not the password"}),
    );
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.status, unknown_user.status);
    assert_eq!(
        wrong_password.body, unknown_user.body,
        "the same answer either way"
    );
}

#[test]
fn repeated_login_failures_lock_the_guessing_address_not_the_account() {
    let api = Api::new();
    let name = unique_name("dave");
    api.register(&name, "the real password");
    // 5 failures from one address lock that (username, address) pair: even the right password
    // waits there.
    let stranger = "203.0.113.7";
    for attempt in 0..5 {
        let reply = api.call_from(
            stranger,
            "POST",
            "/auth/login",
            json!({"username": name, "password": "wrong password"}),
        );
        assert_eq!(reply.status, 401, "attempt {attempt}");
    }
    let limited = api.call_from(
        stranger,
        "POST",
        "/auth/login",
        json!({"username": name, "password": "the real password"}),
    );
    assert_eq!(
        (limited.status, limited.code()),
        (429, "rate_limited"),
        "{limited:?}"
    );
    let retry_after: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    // The owner, from their own address, is not locked out by the stranger.
    let owner = api.call_from(
        "198.51.100.20",
        "POST",
        "/auth/login",
        json!({"username": name, "password": "the real password"}),
    );
    assert_eq!(owner.status, 200, "{owner:?}");

    // Per address: 30 failures on different usernames from one address, then it waits.
    let ip = format!("2001:db8::{:x}", std::process::id());
    let mut limited_at = None;
    for attempt in 0..31 {
        let reply = api.call_from(
            &ip,
            "POST",
            "/auth/login",
            json!({"username": unique_name("x"), "password": "wrong password"}),
        );
        if reply.status == 429 {
            limited_at = Some(attempt);
            break;
        }
        assert_eq!(reply.status, 401);
    }
    assert!(
        limited_at.is_some_and(|n| n <= 30),
        "the address is limited after 30 failures"
    );
}

#[test]
fn changing_the_password_ends_every_other_session() {
    let api = Api::new();
    let name = unique_name("erin");
    api.register(&name, "first password");
    let kept = api.login(&name, "first password");
    let other = api.login(&name, "first password");

    let wrong = api.call(
        "PUT",
        "/me/password",
        Some(&kept),
        Some(json!({"old_password": "nope nope", "new_password": "second password"})),
    );
    assert_eq!(wrong.status, 403, "the old password is checked");
    let changed = api.call(
        "PUT",
        "/me/password",
        Some(&kept),
        Some(json!({"old_password": "first password", "new_password": "second password"})),
    );
    assert_eq!(changed.status, 204, "{changed:?}");

    assert_eq!(
        api.call("GET", "/me", Some(&kept), None).status,
        200,
        "the session that changed it stays"
    );
    assert_eq!(
        api.call("GET", "/me", Some(&other), None).status,
        401,
        "every other session ends"
    );
    let old = api.call(
        "POST",
        "/auth/login",
        None,
        Some(json!({"username": name, "password": "first password"})),
    );
    assert_eq!(old.status, 401);
    api.login(&name, "second password");
}

#[test]
fn profiles_lookups_and_search() {
    let api = Api::new();
    let stem = unique_name("zed");
    let first = api.register(&format!("{stem}a"), "password one");
    let second = api.register(&format!("{stem}b"), "password two");
    let token = api.login(&format!("{stem}a"), "password one");

    let updated = api.call(
        "PATCH",
        "/me",
        Some(&token),
        Some(json!({"nickname": "Zed the First", "bio": "hello"})),
    );
    assert_eq!(updated.status, 200, "{updated:?}");
    assert_eq!(updated.body["nickname"], "Zed the First");
    assert_eq!(updated.body["bio"], "hello");
    let blank = api.call(
        "PATCH",
        "/me",
        Some(&token),
        Some(json!({"nickname": "   "})),
    );
    assert_eq!(
        (blank.status, blank.code()),
        (400, "invalid_field"),
        "{blank:?}"
    );

    let ids = format!(
        "/users?ids={},{},999999999999",
        first["user_id"], second["user_id"]
    );
    let users = api.call("GET", &ids, Some(&token), None);
    assert_eq!(users.status, 200);
    assert_eq!(
        users.body["users"].as_array().map(Vec::len),
        Some(2),
        "unknown ids are left out"
    );

    // Search pages through both matches one at a time, prefix matches first.
    let page1 = api.call(
        "GET",
        &format!("/users/search?q={stem}&limit=1"),
        Some(&token),
        None,
    );
    assert_eq!(page1.status, 200, "{page1:?}");
    assert_eq!(page1.body["hits"].as_array().map(Vec::len), Some(1));
    assert_eq!(page1.body["hits"][0]["relation"], "self");
    let cursor = page1.body["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    assert!(!cursor.is_empty());
    let page2 = api.call(
        "GET",
        &format!("/users/search?q={stem}&limit=1&cursor={cursor}"),
        Some(&token),
        None,
    );
    assert_eq!(page2.body["hits"][0]["user"]["user_id"], second["user_id"]);
    assert_eq!(page2.body["hits"][0]["relation"], "none");
    let by_nickname = api.call(
        "GET",
        "/users/search?q=zed%20the%20first",
        Some(&token),
        None,
    );
    assert!(by_nickname.body["hits"].as_array().is_some_and(|hits| {
        hits.iter()
            .any(|h| h["user"]["user_id"] == first["user_id"])
    }));
    let empty = api.call("GET", "/users/search?q=", Some(&token), None);
    assert_eq!(empty.status, 400);
}

#[test]
fn the_openapi_document_lists_every_route() {
    let api = Api::new();
    let doc = api.call("GET", "/openapi.json", None, None);
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().expect("paths");
    // Every route the gateway serves under /api/v1 (as its routers name them) is documented.
    let sources = [
        include_str!("../../crates/gateway/src/rest/mod.rs"),
        include_str!("../../crates/gateway/src/rest/files/mod.rs"),
    ];
    let served: Vec<&str> = sources
        .iter()
        .flat_map(|source| {
            source.match_indices(".route(").filter_map(|(at, _)| {
                source[at + 7..]
                    .trim_start()
                    .strip_prefix('"')?
                    .split('"')
                    .next()
            })
        })
        .collect();
    assert!(served.len() >= 17, "found the routes: {served:?}");
    for path in served {
        assert!(
            paths.contains_key(path),
            "{path} is served but not documented"
        );
    }
}
