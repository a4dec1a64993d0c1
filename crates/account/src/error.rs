//! The account service answers with the cluster's common error type (`chat_common::error`).

pub use chat_common::error::{ServiceError as AccountError, retrying};
