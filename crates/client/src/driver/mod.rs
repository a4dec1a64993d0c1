//! The task behind a `Client`: it keeps one session up, reconnects with backoff, resyncs after
//! every connect, orders deliveries through the seq tracker and matches acks to sends.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_wire::ClientFrame;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::backoff::random_unit;
use crate::client::Config;
use crate::connect::{Hello, OpenError, open_session};
use crate::endpoint::Endpoint;
use crate::error::{ClientError, WsError};
use crate::events::{Ack, Counters, Event, Item};
use crate::pending::{Outgoing, PendingSends};
use crate::rest::Rest;
use crate::resync::{self, TaskDone};
use crate::seq::SeqTracker;
use crate::ws::{WsConnection, WsEvent};

mod frames;
mod tasks;

/// How often timeouts, retries and heartbeats are looked at.
const TICK: Duration = Duration::from_secs(1);
/// Pulls in flight at once (a reconnect may find many conversations behind).
const MAX_PULLS: usize = 4;
/// How long a polite close waits for the server's echo.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Whoever waits for a send's answer (several, if the same id was sent again meanwhile).
pub(crate) type Replies = Vec<oneshot::Sender<Result<Ack, ClientError>>>;

/// What a `Client` asks of its driver.
pub(crate) enum Command {
    Send {
        outgoing: Outgoing,
        reply: oneshot::Sender<Result<Ack, ClientError>>,
    },
    Typing {
        conversation_id: String,
    },
    Close {
        done: oneshot::Sender<()>,
    },
}

/// Why a session ended.
enum End {
    /// Connect again (and resync).
    Reconnect {
        reason: String,
        close_code: Option<u16>,
    },
    /// Stop for good (closed by the application, kicked, unauthorized).
    Stop,
}

impl End {
    fn reconnect(reason: impl Into<String>) -> Self {
        Self::Reconnect {
            reason: reason.into(),
            close_code: None,
        }
    }
}

/// One session's state.
struct Session {
    connection: WsConnection,
    heartbeat: Duration,
    idle_timeout: Duration,
    last_received: Instant,
    last_sent: Instant,
    /// When timeouts, retries and the heartbeat are looked at next. Kept here, not computed
    /// afresh on every turn of the loop: a session that gets a frame more often than every
    /// `TICK` would otherwise push the tick away for as long as traffic lasted, and sends
    /// answered `unavailable` waited for the traffic to stop before they went again.
    next_tick: Instant,
    /// The survey and pulls of this session; dropping the set cancels them.
    tasks: JoinSet<TaskDone>,
    pulls_in_flight: usize,
    surveyed: bool,
    resynced: bool,
    /// Items recovered by sync and pulls since the session started.
    recovered: u64,
    /// Why the server said we moved, for the disconnect reason.
    moved: Option<String>,
}

impl Session {
    fn new(connection: WsConnection, hello: &Hello) -> Self {
        let now = Instant::now();
        Self {
            connection,
            heartbeat: hello.heartbeat,
            idle_timeout: hello.idle_timeout,
            last_received: now,
            last_sent: now,
            next_tick: now + TICK,
            tasks: JoinSet::new(),
            pulls_in_flight: 0,
            surveyed: false,
            resynced: false,
            recovered: 0,
            moved: None,
        }
    }

    /// Writes a frame. A failure means the connection is gone; the reader reports why.
    async fn write(&mut self, frame: &ClientFrame) {
        let _ = self.connection.send(frame).await;
        self.last_sent = Instant::now();
    }
}

/// The driver's state across sessions.
pub(crate) struct Driver {
    config: Arc<Config>,
    endpoint: Endpoint,
    rest: Rest,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
    tracker: SeqTracker<Item>,
    pending: PendingSends<Replies>,
    counters: Arc<Counters>,
    /// Conversations a pull was refused for (a group I left).
    unreadable: HashSet<String>,
    /// Connection attempts since the last complete resync (the backoff exponent).
    failures: u32,
    /// The application's `close`, answered when the driver has stopped.
    closed: Option<oneshot::Sender<()>>,
}

