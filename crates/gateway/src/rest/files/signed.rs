//! Signed download addresses, for what cannot carry a bearer token (`<img src>`, `<audio
//! src>`): `?u={user}&exp={ms}&sig={hex}`, an HMAC-SHA-256 over the path, the user and the
//! expiry with a key every gateway of the cluster shares. The signature only says who asked
//! and until when; the download is authorized again for that user, so a recall or a kick takes
//! effect before the address expires.

use ring::hmac;
use serde::Deserialize;

use chat_common::hex::lower as hex;

/// The query of a signed address.
#[derive(Debug, Deserialize)]
pub struct SignedQuery {
    pub u: u64,
    pub exp: i64,
    pub sig: String,
}

/// Why a signed address is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Expired,
    BadSignature,
}

/// Signs and checks addresses with the cluster's key.
pub struct UrlSigner {
    key: hmac::Key,
}

impl UrlSigner {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// The query that lets `user` GET `path` until `expires_ms`.
    pub fn sign(&self, path: &str, user: u64, expires_ms: i64) -> String {
        let tag = hmac::sign(&self.key, message(path, user, expires_ms).as_bytes());
        format!("u={user}&exp={expires_ms}&sig={}", hex(tag.as_ref()))
    }

    /// The user the address was signed for, when it is this path's, intact and not expired.
    pub fn verify(&self, path: &str, query: &SignedQuery, now_ms: i64) -> Result<u64, Refused> {
        let tag = decode_hex(&query.sig).ok_or(Refused::BadSignature)?;
        hmac::verify(
            &self.key,
            message(path, query.u, query.exp).as_bytes(),
            &tag,
        )
        .map_err(|_| Refused::BadSignature)?;
        // Checked after the signature, so an attacker learns nothing from the order.
        if now_ms >= query.exp {
            return Err(Refused::Expired);
        }
        Ok(query.u)
    }
}

fn message(path: &str, user: u64, expires_ms: i64) -> String {
    format!("GET\n{path}\n{user}\n{expires_ms}")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `u=..&exp=..&sig=..` as the query extractor would.
    fn query(text: &str) -> SignedQuery {
        let field = |name: &str| {
            text.split('&')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                .unwrap()
                .to_owned()
        };
        SignedQuery {
            u: field("u").parse().unwrap(),
            exp: field("exp").parse().unwrap(),
            sig: field("sig"),
        }
    }

    #[test]
    fn a_signed_address_is_good_for_its_path_and_user_until_it_expires() {
        let signer = UrlSigner::new(b"cluster key");
        let signed = query(&signer.sign("/api/v1/files/7", 42, 1_000));
        assert_eq!(signer.verify("/api/v1/files/7", &signed, 999), Ok(42));
        assert_eq!(
            signer.verify("/api/v1/files/7", &signed, 1_000),
            Err(Refused::Expired)
        );
        assert_eq!(
            signer.verify("/api/v1/files/8", &signed, 999),
            Err(Refused::BadSignature)
        );
    }

    #[test]
    fn a_changed_user_expiry_key_or_signature_is_refused() {
        let signer = UrlSigner::new(b"cluster key");
        let path = "/api/v1/files/7/thumbnail";
        let good = query(&signer.sign(path, 42, 1_000));
        let other_user = SignedQuery {
            u: 43,
            ..query(&signer.sign(path, 42, 1_000))
        };
        let later = SignedQuery {
            exp: 9_000,
            ..query(&signer.sign(path, 42, 1_000))
        };
        let garbled = SignedQuery {
            sig: "zz".repeat(32),
            ..query(&signer.sign(path, 42, 1_000))
        };
        for bad in [other_user, later, garbled] {
            assert_eq!(signer.verify(path, &bad, 0), Err(Refused::BadSignature));
        }
        let other_key = UrlSigner::new(b"another key");
        assert_eq!(other_key.verify(path, &good, 0), Err(Refused::BadSignature));
    }
}
