//! The sessions this gateway holds, by user. Delivery looks users up here; moves, kicks and
//! shutdown end sessions through here. A session's outbound queue is bounded: a client that
//! cannot keep up is cut off (1008) rather than let memory grow; it resyncs on reconnect.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chat_wire::frames::close;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What a session's writer sends.
pub enum Outbound {
    /// A serialized server frame (shared between recipients: serialized once per push).
    Text(Bytes),
    /// A pong answering the client's ping.
    Pong(Bytes),
    /// Sends a close frame and ends the session.
    Close(u16, String),
}

/// The protocol a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Ours (`docs/protocol.md`).
    Ours,
    /// The seed client's (`/api/v1/ws/{uid}/chat`): pushes as `"<type>,<json>"`, see `seed`.
    Seed,
}

/// One session, as the rest of the gateway sees it.
pub struct Session {
    pub id: String,
    pub user_id: u64,
    pub dialect: Dialect,
    /// The login session its token belongs to (what a logout or password change revokes).
    pub login_session: String,
    queue: mpsc::Sender<Outbound>,
    /// Cancelled when the session must end at once (its writer and reader stop).
    pub ended: CancellationToken,
    closing: Mutex<Option<(u16, String)>>,
}

pub type SessionRef = Arc<Session>;

impl Session {
    /// A session speaking `dialect`.
    pub fn speaking(
        dialect: Dialect,
        id: String,
        user_id: u64,
        login_session: String,
        queue: mpsc::Sender<Outbound>,
    ) -> SessionRef {
        Arc::new(Self {
            id,
            user_id,
            dialect,
            login_session,
            queue,
            ended: CancellationToken::new(),
            closing: Mutex::new(None),
        })
    }

