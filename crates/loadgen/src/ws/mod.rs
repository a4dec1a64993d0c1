//! Driving sessions over WebSocket through the balancer: opening them ([`session`], [`fleet`]),
//! one task per session that sends and records ([`peer`]), the traffic that feeds them
//! ([`traffic`]), and what each session saw ([`ledger`], [`stamp`]).

pub mod fleet;
pub mod ledger;
pub mod load;
pub mod peer;
pub mod session;
pub mod stamp;
pub mod traffic;
