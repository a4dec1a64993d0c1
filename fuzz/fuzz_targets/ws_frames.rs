//! The WebSocket protocol layer: raw bytes from a client, after the handshake, read by a
//! server-side fastwebsockets reader (the vendored one) over an in-memory pipe with the
//! gateway's settings (`chat_wire::ws::configure`), each frame handled as a session handles it
//! (`chat_wire::ws::Messages`, then `ClientFrame::parse` for text). Checks: every close code the
//! server would send is one RFC 6455 lets it send, every text message handed on is UTF-8 and
//! within the limit, pongs carry at most 125 bytes, and the session always ends.
//!
//! The first input byte picks the limit (the gateway's default, or 64 bytes so that the size
//! checks are reached) and how many bytes each read gets (1 to 128: headers and payloads split
//! across reads); the rest is the stream.

#![no_main]

use std::convert::Infallible;
use std::sync::OnceLock;

use chat_fuzz::json_round_trip;
use chat_wire::ClientFrame;
use chat_wire::ws::{self, Messages, Step};
use fastwebsockets::{Frame, OpCode, Role, WebSocket};
use libfuzzer_sys::fuzz_target;
use tokio::io::AsyncWriteExt;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&settings, stream)) = data.split_first() else {
        return;
    };
    let max = if settings & 1 == 0 {
        ws::DEFAULT_MAX_MESSAGE_BYTES
    } else {
        64
    };
    let chunk = 1 + usize::from(settings >> 1);
    runtime().block_on(async {
        let (mut client, server) = tokio::io::duplex(chunk);
        let write = async move {
            // The reader may end the session first (then the pipe is closed): not a failure.
            let _ = client.write_all(stream).await;
            let _ = client.shutdown().await;
        };
        tokio::join!(write, session(server, max));
    });
});

/// What a gateway session does with what it reads, minus the services behind it.
async fn session(server: tokio::io::DuplexStream, max: usize) {
    let (mut read, _write) =
        WebSocket::after_handshake(server, Role::Server).split(tokio::io::split);
    ws::configure(&mut read, max);
    let mut messages = Messages::new(max);
    let mut echoed = Vec::new();
    loop {
        let mut obligated = |frame: Frame<'_>| {
            assert_eq!(frame.opcode, OpCode::Close, "auto pong is off");
            echoed.push(ws::close_code(&frame.payload));
            std::future::ready(Ok::<(), Infallible>(()))
        };
        let frame = match read.read_frame(&mut obligated).await {
            Ok(frame) => frame,
            Err(error) => {
                if let Some((code, _)) = ws::read_error(&error) {
                    assert!(ws::sendable(code), "{error}: close {code}");
                }
                break;
            }
        };
        match messages.frame(frame.fin, frame.opcode, &frame.payload) {
            Step::Wait | Step::Binary => {}
            Step::Ping(payload) => assert!(payload.len() <= 125),
            Step::Text(text) => {
                assert!(text.len() <= max, "{} bytes over {max}", text.len());
                assert!(std::str::from_utf8(&text).is_ok(), "text that is not UTF-8");
                if let Ok(frame) = ClientFrame::parse(&text) {
                    json_round_trip(&frame);
                }
            }
            Step::End { code, reason } => {
                assert!(ws::sendable(code), "{reason}: close {code}");
                break;
            }
            Step::Closed => break,
        }
    }
    for code in echoed {
        assert!(ws::sendable(code), "echoed close {code}");
    }
}
