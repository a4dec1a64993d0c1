//! What a server-side WebSocket session does with each frame fastwebsockets reads: the reader's
//! settings, the reassembly of fragmented messages, and the RFC 6455 close code for each
//! violation. Pure (no I/O of its own), so that the gateway's sessions and the fuzz target of the
//! protocol layer (`fuzz/fuzz_targets/ws_frames.rs`) run the very same code.

use std::borrow::Cow;

use fastwebsockets::{OpCode, WebSocketError, WebSocketRead};

use crate::frames::close;

/// The largest message a session takes by default (`--max-frame-bytes`; closed with 1009
/// beyond).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The reader settings of every session: pings are answered by the session itself (queued
/// with its other frames, so that a pong never overtakes them), closes are echoed by the
/// library through its obligated send, and no frame may reach `max_bytes`.
pub fn configure<S>(read: &mut WebSocketRead<S>, max_bytes: usize) {
    read.set_auto_pong(false);
    read.set_auto_close(true);
    read.set_max_message_size(max_bytes);
}

/// What to do after a frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<'a> {
    /// Nothing: a pong, or a fragment kept until its message is complete.
    Wait,
    /// A ping: answer it with a pong carrying this payload.
    Ping(&'a [u8]),
    /// A complete text message: UTF-8, at most the size limit.
    Text(Cow<'a, [u8]>),
    /// A complete binary message.
    Binary,
    /// The peer closed (the library has echoed its close).
    Closed,
    /// End the session with this close code, for this reason.
    End { code: u16, reason: &'static str },
}

/// A message whose final fragment has not come yet.
#[derive(Debug)]
struct Partial {
    text: bool,
    bytes: Vec<u8>,
}

/// Puts fragmented messages back together (fastwebsockets' split reader hands over each frame
/// as it comes) and refuses what RFC 6455 forbids about them.
#[derive(Debug)]
pub struct Messages {
    max_bytes: usize,
    partial: Option<Partial>,
}

impl Messages {
    /// Messages up to `max_bytes` (all fragments together).
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            partial: None,
        }
    }

    /// One frame as read (unmasked).
    pub fn frame<'a>(&mut self, fin: bool, opcode: OpCode, payload: &'a [u8]) -> Step<'a> {
        match opcode {
            OpCode::Close => Step::Closed,
            OpCode::Ping => Step::Ping(payload),
            OpCode::Pong => Step::Wait,
            OpCode::Text | OpCode::Binary => {
                if self.partial.is_some() {
                    return Step::End {
                        code: close::PROTOCOL_ERROR,
                        reason: "a new message before the final fragment of the last one",
                    };
                }
                let text = opcode == OpCode::Text;
                if fin {
                    return self.complete(text, Cow::Borrowed(payload));
                }
                if payload.len() > self.max_bytes {
                    return too_big();
                }
                self.partial = Some(Partial {
                    text,
                    bytes: payload.to_vec(),
                });
                Step::Wait
            }
            OpCode::Continuation => {
                let Some(mut partial) = self.partial.take() else {
                    return Step::End {
                        code: close::PROTOCOL_ERROR,
                        reason: "continuation without a first fragment",
                    };
                };
                if partial.bytes.len().saturating_add(payload.len()) > self.max_bytes {
                    return too_big();
                }
                partial.bytes.extend_from_slice(payload);
                if fin {
                    self.complete(partial.text, Cow::Owned(partial.bytes))
                } else {
                    self.partial = Some(partial);
                    Step::Wait
                }
            }
        }
    }

    fn complete<'a>(&self, text: bool, bytes: Cow<'a, [u8]>) -> Step<'a> {
        if bytes.len() > self.max_bytes {
            return too_big();
        }
        if !text {
            return Step::Binary;
        }
        // fastwebsockets checks unfragmented text only; a reassembled message is checked here.
        if std::str::from_utf8(&bytes).is_err() {
            return Step::End {
                code: close::INVALID_DATA,
                reason: "a text message that is not UTF-8",
            };
        }
        Step::Text(bytes)
    }
}

fn too_big() -> Step<'static> {
    Step::End {
        code: close::TOO_BIG,
        reason: "message over the size limit",
    }
}

/// The close code and reason for a frame that could not be read: RFC 6455's code for what the
/// peer got wrong, or `None` when the connection itself is gone (nobody to tell).
pub fn read_error(error: &WebSocketError) -> Option<(u16, String)> {
    let code = match error {
        WebSocketError::FrameTooLarge => {
            return Some((close::TOO_BIG, "frame over the size limit".to_owned()));
        }
        WebSocketError::InvalidUTF8 => close::INVALID_DATA,
        WebSocketError::InvalidFragment
        | WebSocketError::InvalidContinuationFrame
        | WebSocketError::InvalidStatusCode(_)
        | WebSocketError::InvalidCloseFrame
        | WebSocketError::InvalidCloseCode
        | WebSocketError::ReservedBitsNotZero
        | WebSocketError::ControlFrameFragmented
        | WebSocketError::PingFrameTooLarge
        | WebSocketError::InvalidValue => close::PROTOCOL_ERROR,
        _ => return None,
    };
    Some((code, format!("protocol error: {error}")))
}

