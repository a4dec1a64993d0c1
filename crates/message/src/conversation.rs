//! Conversation ids: `d:{low}:{high}` for two users (the smaller id first, so both sides name it
//! alike) and `g:{group}` for a group. Parsed strictly, so that one conversation has one id.

use std::fmt;

use chat_common::ServiceError;
use chat_proto::common::ConversationKind;

/// A conversation, as its id names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConversationId {
    Direct { low: u64, high: u64 },
    Group(u64),
}

impl ConversationId {
    /// The 1:1 conversation of `a` and `b` (who must differ).
    pub fn direct(a: u64, b: u64) -> Self {
        Self::Direct {
            low: a.min(b),
            high: a.max(b),
        }
    }

    pub fn kind(&self) -> ConversationKind {
        match self {
            Self::Direct { .. } => ConversationKind::Direct,
            Self::Group(_) => ConversationKind::Group,
        }
    }

    /// What `user` sees as the other end: the peer, or the group.
    pub fn target_for(&self, user: u64) -> u64 {
        match *self {
            Self::Direct { low, high } if low == user => high,
            Self::Direct { low, .. } => low,
            Self::Group(group) => group,
        }
    }

    /// Whether `user` is one of the two ends of a 1:1 conversation.
    pub fn is_participant(&self, user: u64) -> bool {
        matches!(*self, Self::Direct { low, high } if low == user || high == user)
    }

    /// Parses an id given by a client; anything but the canonical form is invalid.
    pub fn parse(text: &str) -> Result<Self, ServiceError> {
        parse(text).ok_or_else(|| {
            ServiceError::invalid(
                "invalid_conversation_id",
                "a conversation id is d:{low user id}:{high user id} or g:{group id}",
            )
        })
    }
}

fn parse(text: &str) -> Option<ConversationId> {
    if let Some(ids) = text.strip_prefix("d:") {
        let (low, high) = ids.split_once(':')?;
        let (low, high) = (number(low)?, number(high)?);
        (low < high).then_some(ConversationId::Direct { low, high })
    } else {
        text.strip_prefix("g:")
            .and_then(number)
            .map(ConversationId::Group)
    }
}

/// A positive decimal number without sign or leading zeros.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Direct { low, high } => write!(f, "d:{low}:{high}"),
            Self::Group(group) => write!(f, "g:{group}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_ids_put_the_smaller_user_first() {
        assert_eq!(ConversationId::direct(9, 3).to_string(), "d:3:9");
        assert_eq!(ConversationId::direct(3, 9), ConversationId::direct(9, 3));
        assert_eq!(ConversationId::direct(3, 9).target_for(3), 9);
        assert_eq!(ConversationId::direct(3, 9).target_for(9), 3);
    }

    #[test]
    fn canonical_ids_round_trip() {
        for text in ["d:1:2", "g:42", "d:7:18446744073709551615"] {
            let parsed = ConversationId::parse(text).expect("canonical id");
            assert_eq!(parsed.to_string(), text);
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "",
            "d:",
            "d:2:1",
            "d:1:1",
            "d:01:2",
            "d:1:2:3",
            "g:",
            "g:0",
            "g:-1",
            "g:+4",
            "x:1",
            "g:1 ",
            "G:1",
            "d:1",
            "g:18446744073709551616",
        ] {
            assert!(
                ConversationId::parse(text).is_err(),
                "{text:?} must be refused"
            );
        }
    }

    #[test]
    fn only_the_two_ends_take_part_in_a_direct_conversation() {
        let id = ConversationId::direct(3, 9);
        assert!(id.is_participant(3) && id.is_participant(9));
        assert!(!id.is_participant(4));
        assert!(!ConversationId::Group(3).is_participant(3));
    }
}
