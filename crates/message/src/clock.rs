//! Wall-clock time in milliseconds since the Unix epoch, as stored and sent.

pub use chat_common::clock::now_ms;
