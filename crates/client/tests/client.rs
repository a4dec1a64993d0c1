//! The high-level client against a fake gateway on 127.0.0.1: exactly once and in order
//! across pushes, gaps, repeats and reconnects.

// Tests (and their fake gateway) panic on a failed expectation by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use chat_client::wire::frames::close;
use chat_client::wire::{ClientFrame, ConversationKind, ServerFrame};
use chat_client::{Backoff, Client, ClientError, Config, Event, Events};
use serde_json::json;
use support::{CONVERSATION, FakeGateway, ME, PEER, TOKEN};

const WAIT: Duration = Duration::from_secs(5);

fn config(gateway: &FakeGateway) -> Config {
    let mut config = Config::new(&gateway.base, TOKEN, ME);
    config.backoff = Backoff {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
    };
    config.gap_grace = Duration::from_millis(100);
    config.send_timeout = Duration::from_secs(5);
    config
}

async fn next(events: &mut Events) -> Event {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("an event within the wait")
        .expect("the client is running")
}

/// Seqs of the messages among the next events, until `until` matches an event.
async fn seqs_until(events: &mut Events, until: impl Fn(&Event) -> bool) -> Vec<u64> {
    let mut seqs = Vec::new();
    loop {
        let event = next(events).await;
        if let Event::Message(message) = &event {
            seqs.push(message.seq);
        }
        if until(&event) {
            return seqs;
        }
    }
}

/// The seqs of the next `count` messages (other events skipped).
async fn next_seqs(events: &mut Events, count: usize) -> Vec<u64> {
    let mut seqs = Vec::new();
    while seqs.len() < count {
        if let Event::Message(message) = next(events).await {
            seqs.push(message.seq);
        }
    }
    seqs
}

fn resynced(event: &Event) -> bool {
    matches!(event, Event::Resynced { .. })
}

#[tokio::test]
async fn unread_messages_come_first_then_pushes_in_order_with_gaps_pulled() {
    let mut gateway = FakeGateway::start().await;
    for seq in 1..=5 {
        gateway.store(seq);
    }
    gateway.set_read(2);
    let (client, mut events) = Client::connect(config(&gateway)).await.unwrap();
    let session = gateway.session().await;
    assert!(
        matches!(next(&mut events).await, Event::Connected { ref gateway, .. } if gateway == "gw-fake")
    );
    assert_eq!(seqs_until(&mut events, resynced).await, [3, 4, 5]);

    let six = gateway.store(6);
    gateway.store(7);
    let eight = gateway.store(8);
    session.push_message(six.clone());
    session.push_message(eight); // 7 is lost
    session.push_message(six); // and 6 repeats
    assert_eq!(next_seqs(&mut events, 3).await, [6, 7, 8]);
    assert!(gateway.pulls().contains(&6), "the gap after 6 was pulled");

    let stats = client.stats();
    assert_eq!(stats.recovered, 3 + 2, "3-5 by sync, 7-8 by the gap pull");
    assert_eq!(stats.delivered_pushed, 1);
    assert_eq!(stats.duplicates_dropped, 1);
    assert_eq!(stats.reconnects, 0);
}

