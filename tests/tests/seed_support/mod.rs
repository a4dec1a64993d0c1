//! The seed client's side of the seed API profile, as its desktop client calls it: JSON bodies
//! (at least `{}`), the token in a `token` header, answers in `{code, data, remark}`.

#![allow(dead_code)]

use chat_e2e::Stack;
use chat_e2e::api::{Reply, call, unique_name};
use serde_json::{Value, json};

pub const PASSWORD: &str = "a long enough password";

/// A user signed in through the seed API.
pub struct SeedUser {
    pub id: u64,
    pub token: String,
    pub username: String,
    pub name: String,
}

/// The seed API through OpenResty.
pub struct Seed {
    pub public: String,
}

impl Seed {
    pub fn new() -> Self {
        let stack = Stack::load();
        Self {
            public: stack.public_url.trim_start_matches("http://").to_owned(),
        }
    }

    /// A call as the seed client makes it; `path` is below `/api/v1/`.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let header = token.map(|token| format!("token: {token}"));
        let headers: Vec<&str> = header.iter().map(String::as_str).collect();
        let body = body.or_else(|| (method == "POST").then(|| json!({})));
        call(
            &self.public,
            method,
            &format!("/api/v1/{path}"),
            None,
            body.as_ref(),
            &headers,
        )
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call("POST", path, token, Some(body))
    }

    /// A POST that must succeed (HTTP 200, code 202); its `data`.
    pub fn ok(&self, path: &str, token: &str, body: Value) -> Value {
        let reply = self.post(path, Some(token), body);
        assert_success(&reply);
        reply.body["data"].clone()
    }

    /// A GET that must succeed; its `data`.
    pub fn get_ok(&self, path: &str, token: &str) -> Value {
        let reply = self.call("GET", path, Some(token), None);
        assert_success(&reply);
        reply.body["data"].clone()
    }

    /// Registers and logs in through `user/insertUser` and `user/login`.
    pub fn user(&self, prefix: &str) -> SeedUser {
        let username = unique_name(prefix);
        let name = format!("{prefix} name");
        let registered = self.post(
            "user/insertUser",
            None,
            json!({"username": username, "name": name, "password": PASSWORD, "confirmPwd": PASSWORD}),
        );
        assert_success(&registered);
        let login = self.post(
            "user/login",
            None,
            json!({"username": username, "password": PASSWORD}),
        );
        assert_success(&login);
        let token = login.body["data"].as_str().expect("the token").to_owned();
        let info = self.ok("user/userInfo", &token, json!({}));
        SeedUser {
            id: info["id"].as_u64().expect("a numeric id"),
            token,
            username,
            name,
        }
    }

    /// `proposer` applies and `target` accepts, as the seed client does it.
    pub fn befriend(&self, proposer: &SeedUser, target: &SeedUser) {
        self.ok(
            "applyFriend/applyFriend",
            &proposer.token,
            json!({"proposerRemark": "hi", "targetUser": target.id, "appliedRemark": ""}),
        );
        self.ok(
            "applyFriend/applyFriendConfirm",
            &target.token,
            json!({"proposerId": proposer.id, "targetUser": target.id, "appliedRemark": "", "applyPass": 1}),
        );
    }

    /// Sends a text message; the reply's `data`.
    pub fn send_text(&self, from: &SeedUser, chat_type: u8, to: u64, text: &str) -> Value {
        let group_id = if chat_type == 2 { json!(to) } else { json!(-1) };
        self.ok(
            "chatMsg/sendMsg",
            &from.token,
            json!({
                "chatType": chat_type, "saveType": "1", "sendUserId": from.id,
                "receiveUserId": to, "friendId": to, "content": text,
                "dateTime": now_ms(), "createdAt": "2026-12-06 12:00:00",
                "contentType": 1, "msgType": 2, "groupId": group_id,
            }),
        )
    }
}

/// HTTP 200 with code 202.
pub fn assert_success(reply: &Reply) {
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["code"], 202, "{reply:?}");
    assert!(reply.body["remark"].is_string(), "{reply:?}");
}

/// HTTP 200 with envelope code `code`.
pub fn assert_refused(reply: &Reply, code: u64) {
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["code"], code, "{reply:?}");
    assert!(reply.body["remark"].is_string(), "{reply:?}");
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}
