//! What the seed client sends to each call: JSON bodies (read with [`super::parse_body`]) and
//! query strings (read as axum's `Query` reads them). Numbers may come as digit strings
//! ([`super::fields`]).

use serde::Deserialize;

use super::fields;

/// `user/insertUser`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub name: String,
    pub password: String,
    pub confirm_pwd: String,
}

/// `user/login`.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// `user/searchUser`.
#[derive(Debug, Deserialize)]
pub struct Search {
    #[serde(default)]
    pub username: String,
}

/// `friendship/friendList`.
#[derive(Debug, Deserialize)]
pub struct FriendQuery {
    /// Keeps friends whose name or remark contains it; empty keeps all.
    #[serde(default)]
    pub name: String,
}

/// `applyFriend/applyFriend`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewApplication {
    #[serde(deserialize_with = "fields::id")]
    pub target_user: u64,
    #[serde(default)]
    pub proposer_remark: String,
    #[serde(default)]
    pub applied_remark: String,
}

/// `applyFriend/applyRecord?updateLast=` (a query string).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Since {
    /// Only applications changed after this (epoch ms).
    #[serde(default)]
    pub update_last: Option<String>,
}

/// `applyFriend/applyFriendConfirm`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Confirmation {
    #[serde(deserialize_with = "fields::id")]
    pub proposer_id: u64,
    #[serde(deserialize_with = "fields::id")]
    pub target_user: u64,
    #[serde(default)]
    pub applied_remark: String,
    #[serde(deserialize_with = "fields::int")]
    pub apply_pass: i64,
}

/// `groupInfo/addGroupChat`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewGroup {
    pub group_name: String,
    #[serde(default)]
    pub group_remark: String,
}

/// `groupInfo/findGroupMemberById?groupId=` and `findAllGroupMemberById` (query strings).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    #[serde(default)]
    pub group_id: Option<String>,
}

/// `groupInfo/addGroupMembers`: `userIds` are numbers or digit strings, checked by the handler.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMembers {
    #[serde(deserialize_with = "fields::id")]
    pub group_id: u64,
    pub user_ids: Vec<serde_json::Value>,
}

/// `chatMsg/sendMsg`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedSend {
    #[serde(deserialize_with = "fields::int")]
    pub chat_type: i64,
    #[serde(default, deserialize_with = "fields::opt_int")]
    pub content_type: Option<i64>,
    pub content: String,
    #[serde(default, deserialize_with = "fields::opt_int")]
    pub send_user_id: Option<i64>,
    #[serde(default, deserialize_with = "fields::opt_int")]
    pub receive_user_id: Option<i64>,
    #[serde(default, deserialize_with = "fields::opt_int")]
    pub friend_id: Option<i64>,
    #[serde(default, deserialize_with = "fields::opt_int")]
    pub group_id: Option<i64>,
    /// When the client composed it (epoch ms).
    #[serde(default, deserialize_with = "fields::opt_int")]
    pub date_time: Option<i64>,
    /// A voice note's length in seconds.
    #[serde(default, deserialize_with = "fields::opt_int")]
    pub content_len: Option<i64>,
}

/// One group of `chatMsg/selectGroupChatMsgNotRead`: the last message the client has.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupCursor {
    #[serde(deserialize_with = "fields::id")]
    pub group_id: u64,
    #[serde(default, deserialize_with = "fields::opt_int")]
    pub msg_id: Option<i64>,
}

/// `chatMsg/selectGroupChatMsgNotRead`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupCursors {
    #[serde(default)]
    pub group_list: Vec<GroupCursor>,
}

/// `file/download?fileName=` (a query string).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadQuery {
    pub file_name: Option<String>,
}
