//! The high-level client: one session kept up in the background, events in order, sends that
//! survive reconnects.
//!
//! ```no_run
//! # async fn demo() -> Result<(), chat_client::ClientError> {
//! use chat_client::{Client, Config, Event, Rest};
//! use chat_client::wire::ConversationKind;
//!
//! let rest = Rest::new("http://127.0.0.1:8080")?;
//! let login = rest.login("ann", "correct horse").await?;
//! let config = Config::new("http://127.0.0.1:8080", login.token, login.user.user_id);
//! let (client, mut events) = Client::connect(config).await?;
//! let ack = client.send_text(ConversationKind::Direct, 43, "hi").await?;
//! while let Some(event) = events.recv().await {
//!     if let Event::Message(message) = event {
//!         println!("{}#{}: {:?}", message.conversation_id, message.seq, message.content);
//!     }
//! }
//! # let _ = ack;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chat_wire::{Content, ConversationKind};
use tokio::sync::{mpsc, oneshot};

use crate::backoff::{Backoff, random_unit};
use crate::connect::{Hello, OpenError, open_session};
use crate::driver::{Command, Driver};
use crate::error::ClientError;
use crate::events::{Ack, Counters, Event, Stats};
use crate::pending::Outgoing;
use crate::rest::Rest;
use crate::resync::{StartFrom, start_positions};
use crate::seq::SeqTracker;
use crate::types::ReadState;
use crate::ws::WsConnection;

/// The events of a client, in order; the channel ends when the client stops.
pub type Events = mpsc::UnboundedReceiver<Event>;

/// How to reach the server, as whom, and how patiently.
#[derive(Clone)]
pub struct Config {
    /// The base URL of the balancer, `http://127.0.0.1:8080`.
    pub server: String,
    /// A bearer token from `Rest::login`.
    pub token: String,
    /// The token's user (it picks the WebSocket route `/ws/{user_id}`).
    pub user_id: u64,
    /// What counts as already seen at start.
    pub start: StartFrom,
    /// Waits between connection attempts.
    pub backoff: Backoff,
    /// One connection attempt: handshake and `hello`.
    pub connect_timeout: Duration,
    /// `Client::connect` retries transient failures (421, 503, unreachable) this long before
    /// it gives up; later disconnects are retried forever.
    pub first_connect_timeout: Duration,
    /// How long `send` waits for the ack, across reconnects.
    pub send_timeout: Duration,
    /// One REST exchange.
    pub rest_timeout: Duration,
    /// How long a seq gap may wait for late pushes before it is pulled.
    pub gap_grace: Duration,
    /// How often a send answered `unavailable` (or `rate_limited`, after the wait the server
    /// names) is tried again with the same id. `unavailable` is retried after `backoff`'s
    /// wait for the attempt (doubling up to its cap), so the default rides out a restart of
    /// the message service (a few seconds) without failing the send.
    pub unavailable_retries: u32,
}

impl Config {
    /// Defaults for everything but where and who.
    pub fn new(server: impl Into<String>, token: impl Into<String>, user_id: u64) -> Self {
        Self {
            server: server.into(),
            token: token.into(),
            user_id,
            start: StartFrom::default(),
            backoff: Backoff::default(),
            connect_timeout: Duration::from_secs(10),
            first_connect_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(30),
            rest_timeout: crate::rest::DEFAULT_TIMEOUT,
            gap_grace: Duration::from_millis(250),
            // 50 ms doubling to the 3 s cap: 9-18 s of retries in all.
            unavailable_retries: 10,
        }
    }
}

impl std::fmt::Debug for Config {
    /// Never prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("server", &self.server)
            .field("user_id", &self.user_id)
            .field("start", &self.start)
            .field("backoff", &self.backoff)
            .field("connect_timeout", &self.connect_timeout)
            .field("send_timeout", &self.send_timeout)
            .field("gap_grace", &self.gap_grace)
            .finish_non_exhaustive()
    }
}

/// A handle on a running client; clones share it. Dropping every handle ends the session.
#[derive(Clone)]
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    rest: Rest,
    user_id: u64,
    counters: Arc<Counters>,
    ids: Arc<MessageIds>,
}

impl Client {
    /// Takes the start positions (`Config::start`), opens the first session (retrying
    /// transient failures for `first_connect_timeout`) and starts the client. A refused token
    /// is an error here; after this, trouble arrives as events.
    pub async fn connect(config: Config) -> Result<(Self, Events), ClientError> {
        let rest = Rest::with_timeout(&config.server, config.rest_timeout)?
            .with_token(config.token.clone());
        let mut tracker = SeqTracker::new(config.gap_grace);
        start_positions(&mut tracker, &rest.conversations().await?, config.start);
        let (connection, hello) = first_session(&rest, &config).await?;
        let (commands, command_queue) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let client = Self {
            commands,
            rest: rest.clone(),
            user_id: config.user_id,
            counters: counters.clone(),
            ids: Arc::new(MessageIds::new()),
        };
        let driver = Driver::new(
            Arc::new(config),
            rest,
            tracker,
            command_queue,
            events_tx,
            counters,
        );
        tokio::spawn(driver.run(connection, hello));
        Ok((client, events))
    }

