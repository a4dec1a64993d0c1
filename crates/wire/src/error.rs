//! Why a value cannot cross between the JSON shapes and the proto types.

/// A conversion between a public JSON shape and its proto type failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A client tried to send content only the server sets (a recall marker).
    #[error("`{0}` content is set by the server; send text, image, file, voice or custom")]
    ServerOnlyContent(&'static str),
    /// A proto message lacks a field the public shape requires.
    #[error("the {0} is missing")]
    Missing(&'static str),
    /// Stored custom content is not JSON (the server validates it on send, so this is a bug).
    #[error("custom content is not valid JSON: {0}")]
    InvalidCustomJson(String),
    /// A conversation kind this version does not know (or none).
    #[error("unknown conversation kind {0}")]
    UnknownKind(i32),
}
