//! The public REST API under `/api/v1`: JSON in and out, errors as `{"code", "message"}`, every
//! call authorized by the account service for the exact resource it touches.

mod accounts;
mod avatars;
pub mod cidr;
pub mod error;
pub mod extract;
pub mod files;
mod friends;
mod groups;
mod messages;
pub mod notifications;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::routing::{get, post, put};
use chat_common::internal::InternalChannel;
use chat_proto::account::account_client::AccountClient;
use chat_proto::message::message_client::MessageClient;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The OpenAPI document of this API (`docs/openapi.json`).
const OPENAPI: &str = include_str!("../../../../docs/openapi.json");

/// What the REST handlers call.
pub struct RestState {
    pub account: AccountClient<InternalChannel>,
    pub message: MessageClient<InternalChannel>,
    /// Peers whose `X-Real-IP` is believed (`--trusted-proxies`).
    pub trusted_proxies: Vec<cidr::Cidr>,
    /// Where uploads go (`--files-dir`) and how large they may be; shared with the seed API.
    pub files: Arc<files::Files>,
    /// Rate limits shared with every gateway (`--rate-limit`).
    pub limits: Arc<crate::limits::Limits>,
}

/// The `/api/v1` routes. `body_limit` bounds request bodies (413 beyond; uploads have their
/// own limits); `cors_origins` lists the browser origins allowed to call the API (`*` for any;
/// empty for none).
pub fn router(state: RestState, body_limit: usize, cors_origins: &[String]) -> Router {
    let api = Router::new()
        .route("/auth/register", post(accounts::register))
        .route("/auth/login", post(accounts::login))
        .route("/auth/logout", post(accounts::logout))
        .route("/me", get(accounts::me).patch(accounts::update_me))
        .route(
            "/me/password",
            axum::routing::put(accounts::change_password),
        )
        .route(
            "/me/avatar",
            put(avatars::set_mine).delete(avatars::clear_mine),
        )
        .route("/users", get(accounts::users))
        .route("/users/search", get(accounts::search))
        .route("/friends", get(friends::list_friends))
        .route(
            "/friends/{id}",
            axum::routing::delete(friends::delete_friend),
        )
        .route(
            "/friends/{id}/remark",
            axum::routing::put(friends::set_remark),
        )
        .route(
            "/friends/requests",
            get(friends::list_requests).post(friends::send_request),
        )
        .route("/friends/requests/{id}/accept", post(friends::accept))
        .route("/friends/requests/{id}/reject", post(friends::reject))
        .route("/friends/requests/{id}/cancel", post(friends::cancel))
        .route("/groups", get(groups::mine).post(groups::create))
        .route(
            "/groups/{id}",
            get(groups::get)
                .patch(groups::update)
                .delete(groups::dissolve),
        )
        .route(
            "/groups/{id}/avatar",
            put(avatars::set_group).delete(avatars::clear_group),
        )
        .route("/groups/{id}/members", get(groups::members))
        .route(
            "/groups/{id}/members/{user}",
            axum::routing::delete(groups::kick),
        )
        .route(
            "/groups/{id}/admins/{user}",
            axum::routing::put(groups::make_admin).delete(groups::unmake_admin),
        )
        .route(
            "/groups/{id}/mutes/{user}",
            axum::routing::put(groups::mute).delete(groups::unmute),
        )
        .route("/groups/{id}/invitations", post(groups::invite))
        .route("/groups/{id}/join", post(groups::join))
        .route("/groups/{id}/join-requests", get(groups::join_requests))
        .route("/groups/{id}/leave", post(groups::leave))
        .route("/groups/{id}/transfer", post(groups::transfer))
        .route("/groups/join-requests/{id}/approve", post(groups::approve))
        .route("/groups/join-requests/{id}/reject", post(groups::reject))
        .route("/notifications", get(notifications::list))
        .route("/messages", post(messages::send))
        .route("/conversations", get(messages::conversations))
        .route(
            "/conversations/{conversation_id}/messages",
            get(messages::pull),
        )
        .route(
            "/conversations/{conversation_id}/messages/{seq}/recall",
            post(messages::recall),
        )
        .route(
            "/conversations/{conversation_id}/messages/delete-for-me",
            post(messages::delete_for_me),
        )
        .route(
            "/conversations/{conversation_id}/read",
            post(messages::mark_read),
        )
        .route(
            "/conversations/{conversation_id}/read-counts",
            get(messages::read_counts),
        )
        .route("/sync", get(messages::sync))
        .route("/blocks", get(friends::list_blocked))
        .route(
            "/blocks/{id}",
            axum::routing::put(friends::block).delete(friends::unblock),
        )
        .route("/openapi.json", get(openapi))
        .layer(DefaultBodyLimit::max(body_limit))
        // Merged after the layer: uploads have limits of their own, per kind.
        .merge(files::routes())
        .with_state(Arc::new(state));
    let api = match cors(cors_origins) {
        Some(layer) => api.layer(layer),
        None => api,
    };
    Router::new().nest("/api/v1", api)
}

async fn openapi() -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
    )
}