    /// Sends a message and waits for the server's ack (across reconnects, up to
    /// `Config::send_timeout`). The message also arrives as an `Event::Message`, in seq order.
    pub async fn send(
        &self,
        kind: ConversationKind,
        target_id: u64,
        content: Content,
    ) -> Result<Ack, ClientError> {
        self.send_with_id(self.new_client_msg_id(), kind, target_id, content)
            .await
    }

    /// `send` of a text.
    pub async fn send_text(
        &self,
        kind: ConversationKind,
        target_id: u64,
        text: impl Into<String>,
    ) -> Result<Ack, ClientError> {
        let content = Content::Text { text: text.into() };
        self.send(kind, target_id, content).await
    }

    /// `send` with the caller's own `client_msg_id` (to check idempotency, or to retry a send
    /// across client restarts).
    pub async fn send_with_id(
        &self,
        client_msg_id: String,
        kind: ConversationKind,
        target_id: u64,
        content: Content,
    ) -> Result<Ack, ClientError> {
        let (reply, answer) = oneshot::channel();
        let outgoing = Outgoing {
            client_msg_id,
            kind,
            target_id,
            content,
        };
        self.commands
            .send(Command::Send { outgoing, reply })
            .map_err(|_| ClientError::Ended)?;
        answer.await.map_err(|_| ClientError::Ended)?
    }

    /// A `client_msg_id` no other client or call uses.
    pub fn new_client_msg_id(&self) -> String {
        self.ids.next()
    }

    /// Moves my read cursor to `seq` (over REST, which answers definitely; an `error` frame
    /// for a `read` would name no request). The peer and my other devices get a receipt.
    pub async fn mark_read(
        &self,
        conversation_id: &str,
        seq: u64,
    ) -> Result<ReadState, ClientError> {
        Ok(self.rest.mark_read(conversation_id, seq).await?)
    }

    /// Tells the others in a conversation that I am typing (dropped while disconnected).
    pub fn typing(&self, conversation_id: &str) -> Result<(), ClientError> {
        self.commands
            .send(Command::Typing {
                conversation_id: conversation_id.to_owned(),
            })
            .map_err(|_| ClientError::Ended)
    }

    /// Ends the session politely (close 1000) and waits until the client has stopped; sends
    /// still waiting get `ClientError::Ended`.
    pub async fn close(&self) {
        let (done, stopped) = oneshot::channel();
        if self.commands.send(Command::Close { done }).is_ok() {
            let _ = stopped.await;
        }
    }

    /// True once the client has stopped (closed, kicked, unauthorized).
    pub fn is_ended(&self) -> bool {
        self.commands.is_closed()
    }

    /// The signed-in user.
    pub fn user_id(&self) -> u64 {
        self.user_id
    }

    /// The REST API as the same user (history, friends, groups, ...).
    pub fn rest(&self) -> &Rest {
        &self.rest
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }
}

/// Opens the first session, retrying what may pass (a stale route, a gateway starting) until
/// `first_connect_timeout`; a refused token or a kick is final at once.
async fn first_session(rest: &Rest, config: &Config) -> Result<(WsConnection, Hello), ClientError> {
    let give_up = Instant::now() + config.first_connect_timeout;
    let mut attempt = 0;
    loop {
        let opened = open_session(
            rest.endpoint(),
            config.user_id,
            &config.token,
            config.connect_timeout,
        )
        .await;
        let error = match opened {
            Ok(session) => return Ok(session),
            Err(OpenError::Kicked(reason)) => return Err(ClientError::Kicked(reason)),
            Err(OpenError::Ws(error)) => error,
        };
        let delay = config.backoff.delay(attempt, random_unit());
        if error.is_auth() || Instant::now() + delay >= give_up {
            return Err(error.into());
        }
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

/// `client_msg_id`s: a random prefix per client and a counter, so that ids never repeat
/// across clients, restarts or devices of one user.
struct MessageIds {
    prefix: String,
    next: AtomicU64,
}

impl MessageIds {
    fn new() -> Self {
        // Should the OS generator fail, the clock still tells clients apart.
        let prefix = getrandom::u64().unwrap_or_else(|_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_nanos() as u64)
        });
        Self {
            prefix: format!("{prefix:016x}"),
            next: AtomicU64::new(1),
        }
    }

    fn next(&self) -> String {
        format!(
            "{}-{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn message_ids_are_unique_short_and_differ_between_clients() {
        let first = MessageIds::new();
        let second = MessageIds::new();
        let ids: HashSet<String> = (0..1000)
            .flat_map(|_| [first.next(), second.next()])
            .collect();
        assert_eq!(ids.len(), 2000);
        assert!(ids.iter().all(|id| id.len() <= 64));
    }

    #[test]
    fn the_config_never_shows_its_token() {
        let config = Config::new("http://127.0.0.1:8080", "secret-token", 42);
        let shown = format!("{config:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("user_id: 42"), "{shown}");
    }
}
