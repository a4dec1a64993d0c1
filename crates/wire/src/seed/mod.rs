//! The seed system's JSON, as its desktop client sends it (`docs/seed-compat.md`): the request
//! shapes of the seed profile the gateway serves, and their field conventions. Parsing only, so
//! that the gateway and the fuzz targets (`fuzz/`) read requests with the same code.

pub mod fields;
pub mod file_url;
pub mod requests;

use serde::de::DeserializeOwned;

/// Parses a request body: a JSON object; an empty (or all-whitespace) body reads as `{}`, as
/// the seed client sometimes sends nothing where it means no fields. An array is refused,
/// although serde would read it as the fields in order (`["ann", "pw"]` as credentials).
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let start = bytes.iter().position(|byte| !byte.is_ascii_whitespace());
    match start.map(|at| bytes[at]) {
        None => serde_json::from_slice(b"{}"),
        Some(b'{') => serde_json::from_slice(bytes),
        Some(_) => Err(serde::de::Error::custom("the body is not a JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Probe {
        #[serde(default)]
        name: String,
    }

    #[test]
    fn an_empty_body_reads_as_an_empty_object() {
        assert_eq!(parse_body::<Probe>(b"").unwrap().name, "");
        assert_eq!(parse_body::<Probe>(b" \n").unwrap().name, "");
        assert_eq!(parse_body::<Probe>(br#" {"name":"x"}"#).unwrap().name, "x");
    }

    /// Found by the `seed_requests` fuzz target: `[1]` was a friend application to user 1.
    #[test]
    fn a_body_is_an_object_not_the_fields_in_order() {
        for bad in [&br#"["x"]"#[..], b"[]", b"null", b"5", b"{"] {
            assert!(parse_body::<Probe>(bad).is_err(), "{bad:?}");
        }
    }
}
