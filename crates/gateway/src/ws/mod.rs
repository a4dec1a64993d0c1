//! The realtime side of the gateway: the WebSocket endpoint, sessions, the hub that holds them,
//! and delivery of pushes (protocol: `docs/protocol.md`).

pub mod auth;
pub mod deliver;
pub mod endpoint;
pub mod hub;
pub mod session;

use std::sync::Arc;

use chat_routing::{SlotTable, slot_of};
use chat_wire::ServerFrame;
use chat_wire::frames::close;

use crate::moves::MoveHandler;
use hub::Hub;

/// Moves: the sessions of users in lost slots get `moved` and close 4001, so their clients
/// reconnect through OpenResty to the new owner.
pub struct HubMoves(pub Arc<Hub>);

impl MoveHandler for HubMoves {
    fn slots_moved(&self, lost: &[u32], table: &SlotTable) {
        let lost: std::collections::HashSet<u32> = lost.iter().copied().collect();
        let sessions = self.0.sessions_where(|user| lost.contains(&slot_of(user)));
        tracing::info!(
            slots = lost.len(),
            sessions = sessions.len(),
            epoch = table.epoch(),
            "slots moved away"
        );
        end_all(&sessions, "your slot moved to another gateway");
    }
}

/// Why sessions are told `moved` when their gateway stops.
pub const SHUTTING_DOWN: &str = "this gateway is shutting down";

/// Sends `moved` and closes 4001 on each session.
pub fn end_all(sessions: &[hub::SessionRef], reason: &str) {
    let frame = session::encode(&ServerFrame::Moved {
        reason: reason.to_owned(),
    });
    for session in sessions {
        session.end_with(frame.clone(), close::MOVED, reason);
    }
}

/// Ends, as `kicked` (close 4002), the sessions of `user_id` whose login session `ends` says
/// was revoked; returns how many.
pub fn kick_logins(hub: &Hub, user_id: u64, reason: &str, ends: impl Fn(&str) -> bool) -> usize {
    let frame = session::encode(&ServerFrame::Kicked {
        reason: reason.to_owned(),
    });
    let mut kicked = 0;
    for session in hub.sessions_of(user_id) {
        if ends(&session.login_session) {
            session.end_with(frame.clone(), close::KICKED, reason);
            kicked += 1;
        }
    }
    kicked
}
