//! Typed calls of the REST API (`docs/api.md`) for what clients, tests and the benchmark need.
//! Every call goes to the base URL (the balancer), which sends it to any live gateway.

use std::sync::Arc;
use std::time::Duration;

use chat_wire::{ChatMessage, Conversation, SendRequest, SendResult, UnreadConversation};
use hyper::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::endpoint::{Endpoint, path_segment, query};
use crate::error::{ApiError, RestError};
use crate::http::Http;
use crate::types::{
    ConversationPage, FileKind, Friend, FriendRequest, Group, JoinMode, JoinOutcome, Login,
    MessagePage, ReadState, SearchHit, Uploaded, User,
};

/// The largest page the API serves.
pub const PAGE_LIMIT: u32 = 200;

/// How long one REST exchange may take unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an upload or a download may take (100 MiB at about 1.5 Mbit/s).
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(600);

/// The REST API at one base URL, signed in or not. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Rest {
    endpoint: Endpoint,
    http: Http,
    token: Option<Arc<str>>,
}

impl std::fmt::Debug for Rest {
    /// Never prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rest")
            .field("endpoint", &self.endpoint)
            .field("signed_in", &self.token.is_some())
            .finish()
    }
}

impl Rest {
    /// The API at `base` (`http://127.0.0.1:8080`), not signed in.
    pub fn new(base: &str) -> Result<Self, RestError> {
        Self::with_timeout(base, DEFAULT_TIMEOUT)
    }

    /// The API at `base`, each exchange bounded by `timeout`.
    pub fn with_timeout(base: &str, timeout: Duration) -> Result<Self, RestError> {
        Ok(Self {
            endpoint: Endpoint::parse(base)?,
            http: Http::new(timeout),
            token: None,
        })
    }