#[tokio::test]
async fn a_gap_filled_by_a_late_push_needs_no_pull() {
    let mut gateway = FakeGateway::start().await;
    let (_client, mut events) = Client::connect(config(&gateway)).await.unwrap();
    let session = gateway.session().await;
    seqs_until(&mut events, resynced).await;
    let (one, two) = (gateway.store(1), gateway.store(2));
    session.push_message(two);
    session.push_message(one);
    assert_eq!(next_seqs(&mut events, 2).await, [1, 2]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(gateway.pulls().is_empty(), "{:?}", gateway.pulls());
}

#[tokio::test]
async fn a_move_reconnects_through_the_balancer_and_resyncs_what_was_missed() {
    let mut gateway = FakeGateway::start().await;
    gateway.store(1);
    gateway.set_read(1);
    let (client, mut events) = Client::connect(config(&gateway)).await.unwrap();
    let first = gateway.session().await;
    seqs_until(&mut events, resynced).await;

    // The slot moves: pushes stop, two messages land meanwhile, and the first attempt hits a
    // gateway whose table is stale.
    gateway.store(2);
    gateway.store(3);
    gateway.refuse_next(
        421,
        json!({"moved": {"tag": "gw-2", "addr": "127.0.0.1:9", "epoch": 4, "slot": 1}}),
    );
    first.push(ServerFrame::Moved {
        reason: "slot moved".into(),
    });
    first.close(close::MOVED, "moved");
    let disconnected = next(&mut events).await;
    assert!(
        matches!(&disconnected, Event::Disconnected { close_code: Some(4001), reason } if reason.contains("slot moved")),
        "{disconnected:?}"
    );
    let _second = gateway.session().await;
    assert!(matches!(next(&mut events).await, Event::Connected { .. }));
    assert_eq!(seqs_until(&mut events, resynced).await, [2, 3]);
    let stats = client.stats();
    assert_eq!((stats.reconnects, stats.failed_attempts), (1, 1));
}

#[tokio::test]
async fn an_unacked_send_goes_again_with_the_same_id_after_a_reconnect() {
    let mut gateway = FakeGateway::start().await;
    let (client, mut events) = Client::connect(config(&gateway)).await.unwrap();
    let mut first = gateway.session().await;
    seqs_until(&mut events, resynced).await;

    let send = send_text(&client);
    let client_msg_id = first.next_send().await;
    // Stored, but the gateway goes away before the ack.
    gateway.store_mine(1, &client_msg_id, "hello");
    first.close(close::GOING_AWAY, "shutting down");

    let mut second = gateway.session().await;
    let again = second.next_send().await;
    assert_eq!(again, client_msg_id);
    second.push(ServerFrame::Ack {
        client_msg_id: again,
        message_id: 1001,
        conversation_id: CONVERSATION.into(),
        seq: 1,
        server_time_ms: 5,
        duplicate: true,
    });
    let ack = send.await.unwrap().unwrap();
    assert_eq!((ack.seq, ack.duplicate), (1, true));
    // My own message arrives once (by the resync's pull or the ack, whichever came first).
    let own = seqs_until(
        &mut events,
        |event| matches!(event, Event::Message(m) if m.seq == 1),
    )
    .await;
    assert_eq!(own, [1]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(event, Event::Message(_)),
            "delivered twice: {event:?}"
        );
    }
    assert!(client.stats().resent >= 1);
}

/// Sends a text from `client` in a task of its own; the handle answers with the outcome.
fn send_text(client: &Client) -> tokio::task::JoinHandle<Result<chat_client::Ack, ClientError>> {
    let sender = client.clone();
    tokio::spawn(async move {
        sender
            .send_text(ConversationKind::Direct, PEER, "hello")
            .await
    })
}

#[tokio::test]
async fn unavailable_is_retried_and_other_errors_are_returned() {
    let mut gateway = FakeGateway::start().await;
    let (client, mut events) = Client::connect(config(&gateway)).await.unwrap();
    let mut session = gateway.session().await;
    seqs_until(&mut events, resynced).await;

    let send = send_text(&client);
    let client_msg_id = session.next_send().await;
    session.refuse(&client_msg_id, "unavailable", "message service unreachable");
    let retry = session.next_send().await;
    assert_eq!(retry, client_msg_id);
    session.refuse(&retry, "forbidden", "not your friend");
    let error = send.await.unwrap().unwrap_err();
    assert_eq!(error.code(), Some("forbidden"));
}

