//! The public JSON shapes of chat data, one definition shared by the REST API, the WebSocket
//! protocol and the Rust client library, so that the three cannot drift apart.
//!
//! Server output (messages, conversations, results) converts from the proto types; client
//! input (what to send) converts into them, and refuses what only the server may set.

mod content;
mod error;
pub mod frames;
mod message;
pub mod seed;
mod send;
#[cfg(feature = "ws")]
pub mod ws;

pub use content::{Content, parse_custom_json};
pub use error::WireError;
pub use frames::{ClientFrame, ServerFrame};
pub use message::{ChatMessage, Conversation, ConversationKind, UnreadConversation};
pub use send::{SendRequest, SendResult, SeqReadCount};