impl Driver {
    pub fn new(
        config: Arc<Config>,
        rest: Rest,
        tracker: SeqTracker<Item>,
        commands: mpsc::UnboundedReceiver<Command>,
        events: mpsc::UnboundedSender<Event>,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            endpoint: rest.endpoint().clone(),
            config,
            rest,
            commands,
            events,
            tracker,
            pending: PendingSends::default(),
            counters,
            unreadable: HashSet::new(),
            failures: 0,
            closed: None,
        }
    }

    /// Serves sessions until the client stops.
    pub async fn run(mut self, connection: WsConnection, hello: Hello) {
        let mut session = (connection, hello);
        loop {
            match self.serve(session.0, session.1).await {
                End::Stop => break,
                End::Reconnect { reason, close_code } => {
                    self.tracker.abandon_pulls(Instant::now());
                    self.emit(Event::Disconnected { reason, close_code });
                    match self.reconnect().await {
                        Some(next) => session = next,
                        None => break,
                    }
                }
            }
        }
        self.finish();
    }

    /// Answers whoever still waits, then lets `close` return.
    fn finish(&mut self) {
        for (_, replies) in self.pending.drain() {
            answer(replies, || Err(ClientError::Ended));
        }
        if let Some(done) = self.closed.take() {
            let _ = done.send(());
        }
    }

    // --- one session ---

    async fn serve(&mut self, connection: WsConnection, hello: Hello) -> End {
        let mut session = Session::new(connection, &hello);
        Counters::add(&self.counters.connects, 1);
        self.emit(Event::Connected {
            gateway: hello.gateway,
            session_id: hello.session_id,
        });
        let unacked = self.pending.all();
        Counters::add(&self.counters.resent, unacked.len() as u64);
        for frame in &unacked {
            session.write(frame).await;
        }
        session
            .tasks
            .spawn(resync::survey(self.rest.clone(), self.config.backoff));
        loop {
            let wake = self.next_wake(&session);
            let end = tokio::select! {
                event = session.connection.recv() => self.on_ws(event, &mut session),
                command = self.commands.recv() => self.on_command(command, &mut session).await,
                Some(done) = session.tasks.join_next(), if !session.tasks.is_empty() => {
                    self.on_task(done, &mut session)
                }
                () = tokio::time::sleep_until(wake.into()) => self.on_timer(&mut session).await,
            };
            if let Some(end) = end {
                return end;
            }
            self.start_pulls(&mut session);
            self.check_resynced(&mut session);
        }
    }

    /// The next tick, or sooner when a send is due to go again, or a pull falls due and there
    /// is room for it.
    fn next_wake(&self, session: &Session) -> Instant {
        let pull = self
            .tracker
            .next_due()
            .filter(|_| session.pulls_in_flight < MAX_PULLS);
        [Some(session.next_tick), self.pending.next_retry(), pull]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(session.next_tick)
    }

    fn on_ws(&mut self, event: Option<WsEvent>, session: &mut Session) -> Option<End> {
        match event {
            Some(WsEvent::Frame(frame)) => {
                session.last_received = Instant::now();
                self.on_frame(frame, session)
            }
            Some(WsEvent::Unknown(_)) => {
                session.last_received = Instant::now();
                None
            }
            Some(WsEvent::Closed { code, reason }) => Some(self.on_close(code, reason, session)),
            Some(WsEvent::Failed(error)) => Some(End::reconnect(error)),
            None => Some(End::reconnect("the connection ended")),
        }
    }

    async fn on_command(&mut self, command: Option<Command>, session: &mut Session) -> Option<End> {
        match command {
            Some(Command::Send { outgoing, reply }) => {
                let frame = outgoing.frame();
                self.remember(outgoing, reply);
                session.write(&frame).await;
                None
            }
            Some(Command::Typing { conversation_id }) => {
                session
                    .write(&ClientFrame::Typing { conversation_id })
                    .await;
                None
            }
            Some(Command::Close { done }) => {
                self.closed = Some(done);
                session.connection.close(1000, "bye", CLOSE_WAIT).await;
                Some(End::Stop)
            }
            None => {
                // Every `Client` was dropped.
                session.connection.close(1000, "bye", CLOSE_WAIT).await;
                Some(End::Stop)
            }
        }
    }

    /// Keeps a send until it is answered (merging callers of the same id).
    fn remember(&mut self, outgoing: Outgoing, reply: oneshot::Sender<Result<Ack, ClientError>>) {
        let mut replies = vec![reply];
        if let Some((_, earlier)) = self.pending.remove(&outgoing.client_msg_id) {
            replies.extend(earlier);
        }
        let deadline = Instant::now() + self.config.send_timeout;
        self.pending.insert(outgoing, replies, deadline);
    }

    async fn on_timer(&mut self, session: &mut Session) -> Option<End> {
        let now = Instant::now();
        let retries = self.pending.due_retries(now);
        Counters::add(&self.counters.resent, retries.len() as u64);
        for frame in &retries {
            session.write(frame).await;
        }
        // A wake for a retry or a pull comes between ticks; the rest waits for the tick.
        if now < session.next_tick {
            return None;
        }
        session.next_tick = now + TICK;
        self.expire_sends();
        if now >= session.last_received + session.idle_timeout {
            return Some(End::reconnect(format!(
                "nothing from the server for {:?}",
                session.idle_timeout
            )));
        }
        if now >= session.last_sent + session.heartbeat {
            session.write(&ClientFrame::Ping).await;
        }
        None
    }

    // --- between sessions ---

    /// Connects again after a backoff; `None` when the client should stop.
    async fn reconnect(&mut self) -> Option<(WsConnection, Hello)> {
        loop {
            let delay = self.config.backoff.delay(self.failures, random_unit());
            self.failures = self.failures.saturating_add(1);
            if !self.wait_disconnected(delay).await {
                return None;
            }
            let opened = open_session(
                &self.endpoint,
                self.config.user_id,
                &self.config.token,
                self.config.connect_timeout,
            )
            .await;
            match opened {
                Ok(session) => return Some(session),
                Err(OpenError::Kicked(reason)) => {
                    self.emit(Event::Kicked { reason });
                    return None;
                }
                Err(OpenError::Ws(WsError::Refused(error))) if error.is_auth() => {
                    self.emit(Event::Unauthorized {
                        code: error.code,
                        message: error.message,
                    });
                    return None;
                }
                Err(OpenError::Ws(_)) => Counters::add(&self.counters.failed_attempts, 1),
            }
        }
    }

    /// Waits `delay` while taking commands: sends are kept for the next session, typing is
    /// dropped. False when the client should stop.
    async fn wait_disconnected(&mut self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            self.expire_sends();
            let now = Instant::now();
            if now >= until {
                return true;
            }
            tokio::select! {
                () = tokio::time::sleep_until(until.min(now + TICK).into()) => {}
                command = self.commands.recv() => match command {
                    Some(Command::Send { outgoing, reply }) => self.remember(outgoing, reply),
                    Some(Command::Typing { .. }) => {}
                    Some(Command::Close { done }) => {
                        self.closed = Some(done);
                        return false;
                    }
                    None => return false,
                },
            }
        }
    }

    /// Sends an event; an application that dropped its receiver simply gets no more.
    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    fn expire_sends(&mut self) {
        for (_, replies) in self.pending.expire(Instant::now()) {
            answer(replies, || Err(ClientError::Timeout));
        }
    }
}

/// Answers every caller waiting for one send.
fn answer(replies: Replies, result: impl Fn() -> Result<Ack, ClientError>) {
    for reply in replies {
        let _ = reply.send(result());
    }
}
