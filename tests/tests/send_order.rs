//! A sender's messages in the order sent: a burst of sends written on one WebSocket without
//! waiting for any ack gets seqs in the order of the frames, and every recipient's session
//! receives the messages in that order (through the send stream, one writer shard, one broker
//! queue per gateway tag and one consumer worker).

use chat_e2e::api::Api;
use chat_e2e::rawws::{RawWs, session};
use serde_json::{Value, json};

const BURST: usize = 200;

fn send_frame(kind: &str, target: u64, id: &str, index: usize) -> String {
    json!({
        "type": "send", "client_msg_id": id, "kind": kind, "target_id": target,
        "content": {"type": "text", "text": format!("#{index}")},
    })
    .to_string()
}

/// Reads frames until `count` of `kind` came (other frames, such as presence, are skipped).
fn frames_of(ws: &mut RawWs, kind: &str, count: usize) -> Vec<Value> {
    let mut found = Vec::with_capacity(count);
    while found.len() < count {
        let frame = ws.read_json().unwrap_or_else(|error| {
            panic!("{} of {count} `{kind}` frames came: {error}", found.len())
        });
        assert_ne!(frame["type"], "error", "{frame}");
        if frame["type"] == kind {
            found.push(frame);
        }
    }
    found
}

/// Writes the burst, then checks the acks: one per send, seqs rising in frame order.
fn burst(ws: &mut RawWs, kind: &str, target: u64, prefix: &str) -> Vec<u64> {
    let ids: Vec<String> = (0..BURST).map(|i| format!("{prefix}-{i}")).collect();
    for (index, id) in ids.iter().enumerate() {
        ws.send_text(&send_frame(kind, target, id, index))
            .expect("send");
    }
    let acks = frames_of(ws, "ack", BURST);
    let seq_of: std::collections::HashMap<&str, u64> = acks
        .iter()
        .map(|ack| {
            let id = ack["client_msg_id"].as_str().expect("client_msg_id");
            (id, ack["seq"].as_u64().expect("seq"))
        })
        .collect();
    let seqs: Vec<u64> = ids
        .iter()
        .map(|id| {
            *seq_of
                .get(id.as_str())
                .unwrap_or_else(|| panic!("no ack for {id}"))
        })
        .collect();
    for pair in seqs.windows(2) {
        assert_eq!(
            pair[1],
            pair[0] + 1,
            "seqs in send order, without gaps: {seqs:?}"
        );
    }
    seqs
}

/// The recipient's `message` frames: the burst's texts, in order, with the acked seqs.
fn assert_received_in_order(ws: &mut RawWs, seqs: &[u64]) {
    let messages = frames_of(ws, "message", BURST);
    let got: Vec<(u64, String)> = messages
        .iter()
        .map(|frame| {
            let message = &frame["message"];
            let text = message["content"]["text"].as_str().unwrap_or_default();
            (message["seq"].as_u64().unwrap_or_default(), text.to_owned())
        })
        .collect();
    let expected: Vec<(u64, String)> = seqs
        .iter()
        .enumerate()
        .map(|(index, seq)| (*seq, format!("#{index}")))
        .collect();
    assert_eq!(got, expected, "received in the order sent");
}

#[test]
fn a_burst_of_direct_sends_is_stored_and_delivered_in_the_order_sent() {
    let api = Api::new();
    let (alice, alice_token) = api.new_user("soa");
    let (bob, bob_token) = api.new_user("sob");
    api.befriend((alice, &alice_token), (bob, &bob_token));
    let mut bob_ws = session(&api.public, bob, &bob_token);
    let mut alice_ws = session(&api.public, alice, &alice_token);
    let seqs = burst(&mut alice_ws, "direct", bob, "d");
    assert_received_in_order(&mut bob_ws, &seqs);
}

#[test]
fn a_burst_of_group_sends_reaches_every_member_in_the_order_sent() {
    let api = Api::new();
    let (alice, alice_token) = api.new_user("sga");
    let (bob, bob_token) = api.new_user("sgb");
    let (carol, carol_token) = api.new_user("sgc");
    api.befriend((alice, &alice_token), (bob, &bob_token));
    api.befriend((alice, &alice_token), (carol, &carol_token));
    let group = api.create_group(
        &alice_token,
        json!({"name": "burst", "join_mode": "open", "member_ids": [bob, carol]}),
    );
    let mut bob_ws = session(&api.public, bob, &bob_token);
    let mut carol_ws = session(&api.public, carol, &carol_token);
    // The sender's second session gets the burst too (only the sending one is left out).
    let mut alice_other = session(&api.public, alice, &alice_token);
    let mut alice_ws = session(&api.public, alice, &alice_token);
    let seqs = burst(&mut alice_ws, "group", group, "g");
    for ws in [&mut bob_ws, &mut carol_ws, &mut alice_other] {
        assert_received_in_order(ws, &seqs);
    }
}
