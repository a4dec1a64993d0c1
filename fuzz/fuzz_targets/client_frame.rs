//! A client's WebSocket text message as the gateway reads it (`ClientFrame::parse`): accepted
//! frames survive a JSON round trip, and a `send` becomes the message service's request with
//! its content intact (or is refused only for the server's own recall marker).

#![no_main]

use chat_fuzz::{check_content, json_round_trip};
use chat_wire::{ClientFrame, Content, SendRequest, WireError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = ClientFrame::parse(data) else {
        return;
    };
    json_round_trip(&frame);
    if let ClientFrame::Send {
        client_msg_id,
        kind,
        target_id,
        content,
    } = frame
    {
        check_content(&content);
        let request = SendRequest {
            kind,
            target_id,
            client_msg_id: client_msg_id.clone(),
            content: content.clone(),
        };
        match request.into_proto(7, "gw-1-1".into()) {
            Ok(proto) => {
                assert_eq!(proto.target_id, target_id);
                assert_eq!(proto.client_msg_id, client_msg_id);
                assert_eq!(proto.actor_id, 7);
            }
            Err(error) => assert!(
                matches!(error, WireError::ServerOnlyContent(_))
                    && matches!(content, Content::Recalled { .. }),
                "{error}"
            ),
        }
    }
});
