//! The account schema: migrations and one module of queries per table group.

pub mod friends;
pub mod groups;
pub mod migrations;
pub mod users;

pub use chat_common::mysql::{begin, is_duplicate};
