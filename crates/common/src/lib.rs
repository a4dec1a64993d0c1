//! What every service of the chat cluster shares, and nothing service-specific:
//! command-line flags common to all services, telemetry (logs, traces, metrics), dependency
//! health reporting, graceful shutdown and the start-up error that ends a process in one line.

pub mod admin;
pub mod clock;
pub mod error;
pub mod files;
pub mod flags;
pub mod grpc;
pub mod health;
pub mod hex;
pub mod host;
pub mod instance;
pub mod internal;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "redis")]
pub mod online;
#[cfg(feature = "redis")]
pub mod ratelimit;
#[cfg(feature = "redis")]
pub mod redis;
pub mod shutdown;
#[cfg(feature = "redis")]
pub mod stamps;
pub mod startup;
#[cfg(feature = "files")]
pub mod storage;
pub mod telemetry;
pub mod throttle;

pub use error::ServiceError;
pub use flags::CommonFlags;
pub use health::{DependencyCheck, HealthMonitor};
pub use host::Host;
pub use shutdown::Shutdown;
pub use startup::{StartupError, run_service};