    /// The same API acting with `token` (sharing connections).
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Self {
            token: Some(Arc::from(token.into())),
            ..self.clone()
        }
    }

    /// The bearer token, when signed in.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Where the API is.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    // --- accounts ---

    /// Creates an account.
    pub async fn register(&self, username: &str, password: &str) -> Result<User, RestError> {
        let body = json!({ "username": username, "password": password });
        self.post_field("/auth/register", Some(&body), "user").await
    }

    /// Logs in. Use `with_token(login.token)` to act as the user.
    pub async fn login(&self, username: &str, password: &str) -> Result<Login, RestError> {
        let body = json!({ "username": username, "password": password });
        self.post("/auth/login", Some(&body)).await
    }

    /// Registers (when the name is free) and logs in: the usual first step of a test.
    pub async fn sign_up(&self, username: &str, password: &str) -> Result<Login, RestError> {
        self.register(username, password).await?;
        self.login(username, password).await
    }

    /// Ends this session: the token stops working at once.
    pub async fn logout(&self) -> Result<(), RestError> {
        self.exchange(Method::POST, "/auth/logout", None).await?;
        Ok(())
    }

    /// My own card.
    pub async fn me(&self) -> Result<User, RestError> {
        self.get_field("/me", "user").await
    }

    // --- friends and groups ---

    /// Asks `to_user_id` to be my friend (if they already asked me, this accepts theirs).
    pub async fn send_friend_request(
        &self,
        to_user_id: u64,
        message: &str,
    ) -> Result<FriendRequest, RestError> {
        let body = json!({ "to_user_id": to_user_id, "message": message });
        self.post_field("/friends/requests", Some(&body), "request")
            .await
    }

    /// Accepts a request made to me.
    pub async fn accept_friend_request(&self, request_id: u64) -> Result<Friend, RestError> {
        let path = format!("/friends/requests/{request_id}/accept");
        self.post_field(&path, None::<&()>, "friend").await
    }

    /// Makes me and `other` (whose user id is `other_id`) friends: I ask, they accept.
    pub async fn befriend(&self, other: &Rest, other_id: u64) -> Result<Friend, RestError> {
        let request = self.send_friend_request(other_id, "").await?;
        if request.status == "accepted" {
            // They had asked me first: my request accepted theirs.
            return Ok(Friend {
                user: request.to,
                remark: String::new(),
                since_ms: request.updated_at_ms,
            });
        }
        other.accept_friend_request(request.request_id).await
    }

    /// Creates a group with `member_ids` (my friends) in it.
    pub async fn create_group(
        &self,
        name: &str,
        join_mode: JoinMode,
        member_ids: &[u64],
    ) -> Result<Group, RestError> {
        let body = json!({ "name": name, "join_mode": join_mode, "member_ids": member_ids });
        self.post_field("/groups", Some(&body), "group").await
    }

    /// Asks to join a group (`password` for password groups).
    pub async fn join_group(
        &self,
        group_id: u64,
        password: Option<&str>,
    ) -> Result<JoinOutcome, RestError> {
        let path = format!("/groups/{group_id}/join");
        match password {
            Some(password) => {
                let body = json!({ "password": password });
                self.post(&path, Some(&body)).await
            }
            None => self.post(&path, None::<&()>).await,
        }
    }

    /// Users whose username or nickname matches `text` (username prefixes first), with how
    /// each relates to me.
    pub async fn search_users(&self, text: &str) -> Result<Vec<SearchHit>, RestError> {
        let path = format!("/users/search{}", query(&[("q", Some(text.to_owned()))]));
        self.get_field(&path, "hits").await
    }

    /// Friend requests made to me, newest first.
    pub async fn incoming_friend_requests(&self) -> Result<Vec<FriendRequest>, RestError> {
        self.get_field("/friends/requests?direction=incoming", "requests")
            .await
    }

    /// My friends.
    pub async fn friends(&self) -> Result<Vec<Friend>, RestError> {
        self.get_field("/friends", "friends").await
    }

    // --- files ---

    /// Uploads `bytes` as a file of `kind` named `name`; the server sniffs its type and
    /// answers its id for image, voice or file contents.
    pub async fn upload(
        &self,
        kind: FileKind,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<Uploaded, RestError> {
        let path = format!(
            "/files{}",
            query(&[
                ("kind", Some(kind.as_str().to_owned())),
                ("name", Some(name.to_owned())),
            ])
        );
        let body = Some((bytes::Bytes::from(bytes), "application/octet-stream"));
        let reply = self.transfer(Method::POST, &path, body).await?;
        decode(&path, &reply)
    }

    /// Makes my image upload `file_id` my avatar (None: no avatar); answers my profile.
    pub async fn set_avatar(&self, file_id: Option<u64>) -> Result<User, RestError> {
        let path = "/me/avatar";
        let reply = match file_id {
            Some(file_id) => {
                let body = json!({ "file_id": file_id }).to_string().into_bytes();
                self.exchange(Method::PUT, path, Some(body)).await?
            }
            None => self.exchange(Method::DELETE, path, None).await?,
        };
        decode(path, &reply)
    }

    /// The bytes of a file I may read.
    pub async fn download(&self, file_id: u64) -> Result<bytes::Bytes, RestError> {
        self.transfer(Method::GET, &format!("/files/{file_id}"), None)
            .await
    }

    /// A file transfer: like any call, but allowed [`TRANSFER_TIMEOUT`].
    async fn transfer(
        &self,
        method: Method,
        path: &str,
        body: Option<(bytes::Bytes, &str)>,
    ) -> Result<bytes::Bytes, RestError> {
        let url = self.endpoint.api_url(path);
        let reply = self
            .http
            .call_within(method, &url, self.token.as_deref(), body, TRANSFER_TIMEOUT)
            .await?;
        if (200..300).contains(&reply.status) {
            Ok(reply.body)
        } else {
            Err(ApiError::from_reply(reply.status, &reply.body, reply.retry_after).into())
        }
    }

    // --- messages ---

    /// Sends a message over REST (clients without a WebSocket); idempotent on
    /// `client_msg_id`.
    pub async fn send(&self, request: &SendRequest) -> Result<SendResult, RestError> {
        self.post("/messages", Some(request)).await
    }

    /// Every conversation with unread messages, with the oldest unread of each.
    pub async fn sync(&self) -> Result<Vec<UnreadConversation>, RestError> {
        self.get_field("/sync", "conversations").await
    }

    /// One page of my conversations; `cursor` is empty for the first.
    pub async fn conversations_page(
        &self,
        cursor: &str,
        limit: u32,
    ) -> Result<ConversationPage, RestError> {
        let query = query(&[
            ("cursor", (!cursor.is_empty()).then(|| cursor.to_owned())),
            ("limit", Some(limit.to_string())),
        ]);
        self.get(&format!("/conversations{query}")).await
    }

    /// All my conversations, most recently active first.
    pub async fn conversations(&self) -> Result<Vec<Conversation>, RestError> {
        let mut all = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self.conversations_page(&cursor, PAGE_LIMIT).await?;
            all.extend(page.conversations);
            if page.next_cursor.is_empty() || page.next_cursor == cursor {
                return Ok(all);
            }
            cursor = page.next_cursor;
        }
    }

    /// One page of messages with seq > `after`, oldest first.
    pub async fn pull_page(
        &self,
        conversation_id: &str,
        after: u64,
        limit: u32,
    ) -> Result<MessagePage, RestError> {
        self.page(conversation_id, ("after", after), limit).await
    }

    /// Every message with seq > `after`, oldest first (paging until `has_more` is false).
    pub async fn pull_after(
        &self,
        conversation_id: &str,
        after: u64,
    ) -> Result<Vec<ChatMessage>, RestError> {
        let mut all: Vec<ChatMessage> = Vec::new();
        let mut after = after;
        loop {
            let page = self.pull_page(conversation_id, after, PAGE_LIMIT).await?;
            let last = page.messages.last().map(|message| message.seq);
            all.extend(page.messages);
            match last {
                Some(last) if page.has_more && last > after => after = last,
                _ => return Ok(all),
            }
        }
    }

    /// One page of messages with seq < `before`, newest first (`before` 0: the newest page).
    pub async fn history(
        &self,
        conversation_id: &str,
        before: u64,
        limit: u32,
    ) -> Result<MessagePage, RestError> {
        self.page(conversation_id, ("before", before), limit).await
    }

    async fn page(
        &self,
        conversation_id: &str,
        (direction, seq): (&str, u64),
        limit: u32,
    ) -> Result<MessagePage, RestError> {
        let query = query(&[
            (direction, Some(seq.to_string())),
            ("limit", Some(limit.to_string())),
        ]);
        let path = format!(
            "/conversations/{}/messages{query}",
            path_segment(conversation_id)
        );
        self.get(&path).await
    }

    /// Moves my read cursor forward to `seq` (never back); tells the peer and my other devices.
    pub async fn mark_read(&self, conversation_id: &str, seq: u64) -> Result<ReadState, RestError> {
        let path = format!("/conversations/{}/read", path_segment(conversation_id));
        self.post(&path, Some(&json!({ "seq": seq }))).await
    }

    /// Recalls my message `seq`; returns the recall event's own seq.
    pub async fn recall(&self, conversation_id: &str, seq: u64) -> Result<u64, RestError> {
        let path = format!(
            "/conversations/{}/messages/{seq}/recall",
            path_segment(conversation_id)
        );
        self.post_field(&path, None::<&()>, "recall_seq").await
    }

    // --- plumbing ---

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, RestError> {
        let body = self.exchange(Method::GET, path, None).await?;
        decode(path, &body)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, RestError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|error| RestError::Decode {
                call: path.to_owned(),
                error: error.to_string(),
            })?;
        let reply = self.exchange(Method::POST, path, body).await?;
        decode(path, &reply)
    }

    /// A GET whose answer wraps its one value in an object (`{"user": {...}}`).
    async fn get_field<T: DeserializeOwned>(&self, path: &str, key: &str) -> Result<T, RestError> {
        let body = self.exchange(Method::GET, path, None).await?;
        decode_field(path, &body, key)
    }

    /// A POST whose answer wraps its one value in an object.
    async fn post_field<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
        key: &str,
    ) -> Result<T, RestError> {
        let value: serde_json::Value = self.post(path, body).await?;
        from_value(path, value, key)
    }

    /// One call; a status outside 2xx becomes `RestError::Api`.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<bytes::Bytes, RestError> {
        let url = self.endpoint.api_url(path);
        let reply = self
            .http
            .call(method, &url, self.token.as_deref(), body)
            .await?;
        if (200..300).contains(&reply.status) {
            Ok(reply.body)
        } else {
            Err(ApiError::from_reply(reply.status, &reply.body, reply.retry_after).into())
        }
    }
}