/// The code of a close frame the library obliges the session to send (its echo of the peer's
/// close, or 1002): the payload's first two bytes, 1000 when it has none.
pub fn close_code(payload: &[u8]) -> u16 {
    match payload {
        [high, low, ..] => u16::from_be_bytes([*high, *low]),
        _ => 1000,
    }
}

/// Whether a server may send `code` in a close frame (RFC 6455 7.4: not 1004-1006, 1015, or
/// outside the defined and registered ranges).
pub fn sendable(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 8;

    #[test]
    fn single_frames_pass_through() {
        let mut messages = Messages::new(MAX);
        assert_eq!(
            messages.frame(true, OpCode::Text, b"{}"),
            Step::Text(Cow::Borrowed(b"{}"))
        );
        assert_eq!(messages.frame(true, OpCode::Binary, b"\x00"), Step::Binary);
        assert_eq!(messages.frame(true, OpCode::Ping, b"p"), Step::Ping(b"p"));
        assert_eq!(messages.frame(true, OpCode::Pong, b""), Step::Wait);
        assert_eq!(messages.frame(true, OpCode::Close, b""), Step::Closed);
    }

    #[test]
    fn fragments_are_reassembled_with_control_frames_between() {
        let mut messages = Messages::new(MAX);
        assert_eq!(messages.frame(false, OpCode::Text, b"ab"), Step::Wait);
        assert_eq!(messages.frame(true, OpCode::Ping, b""), Step::Ping(b""));
        assert_eq!(
            messages.frame(false, OpCode::Continuation, b"cd"),
            Step::Wait
        );
        assert_eq!(
            messages.frame(true, OpCode::Continuation, b"ef"),
            Step::Text(Cow::Owned(b"abcdef".to_vec()))
        );
        assert_eq!(messages.frame(false, OpCode::Binary, b"a"), Step::Wait);
        assert_eq!(
            messages.frame(true, OpCode::Continuation, b"b"),
            Step::Binary
        );
    }

    #[test]
    fn a_continuation_out_of_place_is_a_protocol_error() {
        let mut messages = Messages::new(MAX);
        let step = messages.frame(true, OpCode::Continuation, b"x");
        assert!(matches!(step, Step::End { code: 1002, .. }), "{step:?}");
    }

    /// Found while writing the `ws_frames` fuzz target: a new message in the middle of a
    /// fragmented one replaced it silently, and the continuation of a fragmented binary message
    /// was "out of place" (1002 for a valid message).
    #[test]
    fn a_new_message_inside_a_fragmented_one_is_a_protocol_error() {
        let mut messages = Messages::new(MAX);
        assert_eq!(messages.frame(false, OpCode::Text, b"{"), Step::Wait);
        let step = messages.frame(true, OpCode::Text, b"{}");
        assert!(matches!(step, Step::End { code: 1002, .. }), "{step:?}");
    }

    /// Found while writing the `ws_frames` fuzz target: fastwebsockets checks UTF-8 of
    /// unfragmented text only, so a fragmented message that is not UTF-8 reached the JSON parser (and got a
    /// `bad_frame` error) instead of closing with 1007.
    #[test]
    fn a_reassembled_message_that_is_not_utf8_closes_with_1007() {
        let mut messages = Messages::new(MAX);
        assert_eq!(messages.frame(false, OpCode::Text, b"\xe2\x82"), Step::Wait);
        let step = messages.frame(true, OpCode::Continuation, b"\xff");
        assert!(matches!(step, Step::End { code: 1007, .. }), "{step:?}");
        // A character split across fragments is fine.
        let mut messages = Messages::new(MAX);
        assert_eq!(messages.frame(false, OpCode::Text, b"\xe2\x82"), Step::Wait);
        assert_eq!(
            messages.frame(true, OpCode::Continuation, b"\xac"),
            Step::Text(Cow::Owned("€".as_bytes().to_vec()))
        );
    }

    #[test]
    fn messages_over_the_limit_are_1009_however_fragmented() {
        let mut messages = Messages::new(MAX);
        assert_eq!(messages.frame(false, OpCode::Text, b"1234"), Step::Wait);
        assert_eq!(
            messages.frame(false, OpCode::Continuation, b"5678"),
            Step::Wait
        );
        let step = messages.frame(true, OpCode::Continuation, b"9");
        assert!(matches!(step, Step::End { code: 1009, .. }), "{step:?}");
    }

    #[test]
    fn read_errors_map_to_rfc_6455_codes() {
        let code = |error| read_error(&error).map(|(code, _)| code);
        assert_eq!(code(WebSocketError::FrameTooLarge), Some(1009));
        assert_eq!(code(WebSocketError::InvalidUTF8), Some(1007));
        assert_eq!(code(WebSocketError::ReservedBitsNotZero), Some(1002));
        assert_eq!(code(WebSocketError::UnexpectedEOF), None);
        assert_eq!(close_code(&[0x03, 0xe8, b'x']), 1000);
        assert_eq!(close_code(&[]), 1000);
        assert!(sendable(4001) && sendable(1002) && !sendable(1005) && !sendable(999));
    }
}
