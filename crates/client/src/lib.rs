//! The Rust client of the chat cluster: typed REST calls ([`Rest`]), one WebSocket
//! ([`WsConnection`]), and the high-level [`Client`] that keeps a session up across gateway
//! moves and outages and delivers every message exactly once, in seq order per conversation.
//!
//! How the client stays exact: after every (re)connect it calls `GET /sync` and lists the
//! conversations, and pulls whatever is past the last seq it delivered; pushes are checked
//! against per-conversation positions ([`SeqTracker`]), repeats dropped and gaps pulled. Sends
//! carry a `client_msg_id` and are sent again after a reconnect until acknowledged (the server
//! stores each id once). See `docs/protocol.md` for the protocol itself.
//!
//! Plain `http`/`ws` only for now (no TLS).

mod backoff;
mod client;
mod connect;
mod driver;
mod endpoint;
mod error;
mod events;
mod handshake;
mod http;
mod pending;
mod rest;
mod resync;
mod seq;
mod types;
mod ws;

/// The shared JSON shapes (messages, content, frames), re-exported for convenience.
pub use chat_wire as wire;

pub use backoff::Backoff;
pub use client::{Client, Config, Events};
pub use connect::Hello;
pub use endpoint::{Endpoint, ws_path};
pub use error::{ApiError, ClientError, Moved, RestError, WsError};
pub use events::{Ack, Event, Stats};
pub use rest::{DEFAULT_TIMEOUT, PAGE_LIMIT, Rest, TRANSFER_TIMEOUT};
pub use resync::StartFrom;
pub use seq::{Outcome, Page, SeqTracker, Sequenced};
pub use types::{
    ConversationPage, FileKind, Friend, FriendRequest, Group, JoinMode, JoinOutcome, Login,
    MessagePage, ReadState, SearchHit, Uploaded, User,
};
pub use ws::{WsConnection, WsEvent};