/// Reads a success body as `T`.
fn decode<T: DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, RestError> {
    serde_json::from_slice(body).map_err(|error| RestError::Decode {
        call: path.to_owned(),
        error: error.to_string(),
    })
}

/// Reads `key` of a success body as `T`.
fn decode_field<T: DeserializeOwned>(path: &str, body: &[u8], key: &str) -> Result<T, RestError> {
    let value: serde_json::Value = decode(path, body)?;
    from_value(path, value, key)
}

/// `value[key]` as `T`; a missing key is a decoding error, not a default.
fn from_value<T: DeserializeOwned>(
    path: &str,
    mut value: serde_json::Value,
    key: &str,
) -> Result<T, RestError> {
    let field = value
        .get_mut(key)
        .map(serde_json::Value::take)
        .ok_or_else(|| RestError::Decode {
            call: path.to_owned(),
            error: format!("no `{key}` in the answer"),
        })?;
    serde_json::from_value(field).map_err(|error| RestError::Decode {
        call: path.to_owned(),
        error: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::User;

    #[test]
    fn a_wrapped_answer_yields_its_field() {
        let body = br#"{"user": {"user_id": 3, "username": "ann"}}"#;
        let user: User = decode_field("/me", body, "user").unwrap();
        assert_eq!(user.user_id, 3);
        let seq: u64 = decode_field("/x", br#"{"recall_seq": 9}"#, "recall_seq").unwrap();
        assert_eq!(seq, 9);
    }

    #[test]
    fn a_missing_or_malformed_field_is_a_decoding_error_naming_the_call() {
        let missing = decode_field::<User>("/me", br#"{"person": {}}"#, "user").unwrap_err();
        assert!(
            matches!(&missing, RestError::Decode { call, error } if call == "/me" && error.contains("`user`")),
            "{missing}"
        );
        let malformed = decode_field::<User>("/me", br#"{"user": {"user_id": "x"}}"#, "user");
        assert!(matches!(malformed, Err(RestError::Decode { .. })));
        assert!(matches!(
            decode::<User>("/me", b"not json"),
            Err(RestError::Decode { .. })
        ));
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let rest = Rest::new("http://127.0.0.1:8080")
            .unwrap()
            .with_token("secret-token");
        assert_eq!(rest.token(), Some("secret-token"));
        let shown = format!("{rest:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("signed_in: true"), "{shown}");
    }
}
