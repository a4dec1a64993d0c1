//! A fake gateway on 127.0.0.1 for the client's tests: the REST calls the client makes during
//! a resync (`/conversations`, `/sync`, pulls) over an in-memory store, and `/ws/{uid}`
//! sessions the test drives frame by frame.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chat_client::wire::{
    ChatMessage, ClientFrame, Content, Conversation, ConversationKind, ServerFrame,
    UnreadConversation,
};
use fastwebsockets::{FragmentCollectorRead, Frame, OpCode, Payload, WebSocket};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The signed-in user of every test, their peer and their conversation.
pub const ME: u64 = 1;
pub const PEER: u64 = 2;
pub const CONVERSATION: &str = "d:1:2";
pub const TOKEN: &str = "good-token";

const WAIT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Store {
    /// Messages by conversation, in seq order.
    conversations: BTreeMap<String, Vec<ChatMessage>>,
    read_seq: BTreeMap<String, u64>,
    /// Answers for the next upgrade attempts instead of upgrading.
    refusals: VecDeque<(u16, Value)>,
    /// Every REST path and query asked, in order.
    requests: Vec<String>,
}

/// The fake gateway; dropping it stops accepting.
pub struct FakeGateway {
    pub base: String,
    store: Arc<Mutex<Store>>,
    sessions: mpsc::UnboundedReceiver<FakeSession>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FakeGateway {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let store = Arc::new(Mutex::new(Store::default()));
        let (sessions_tx, sessions) = mpsc::unbounded_channel();
        let shared = store.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (store, sessions) = (shared.clone(), sessions_tx.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let (store, sessions) = (store.clone(), sessions.clone());
                        async move { Ok::<_, Infallible>(handle(request, store, sessions)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        Self {
            base,
            store,
            sessions,
            accept,
        }
    }

    /// Stores message `seq` of the test conversation, from the peer.
    pub fn store(&self, seq: u64) -> ChatMessage {
        let message = message(seq, PEER);
        let mut store = self.store.lock().unwrap();
        let messages = store
            .conversations
            .entry(CONVERSATION.to_owned())
            .or_default();
        messages.push(message.clone());
        messages.sort_by_key(|message| message.seq);
        message
    }

    /// Stores my own message (as the real server does before it acks).
    pub fn store_mine(&self, seq: u64, client_msg_id: &str, text: &str) {
        let mut mine = message(seq, ME);
        mine.client_msg_id = client_msg_id.to_owned();
        mine.content = Content::Text { text: text.into() };
        mine.target_id = PEER;
        let mut store = self.store.lock().unwrap();
        store
            .conversations
            .entry(CONVERSATION.to_owned())
            .or_default()
            .push(mine);
    }

    pub fn set_read(&self, read_seq: u64) {
        let mut store = self.store.lock().unwrap();
        store.read_seq.insert(CONVERSATION.to_owned(), read_seq);
    }

    /// The next upgrade attempt gets `status` with `body` instead.
    pub fn refuse_next(&self, status: u16, body: Value) {
        self.store
            .lock()
            .unwrap()
            .refusals
            .push_back((status, body));
    }

    /// The pulls asked so far, as `after` values.
    pub fn pulls(&self) -> Vec<u64> {
        let store = self.store.lock().unwrap();
        store
            .requests
            .iter()
            .filter_map(|request| {
                let query = request.split_once("/messages?")?.1;
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("after="))?
                    .parse()
                    .ok()
            })
            .collect()
    }

    /// The next session a client opened.
    pub async fn session(&mut self) -> FakeSession {
        tokio::time::timeout(WAIT, self.sessions.recv())
            .await
            .expect("a session within the wait")
            .expect("the gateway is running")
    }
}

/// A test message of the test conversation.
pub fn message(seq: u64, sender_id: u64) -> ChatMessage {
    ChatMessage {
        message_id: 1000 + seq,
        conversation_id: CONVERSATION.into(),
        kind: ConversationKind::Direct,
        seq,
        sender_id,
        client_msg_id: format!("peer-{seq}"),
        content: Content::Text {
            text: format!("m{seq}"),
        },
        server_time_ms: 1_700_000_000_000 + seq as i64,
        target_id: ME,
    }
}

fn handle(
    request: Request<Incoming>,
    store: Arc<Mutex<Store>>,
    sessions: mpsc::UnboundedSender<FakeSession>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    if path.starts_with("/ws/") {
        return upgrade(request, &store, sessions);
    }
    let authorized = request
        .headers()
        .get("authorization")
        .is_some_and(|value| value == format!("Bearer {TOKEN}").as_str());
    if !authorized {
        return json_response(
            401,
            json!({"code": "unauthenticated", "message": "bad token"}),
        );
    }
    let query = request.uri().query().unwrap_or("").to_owned();
    let mut store = store.lock().unwrap();
    store.requests.push(format!("{path}?{query}"));
    match path.as_str() {
        "/api/v1/conversations" => json_response(200, conversations(&store)),
        "/api/v1/sync" => json_response(200, sync(&store)),
        _ => match path
            .strip_prefix("/api/v1/conversations/")
            .and_then(|rest| rest.strip_suffix("/messages"))
        {
            Some(id) => json_response(200, pull(&store, id, &query)),
            None => json_response(404, json!({"code": "not_found", "message": path})),
        },
    }
}

fn conversation(store: &Store, id: &str) -> Conversation {
    let messages = &store.conversations[id];
    Conversation {
        conversation_id: id.to_owned(),
        kind: ConversationKind::Direct,
        target_id: PEER,
        last_message: messages.last().cloned(),
        max_seq: messages.last().map_or(0, |message| message.seq),
        read_seq: store.read_seq.get(id).copied().unwrap_or(0),
        unread: 0,
        last_activity_ms: 0,
    }
}

fn conversations(store: &Store) -> Value {
    let all: Vec<Conversation> = store
        .conversations
        .keys()
        .map(|id| conversation(store, id))
        .collect();
    json!({"conversations": all, "next_cursor": ""})
}

fn sync(store: &Store) -> Value {
    let unread: Vec<UnreadConversation> = store
        .conversations
        .keys()
        .map(|id| conversation(store, id))
        .filter(|conversation| conversation.max_seq > conversation.read_seq)
        .map(|conversation| {
            let after: Vec<ChatMessage> = store.conversations[&conversation.conversation_id]
                .iter()
                .filter(|message| message.seq > conversation.read_seq)
                .cloned()
                .collect();
            UnreadConversation {
                conversation,
                messages: after.iter().take(50).cloned().collect(),
                has_more: after.len() > 50,
            }
        })
        .collect();
    json!({"conversations": unread})
}

fn pull(store: &Store, id: &str, query: &str) -> Value {
    let number = |key: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            .and_then(|value| value.parse::<usize>().ok())
    };
    let after = number("after").unwrap_or(0) as u64;
    let limit = number("limit").unwrap_or(50);
    let messages = store.conversations.get(id).cloned().unwrap_or_default();
    let max_seq = messages.last().map_or(0, |message| message.seq);
    let newer: Vec<ChatMessage> = messages.into_iter().filter(|m| m.seq > after).collect();
    json!({
        "messages": newer.iter().take(limit).collect::<Vec<_>>(),
        "has_more": newer.len() > limit,
        "max_seq": max_seq,
    })
}

fn json_response(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn upgrade(
    mut request: Request<Incoming>,
    store: &Mutex<Store>,
    sessions: mpsc::UnboundedSender<FakeSession>,
) -> Response<Full<Bytes>> {
    if let Some((status, body)) = store.lock().unwrap().refusals.pop_front() {
        return json_response(status, body);
    }
    let authorized = request
        .headers()
        .get("authorization")
        .is_some_and(|value| value == format!("Bearer {TOKEN}").as_str());
    if !authorized {
        return json_response(
            401,
            json!({"code": "unauthenticated", "message": "bad token"}),
        );
    }
    let (response, socket) = fastwebsockets::upgrade::upgrade(&mut request).unwrap();
    let (out, out_rx) = mpsc::unbounded_channel();
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let number = sessions_opened();
    let _ = sessions.send(FakeSession { out, frames });
    tokio::spawn(async move {
        if let Ok(socket) = socket.await {
            serve(socket, number, out_rx, frames_tx).await;
        }
    });
    response.map(|_| Full::new(Bytes::new()))
}

fn sessions_opened() -> u64 {
    static OPENED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// What the test tells a session to do.
enum Out {
    Frame(ServerFrame),
    Close(u16, String),
    Raw(Frame<'static>),
}

/// One session: `hello`, then whatever the test says; client frames go to the test.
async fn serve(
    socket: WebSocket<TokioIo<Upgraded>>,
    number: u64,
    mut out: mpsc::UnboundedReceiver<Out>,
    frames: mpsc::UnboundedSender<ClientFrame>,
) {
    let (read, mut write) = socket.split(tokio::io::split);
    let mut read = FragmentCollectorRead::new(read);
    let (obligated_tx, mut obligated) = mpsc::unbounded_channel::<Frame<'static>>();
    tokio::spawn(async move {
        let mut send = |frame: Frame<'static>| {
            let sent = obligated_tx.send(frame).map_err(|_| "closed");
            std::future::ready(sent)
        };
        while let Ok(frame) = read.read_frame(&mut send).await {
            match frame.opcode {
                OpCode::Text => {
                    if let Ok(frame) = serde_json::from_slice(&frame.payload) {
                        let _ = frames.send(frame);
                    }
                }
                OpCode::Close => return,
                _ => {}
            }
        }
    });
    let hello = ServerFrame::Hello {
        user_id: ME,
        session_id: format!("fake-{number}"),
        gateway: "gw-fake".into(),
        heartbeat_s: 25,
        idle_timeout_s: 60,
    };
    let text =
        |frame: &ServerFrame| Frame::text(Payload::Owned(serde_json::to_vec(frame).unwrap()));
    if write.write_frame(text(&hello)).await.is_err() {
        return;
    }
    loop {
        let next = tokio::select! {
            next = out.recv() => next,
            Some(frame) = obligated.recv() => Some(Out::Raw(frame)),
        };
        let frame = match next {
            Some(Out::Frame(frame)) => text(&frame),
            Some(Out::Close(code, reason)) => Frame::close(code, reason.as_bytes()),
            Some(Out::Raw(frame)) => frame,
            None => return,
        };
        let closing = frame.opcode == OpCode::Close;
        if write.write_frame(frame).await.is_err() || closing {
            return;
        }
    }
}

/// A session the test drives.
pub struct FakeSession {
    out: mpsc::UnboundedSender<Out>,
    frames: mpsc::UnboundedReceiver<ClientFrame>,
}

impl FakeSession {
    pub fn push(&self, frame: ServerFrame) {
        let _ = self.out.send(Out::Frame(frame));
    }

    /// Pushes `frame` every `every` until the session ends: traffic that keeps the client's
    /// loop busy.
    pub fn push_every(&self, every: Duration, frame: ServerFrame) -> tokio::task::JoinHandle<()> {
        let out = self.out.clone();
        tokio::spawn(async move {
            while out.send(Out::Frame(frame.clone())).is_ok() {
                tokio::time::sleep(every).await;
            }
        })
    }

    pub fn push_message(&self, message: ChatMessage) {
        self.push(ServerFrame::Message { message });
    }

    pub fn close(&self, code: u16, reason: &str) {
        let _ = self.out.send(Out::Close(code, reason.to_owned()));
    }

    /// Refuses the send `client_msg_id` with an error frame of `code`.
    pub fn refuse(&self, client_msg_id: &str, code: &str, message: &str) {
        self.push(ServerFrame::Error {
            code: code.into(),
            message: message.into(),
            client_msg_id: Some(client_msg_id.into()),
            retry_after_s: None,
        });
    }

    /// The `client_msg_id` of the next frame, which must be a send.
    pub async fn next_send(&mut self) -> String {
        match self.next_frame().await {
            ClientFrame::Send { client_msg_id, .. } => client_msg_id,
            other => panic!("expected a send, got {other:?}"),
        }
    }

    /// The next frame the client sent, pings skipped.
    pub async fn next_frame(&mut self) -> ClientFrame {
        loop {
            let frame = tokio::time::timeout(WAIT, self.frames.recv())
                .await
                .expect("a client frame within the wait")
                .expect("the session is open");
            if frame != ClientFrame::Ping {
                return frame;
            }
        }
    }
}
