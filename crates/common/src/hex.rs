//! Lowercase hex, as digests, token hashes and object keys are written.

/// Two lowercase hex digits per byte.
pub fn lower(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_lowercase_digits_a_byte() {
        assert_eq!(super::lower(&[0x00, 0x0f, 0xab]), "000fab");
    }
}