    /// Queues a frame; a full queue ends the session as a slow consumer.
    pub fn offer(&self, frame: Outbound) -> bool {
        match self.queue.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("chat_gateway_slow_consumer_kicks_total").increment(1);
                self.kill(
                    close::SLOW_CONSUMER,
                    "too slow to read its frames; reconnect and resync",
                );
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Sends `frame` (a `moved` or `kicked`), then closes with `code`. A seed session gets the
    /// close only: its client cannot read our frames, and reconnects on any close but 1000.
    pub fn end_with(&self, frame: Bytes, code: u16, reason: &str) {
        if self.dialect == Dialect::Seed || self.offer(Outbound::Text(frame)) {
            self.offer(Outbound::Close(code, reason.to_owned()));
        }
    }

    /// Ends the session now, with `code` if the socket still takes a close frame.
    pub fn kill(&self, code: u16, reason: &str) {
        if let Ok(mut closing) = self.closing.lock()
            && closing.is_none()
        {
            *closing = Some((code, reason.to_owned()));
        }
        self.ended.cancel();
    }

    /// Why the session was killed (a normal closure when it was not).
    pub fn closing(&self) -> (u16, String) {
        self.closing
            .lock()
            .ok()
            .and_then(|closing| closing.clone())
            .unwrap_or((1000, String::new()))
    }
}

/// Every session of this gateway.
pub struct Hub {
    users: Mutex<Users>,
    /// Upgrades answered (101) whose sessions are not yet added: shutdown waits for them too.
    starting: AtomicUsize,
    max_per_user: usize,
}

#[derive(Default)]
struct Users {
    by_id: HashMap<u64, Vec<SessionRef>>,
    /// Set by [`Hub::close`]: a session added afterwards is told to go elsewhere by its adder.
    closing: bool,
}

/// What [`Hub::add`] tells the new session's owner to do.
pub struct Added {
    /// The user's oldest sessions beyond the limit, to end as kicked.
    pub evicted: Vec<SessionRef>,
    /// The hub was closed before this session arrived: end it as moved.
    pub closing: bool,
}

/// A session on its way into the hub (its upgrade is answered); dropped once added or failed.
pub struct Starting(Arc<Hub>);

impl Drop for Starting {
    fn drop(&mut self) {
        self.0.starting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hub {
    pub fn new(max_per_user: usize) -> Self {
        Self {
            users: Mutex::default(),
            starting: AtomicUsize::new(0),
            max_per_user: max_per_user.max(1),
        }
    }

    fn users(&self) -> std::sync::MutexGuard<'_, Users> {
        self.users
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Counts a session whose upgrade is being answered until the returned guard is dropped.
    pub fn starting(self: &Arc<Self>) -> Starting {
        self.starting.fetch_add(1, Ordering::SeqCst);
        Starting(self.clone())
    }

    /// Adds `session` (ending its [`Starting`] count). Under the same lock as [`Hub::close`], so
    /// a session is either in the list `close` returns or told `closing` here, never neither.
    pub fn add(&self, session: SessionRef, starting: Starting) -> Added {
        let mut users = self.users();
        let closing = users.closing;
        let sessions = users.by_id.entry(session.user_id).or_default();
        sessions.push(session);
        let excess = sessions.len().saturating_sub(self.max_per_user);
        let evicted: Vec<SessionRef> = sessions.drain(..excess).collect();
        metrics::gauge!("chat_gateway_sessions").increment(1.0);
        drop(users);
        drop(starting);
        Added { evicted, closing }
    }

    /// Closes the hub for shutdown: returns every session, and later arrivals learn `closing`.
    pub fn close(&self) -> Vec<SessionRef> {
        let mut users = self.users();
        users.closing = true;
        users.by_id.values().flatten().cloned().collect()
    }

    /// Whether [`Hub::close`] ran (new upgrades are refused).
    pub fn is_closing(&self) -> bool {
        self.users().closing
    }

    /// Sessions held or still starting: shutdown waits until none is left.
    pub fn busy(&self) -> usize {
        self.len() + self.starting.load(Ordering::SeqCst)
    }

    pub fn remove(&self, session: &Session) {
        let mut users = self.users();
        if let Some(sessions) = users.by_id.get_mut(&session.user_id) {
            let before = sessions.len();
            sessions.retain(|s| s.id != session.id);
            if sessions.len() < before {
                metrics::gauge!("chat_gateway_sessions").decrement(1.0);
            }
            if sessions.is_empty() {
                users.by_id.remove(&session.user_id);
            }
        }
    }

    /// The user's sessions (none when not connected here).
    pub fn sessions_of(&self, user: u64) -> Vec<SessionRef> {
        self.users().by_id.get(&user).cloned().unwrap_or_default()
    }

    /// Whether `user` has a session here.
    pub fn holds(&self, user: u64) -> bool {
        self.users().by_id.contains_key(&user)
    }

    /// Every session whose user matches `pick`.
    pub fn sessions_where(&self, pick: impl Fn(u64) -> bool) -> Vec<SessionRef> {
        self.users()
            .by_id
            .iter()
            .filter(|(user, _)| pick(**user))
            .flat_map(|(_, sessions)| sessions.iter().cloned())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.users().by_id.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, user: u64, room: usize) -> (SessionRef, mpsc::Receiver<Outbound>) {
        let (queue, outbound) = mpsc::channel(room);
        (
            Session::speaking(Dialect::Ours, id.into(), user, format!("login-{id}"), queue),
            outbound,
        )
    }

    #[test]
    fn a_seed_session_is_ended_with_a_close_only() {
        let (queue, mut outbound) = mpsc::channel(4);
        let seed = Session::speaking(Dialect::Seed, "s".into(), 1, "login-s".into(), queue);
        seed.end_with(Bytes::from_static(b"{\"type\":\"moved\"}"), 4001, "moved");
        assert!(matches!(outbound.try_recv(), Ok(Outbound::Close(4001, _))));
        let (ours, mut outbound) = session("o", 1, 4);
        ours.end_with(Bytes::from_static(b"{}"), 4001, "moved");
        assert!(matches!(outbound.try_recv(), Ok(Outbound::Text(_))));
        assert!(matches!(outbound.try_recv(), Ok(Outbound::Close(4001, _))));
    }

    #[test]
    fn the_oldest_sessions_beyond_the_limit_are_evicted() {
        let hub = Arc::new(Hub::new(2));
        let (a, _qa) = session("a", 1, 4);
        let (b, _qb) = session("b", 1, 4);
        let (c, _qc) = session("c", 1, 4);
        assert!(hub.add(a, hub.starting()).evicted.is_empty());
        assert!(hub.add(b, hub.starting()).evicted.is_empty());
        let evicted = hub.add(c, hub.starting()).evicted;
        assert_eq!(
            evicted.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            vec!["a"]
        );
        assert_eq!(hub.sessions_of(1).len(), 2);
        hub.remove(&evicted[0]);
        assert_eq!(hub.len(), 2, "removing an evicted session changes nothing");
    }

    #[test]
    fn a_full_queue_ends_the_session_as_a_slow_consumer() {
        let (s, _outbound) = session("s", 1, 1);
        assert!(s.offer(Outbound::Text(Bytes::from_static(b"1"))));
        assert!(!s.offer(Outbound::Text(Bytes::from_static(b"2"))));
        assert!(s.ended.is_cancelled());
        assert_eq!(s.closing().0, close::SLOW_CONSUMER);
    }

    #[test]
    fn sessions_are_found_by_user_and_removed() {
        let hub = Arc::new(Hub::new(5));
        let (a, _qa) = session("a", 1, 4);
        let (b, _qb) = session("b", 2, 4);
        hub.add(a.clone(), hub.starting());
        hub.add(b, hub.starting());
        assert_eq!(hub.sessions_where(|user| user == 2).len(), 1);
        assert!(hub.holds(1));
        hub.remove(&a);
        assert!(hub.sessions_of(1).is_empty());
        assert!(!hub.holds(1) && hub.holds(2));
        assert_eq!(hub.len(), 1);
    }

    #[test]
    fn a_session_arriving_during_shutdown_is_told_to_close_and_is_waited_for() {
        let hub = Arc::new(Hub::new(5));
        let (early, _qe) = session("early", 1, 4);
        hub.add(early, hub.starting());
        let upgrading = hub.starting();
        assert_eq!(hub.busy(), 2, "a session still upgrading counts");

        let closed = hub.close();
        assert_eq!(closed.len(), 1, "close returns the sessions already added");
        assert!(hub.is_closing());

        let (late, _ql) = session("late", 2, 4);
        let added = hub.add(late, upgrading);
        assert!(
            added.closing,
            "the late session learns that the hub is closing"
        );
        assert_eq!(hub.busy(), 2, "both are held until they end");
    }
}
