//! Checks shared by the fuzz targets: what a decoder accepts must survive the way the server
//! uses it, not only not panic.

use std::fmt::Debug;

use chat_proto::common as pb;
use chat_wire::{Content, WireError};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decode, encode, decode: what the server reads, it writes back unchanged (and can read again).
pub fn json_round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) {
    let json = serde_json::to_vec(value).expect("a decoded value serializes");
    let again: T = serde_json::from_slice(&json).unwrap_or_else(|error| {
        panic!(
            "{} does not read back: {error}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(
        &again,
        value,
        "the JSON round trip changed it: {}",
        String::from_utf8_lossy(&json)
    );
}

/// Content a client sent, on its way to the message service (proto) and back as a stored
/// message shows it: unchanged, or refused only when it is the server's own recall marker.
pub fn check_content(content: &Content) {
    match pb::MessageContent::try_from(content.clone()) {
        Ok(proto) => {
            let stored = Content::try_from(proto).expect("stored content reads back");
            assert_eq!(&stored, content, "the trip through proto changed it");
        }
        Err(WireError::ServerOnlyContent(_)) => {
            assert!(matches!(content, Content::Recalled { .. }), "{content:?}");
        }
        Err(other) => panic!("{content:?} refused: {other}"),
    }
}