/// Found by `bench failover --fault message`: with a frame arriving more often than the
/// client's 1 s tick, the tick was pushed away on every frame, and sends answered
/// `unavailable` went again only once the traffic stopped (20-27 s late under load).
#[tokio::test]
async fn an_unavailable_send_goes_again_while_frames_keep_arriving() {
    let mut gateway = FakeGateway::start().await;
    let (client, mut events) = Client::connect(config(&gateway)).await.unwrap();
    let mut session = gateway.session().await;
    seqs_until(&mut events, resynced).await;
    let traffic = session.push_every(Duration::from_millis(20), ServerFrame::Pong);

    let _send = send_text(&client);
    let client_msg_id = session.next_send().await;
    session.refuse(&client_msg_id, "unavailable", "message service unreachable");
    // The config's backoff waits 20-40 ms before a retry; well within a second.
    let retry = tokio::time::timeout(Duration::from_secs(1), session.next_send())
        .await
        .expect("the retry while frames keep arriving");
    assert_eq!(retry, client_msg_id);
    traffic.abort();
}

#[tokio::test]
async fn a_kick_ends_the_client_without_reconnecting() {
    let mut gateway = FakeGateway::start().await;
    let (client, mut events) = Client::connect(config(&gateway)).await.unwrap();
    let session = gateway.session().await;
    seqs_until(&mut events, resynced).await;
    session.push(ServerFrame::Kicked {
        reason: "signed in on another device".into(),
    });
    session.close(close::KICKED, "kicked");
    assert_eq!(
        next(&mut events).await,
        Event::Kicked {
            reason: "signed in on another device".into()
        }
    );
    let end = tokio::time::timeout(WAIT, events.recv()).await.unwrap();
    assert!(end.is_none(), "the client stopped: {end:?}");
    assert!(client.is_ended());
    let late = client.send_text(ConversationKind::Direct, PEER, "x").await;
    assert!(matches!(late, Err(ClientError::Ended)), "{late:?}");
}

#[tokio::test]
async fn a_refused_token_fails_connect_at_once() {
    let gateway = FakeGateway::start().await;
    let mut config = config(&gateway);
    config.token = "wrong".into();
    let error = Client::connect(config).await.err().expect("refused");
    assert_eq!(error.code(), Some("unauthenticated"));
}

#[tokio::test]
async fn close_ends_the_session_politely() {
    let mut gateway = FakeGateway::start().await;
    let (client, mut events) = Client::connect(config(&gateway)).await.unwrap();
    let _session = gateway.session().await;
    seqs_until(&mut events, resynced).await;
    tokio::time::timeout(WAIT, client.close()).await.unwrap();
    assert!(client.is_ended());
    let end = tokio::time::timeout(WAIT, events.recv()).await.unwrap();
    assert!(end.is_none(), "{end:?}");
}

#[tokio::test]
async fn a_recall_takes_its_own_seq_and_typing_goes_out() {
    let mut gateway = FakeGateway::start().await;
    let (client, mut events) = Client::connect(config(&gateway)).await.unwrap();
    let mut session = gateway.session().await;
    seqs_until(&mut events, resynced).await;
    session.push_message(gateway.store(1));
    session.push(ServerFrame::Recall {
        conversation_id: CONVERSATION.into(),
        seq: 1,
        recall_seq: 2,
        sender_id: PEER,
        recalled_at_ms: 9,
    });
    session.push_message(gateway.store(3));
    assert!(matches!(next(&mut events).await, Event::Message(m) if m.seq == 1));
    assert!(matches!(
        next(&mut events).await,
        Event::Recall {
            seq: 1,
            recall_seq: 2,
            ..
        }
    ));
    assert!(matches!(next(&mut events).await, Event::Message(m) if m.seq == 3));
    assert_eq!(
        client.stats().recovered,
        0,
        "the recall filled seq 2: no gap pull"
    );

    client.typing(CONVERSATION).unwrap();
    assert_eq!(
        session.next_frame().await,
        ClientFrame::Typing {
            conversation_id: CONVERSATION.into()
        }
    );
}
