//! The seed's WebSocket pushes: text frames `"<type>,<json>"` (its client splits at the first
//! comma and dispatches on the digits). The types the client handles: 2 chat message, 4 friend
//! application, 5 application result, 6 new friendship, 7 added to a group, 8 group members
//! changed.

use bytes::Bytes;
use serde::Serialize;

/// The frame types.
pub const CHAT_MESSAGE: u8 = 2;
pub const FRIEND_APPLICATION: u8 = 4;
pub const APPLICATION_RESULT: u8 = 5;
pub const NEW_FRIENDSHIP: u8 = 6;
pub const ADDED_TO_GROUP: u8 = 7;
pub const GROUP_MEMBERS_CHANGED: u8 = 8;

/// Frame 4, to the target of an application.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationFrame {
    pub id: u64,
    pub proposer_id: u64,
    pub proposer_name: String,
    pub proposer_remark: String,
    pub target_user: u64,
    pub apply_pass: u8,
}

/// Frame 5, to the proposer: `applyStatus` 1 accepted, 2 rejected.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationResultFrame {
    pub proposer_id: u64,
    pub proposer_remark: String,
    pub apply_status: u8,
    pub target_user: u64,
}

/// Frame 8: the group whose member list the client should fetch again.
#[derive(Serialize, Debug)]
pub struct GroupChangedFrame {
    pub id: u64,
}

/// `"<kind>,<json>"`. Every body is plain data, so serializing cannot fail; an empty body would
/// still be a frame the client parses.
pub fn encode<T: Serialize>(kind: u8, body: &T) -> Bytes {
    let mut text = format!("{kind},").into_bytes();
    if serde_json::to_writer(&mut text, body).is_err() {
        text.extend_from_slice(b"{}");
    }
    Bytes::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_the_type_a_comma_and_json() {
        let frame = encode(GROUP_MEMBERS_CHANGED, &GroupChangedFrame { id: 42 });
        assert_eq!(&frame[..], br#"8,{"id":42}"#);
        let text = std::str::from_utf8(&frame).unwrap();
        let (kind, body) = text.split_once(',').unwrap();
        assert!(kind.bytes().all(|b| b.is_ascii_digit()));
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["id"], 42);
    }

    #[test]
    fn field_names_are_the_seeds() {
        let frame = encode(
            APPLICATION_RESULT,
            &ApplicationResultFrame {
                proposer_id: 1,
                proposer_remark: "hi".into(),
                apply_status: 1,
                target_user: 2,
            },
        );
        assert_eq!(
            &frame[..],
            br#"5,{"proposerId":1,"proposerRemark":"hi","applyStatus":1,"targetUser":2}"#
        );
    }
}
