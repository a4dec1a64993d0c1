//! REST answers the client reads that are not chat data (chat data is `chat-wire`'s). Fields the
//! client does not need default when absent, so that the server may add to its shapes.

use chat_wire::{ChatMessage, Conversation};
use serde::{Deserialize, Serialize};

/// A user's public card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub user_id: u64,
    pub username: String,
    #[serde(default)]
    pub nickname: String,
    #[serde(default)]
    pub avatar_url: String,
    /// The image upload that is the avatar (0: none, or an address from older data).
    #[serde(default)]
    pub avatar_file_id: u64,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub last_seen_ms: i64,
    #[serde(default)]
    pub online: bool,
}

/// A successful login: the bearer token and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub token: String,
    #[serde(default)]
    pub expires_at_ms: i64,
    pub user: User,
}

/// A friend request as either side sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendRequest {
    pub request_id: u64,
    #[serde(default)]
    pub from: Option<User>,
    #[serde(default)]
    pub to: Option<User>,
    #[serde(default)]
    pub message: String,
    /// `pending`, `accepted` (a crossing request accepts at once), `rejected`, `cancelled`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub created_at_ms: i64,
    #[serde(default)]
    pub updated_at_ms: i64,
}

/// A friend with my remark for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Friend {
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub remark: String,
    #[serde(default)]
    pub since_ms: i64,
}

/// How others get into a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinMode {
    /// Anyone joins at once.
    Open,
    /// Joining files a request the owner or an admin approves.
    Approval,
    /// Only invitations.
    InviteOnly,
    /// Anyone with the password.
    Password,
}

/// A group's card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub group_id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub avatar_url: String,
    /// The image upload that is the avatar (0: none, or an address from older data).
    #[serde(default)]
    pub avatar_file_id: u64,
    #[serde(default)]
    pub join_mode: String,
    #[serde(default)]
    pub owner_id: u64,
    #[serde(default)]
    pub member_count: u32,
    #[serde(default)]
    pub member_limit: u32,
    #[serde(default)]
    pub created_at_ms: i64,
    /// `owner`, `admin`, `member` or `none`.
    #[serde(default)]
    pub my_role: String,
}

/// What asking to join a group did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinOutcome {
    /// `joined` or `pending_approval`.
    pub outcome: String,
    /// The request filed, for `pending_approval`.
    #[serde(default)]
    pub join_request_id: u64,
}

impl JoinOutcome {
    /// True when I am a member now.
    pub fn joined(&self) -> bool {
        self.outcome == "joined"
    }
}

/// One page of a conversation's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePage {
    /// Oldest first for `after`, newest first for `before`.
    pub messages: Vec<ChatMessage>,
    pub has_more: bool,
    /// The conversation's newest seq, read before the page (so every seq up to it that the
    /// page lacks is hidden from me).
    #[serde(default)]
    pub max_seq: u64,
}

/// One page of my conversations, most recently active first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationPage {
    pub conversations: Vec<Conversation>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_cursor: String,
}

/// My read cursor after marking a conversation read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {
    pub read_seq: u64,
    pub unread: u64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_login_answer_reads_with_or_without_optional_fields() {
        let login: Login = serde_json::from_value(json!({
            "token": "t", "expires_at_ms": 5,
            "user": {"user_id": 7, "username": "ann", "nickname": "Ann", "avatar_url": "",
                     "bio": "", "last_seen_ms": 0, "online": true}
        }))
        .unwrap();
        assert_eq!(login.user.user_id, 7);
        assert!(login.user.online);
        let bare: Login =
            serde_json::from_value(json!({"token": "t", "user": {"user_id": 8, "username": "b"}}))
                .unwrap();
        assert_eq!(bare.user.nickname, "");
    }

    #[test]
    fn join_modes_and_outcomes_use_the_documented_words() {
        assert_eq!(
            serde_json::to_value(JoinMode::InviteOnly).unwrap(),
            json!("invite_only")
        );
        let outcome: JoinOutcome =
            serde_json::from_value(json!({"outcome": "joined", "join_request_id": 0})).unwrap();
        assert!(outcome.joined());
        let pending: JoinOutcome =
            serde_json::from_value(json!({"outcome": "pending_approval", "join_request_id": 3}))
                .unwrap();
        assert!(!pending.joined());
    }

    #[test]
    fn a_friend_request_without_users_still_reads() {
        let request: FriendRequest = serde_json::from_value(
            json!({"request_id": 12, "from": null, "to": null, "status": "pending"}),
        )
        .unwrap();
        assert_eq!(request.request_id, 12);
        assert!(request.from.is_none());
    }
}

/// What an upload is meant to be: each kind has its own size limit and allowed types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Image,
    Voice,
    File,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Voice => "voice",
            Self::File => "file",
        }
    }
}

/// A stored upload, to name in image, voice or file contents by `file_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uploaded {
    pub file_id: u64,
    pub kind: String,
    /// The type the server sniffed from the bytes.
    pub mime: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub name: String,
}

/// A user found by search, and how they relate to me (`none`, `friend`, `request_sent`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub user: User,
    #[serde(default)]
    pub relation: String,
}
