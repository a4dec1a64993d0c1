//! The seed system's API, served beside our own so that the seed's desktop client works against
//! the cluster unchanged (`docs/seed-compat.md`; the contract is the seed's client). Every call
//! translates to the same account and message gRPC calls as our REST API: one source of truth,
//! our rules, and the seed's `{"code", "data", "remark"}` envelope around the answers.

mod apply;
mod auth;
mod body;
mod envelope;
mod file;
mod frames;
mod friends;
mod group_unread;
mod groups;
mod msg;
mod pull;
pub mod realtime;
mod send;
mod unread;
mod user;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use chat_common::internal::InternalChannel;
use chat_proto::account::account_client::AccountClient;
use chat_proto::message::message_client::MessageClient;

use crate::rest::cidr::Cidr;
use crate::rest::files::{Files, Kind};

/// What the seed handlers call.
pub struct SeedState {
    pub account: AccountClient<InternalChannel>,
    pub message: MessageClient<InternalChannel>,
    /// Peers whose `X-Real-IP` is believed (`--trusted-proxies`).
    pub trusted_proxies: Vec<Cidr>,
    /// Our object storage: the seed's voice notes are our `voice` uploads.
    pub files: Arc<Files>,
    /// Rate limits shared with our API and every gateway.
    pub limits: Arc<crate::limits::Limits>,
}

/// Items a page when a seed list gathers every page of ours (the account service's maximum).
const PAGE: u32 = 100;
/// The most pages one seed list gathers: 2,000 friends, applications or members.
const MAX_PAGES: usize = 20;
/// What a `file/upload` form may carry beyond the voice note itself (boundaries, part headers,
/// small fields): the note is counted against the voice limit as it streams, the form against
/// this much more.
const FORM_OVERHEAD: usize = 64 * 1024;

/// The seed's routes under `/api/v1` (and at the root too with `bare_paths`), bodies bounded
/// by `body_limit`.
pub fn router(state: SeedState, body_limit: usize, bare_paths: bool) -> Router {
    let upload_limit = usize::try_from(state.files.limit(Kind::Voice))
        .unwrap_or(usize::MAX)
        .saturating_add(FORM_OVERHEAD);
    let api = Router::new()
        .route("/user/insertUser", post(user::insert_user))
        .route("/user/login", post(user::login))
        .route("/user/userInfo", post(user::user_info))
        .route("/user/searchUser", post(user::search_user))
        .route("/friendship/friendList", post(friends::friend_list))
        .route("/applyFriend/applyFriend", post(apply::apply_friend))
        .route("/applyFriend/applyRecord", post(apply::apply_record))
        .route(
            "/applyFriend/applyFriendConfirm",
            post(apply::apply_friend_confirm),
        )
        .route("/groupInfo/addGroupChat", post(groups::add_group_chat))
        .route(
            "/groupInfo/findGroupMemberById",
            get(groups::find_group_member_by_id),
        )
        .route(
            "/groupInfo/findAllGroupMemberById",
            get(groups::find_all_group_member_by_id),
        )
        .route(
            "/groupInfo/addGroupMembers",
            post(groups::add_group_members),
        )
        .route("/chatMsg/sendMsg", post(send::send_msg))
        .route(
            "/chatMsg/selectNotReadMsg",
            post(unread::select_not_read_msg),
        )
        .route(
            "/chatMsg/selectGroupChatMsgNotRead",
            post(group_unread::select_group_chat_msg_not_read),
        )
        // Set inside the route, so it replaces the general limit below for this route only.
        .route(
            "/file/upload",
            post(file::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/file/download", get(file::download))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(Arc::new(state));
    let prefixed = Router::new().nest("/api/v1", api.clone());
    if bare_paths {
        prefixed.merge(api)
    } else {
        prefixed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    /// A router whose backends are never reached (the calls below stop at the token check).
    fn app(bare_paths: bool) -> Router {
        let channel = chat_common::internal::InternalSecret::default()
            .channel(tonic::transport::Endpoint::from_static("http://127.0.0.1:9").connect_lazy());
        router(
            SeedState {
                account: AccountClient::new(channel.clone()),
                message: MessageClient::new(channel),
                trusted_proxies: Vec::new(),
                files: Arc::new(
                    Files::open(
                        &chat_common::storage::Storage::Disabled,
                        crate::rest::files::FileLimits {
                            image: 1024,
                            voice: 1024,
                            file: 1024,
                        },
                        None,
                        std::time::Duration::from_secs(60),
                    )
                    .unwrap(),
                ),
                limits: Arc::new(crate::limits::Limits::disabled()),
            },
            1024,
            bare_paths,
        )
    }

    async fn post(app: Router, path: &str) -> (StatusCode, serde_json::Value) {
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", "application/json")
            .body(axum::body::Body::from("{}"))
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[tokio::test]
    async fn a_call_without_a_token_is_code_506_over_http_200() {
        let (status, body) = post(app(false), "/api/v1/user/userInfo").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["code"], 506);
        assert!(
            body["data"].is_null() && body["remark"].is_string(),
            "{body}"
        );
    }

    #[tokio::test]
    async fn voice_notes_need_the_token_and_a_failed_download_is_not_http_200() {
        let (status, body) = post(app(false), "/api/v1/file/upload").await;
        assert_eq!((status, body["code"].as_u64()), (StatusCode::OK, Some(506)));
        let request = Request::builder()
            .uri("/api/v1/file/download?fileName=%2F42")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app(false).oneshot(request).await.unwrap();
        // The client reads a download as bytes whatever it is: a refusal must fail the call.
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn bare_paths_are_served_only_when_asked() {
        let (status, _) = post(app(false), "/user/userInfo").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = post(app(true), "/user/userInfo").await;
        assert_eq!((status, body["code"].as_u64()), (StatusCode::OK, Some(506)));
        let (status, body) = post(app(true), "/api/v1/user/userInfo").await;
        assert_eq!((status, body["code"].as_u64()), (StatusCode::OK, Some(506)));
    }
}
