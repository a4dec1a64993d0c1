//! The contracts of the chat cluster, generated at build time from `proto/`.
//!
//! The modules nest as the proto packages do (generated code refers across packages by
//! relative paths); the short aliases at the top are what the rest of the workspace uses.

#![allow(clippy::all, missing_docs)]

/// Generated code, one module per proto package (`chat.<name>.v1`).
pub mod chat {
    pub mod common {
        pub mod v1 {
            tonic::include_proto!("chat.common.v1");
        }
    }
    pub mod router {
        pub mod v1 {
            tonic::include_proto!("chat.router.v1");
        }
    }
    pub mod account {
        pub mod v1 {
            tonic::include_proto!("chat.account.v1");
        }
    }
    pub mod message {
        pub mod v1 {
            tonic::include_proto!("chat.message.v1");
        }
    }
    pub mod push {
        pub mod v1 {
            tonic::include_proto!("chat.push.v1");
        }
    }
}

/// Users, friends, groups and notifications.
pub use chat::account::v1 as account;
/// Types shared by several contracts (profiles, message content, pages).
pub use chat::common::v1 as common;
/// Messages, conversations, sync and read cursors.
pub use chat::message::v1 as message;
/// The envelope producers put on the RocketMQ push topic.
pub use chat::push::v1 as push;
/// The gateway registry and slot table.
pub use chat::router::v1 as router;

mod send_failure;
