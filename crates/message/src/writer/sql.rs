//! SQL literals for the batch scripts, which go as text (several statements in one round trip)
//! rather than as prepared statements with bound values.
//!
//! Only two kinds of literal are written, and neither depends on the server's SQL mode
//! (`NO_BACKSLASH_ESCAPES`, `ANSI_QUOTES`) or character set: integers, and strings that are
//! either made of characters that never need escaping, quoted as they are, or else written in
//! hex. Nothing a client sends can end a literal.

/// A string literal: `'d:1:2'` when every character is a letter, digit or one of `:_.-`,
/// otherwise hex (`X'...'`). Conversation ids always take the first form, which keeps them
/// comparable with the indexed `ascii_bin` columns as they are.
pub fn text(value: &str) -> String {
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.' | b'-'));
    if plain {
        format!("'{value}'")
    } else {
        bytes(value.as_bytes())
    }
}

/// A binary literal in hex: `X'0a1b'` (`X''` for no bytes).
pub fn bytes(value: &[u8]) -> String {
    // By table, not `write!("{:02x}")`: a formatter call per byte was 4 % of the message
    // service's CPU under load (every message's content goes through here).
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut literal = String::with_capacity(value.len() * 2 + 3);
    literal.push_str("X'");
    for byte in value {
        literal.push(char::from(DIGITS[usize::from(byte >> 4)]));
        literal.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    literal.push('\'');
    literal
}

/// Appends `head (row), (row), ... tail;` to `script`, or nothing when there are no rows.
pub fn insert(script: &mut String, head: &str, rows: &[String], tail: &str) {
    if rows.is_empty() {
        return;
    }
    script.push_str(head);
    script.push(' ');
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            script.push_str(", ");
        }
        script.push_str(row);
    }
    script.push_str(tail);
    script.push_str(";\n");
}

/// `a, b, c` for the items' literals.
pub fn list<T>(items: impl IntoIterator<Item = T>, literal: impl Fn(T) -> String) -> String {
    items
        .into_iter()
        .map(literal)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_quoted_and_anything_else_is_hex() {
        assert_eq!(text("d:12:34"), "'d:12:34'");
        assert_eq!(text("run-1_a.b"), "'run-1_a.b'");
        assert_eq!(text("it's"), "X'69742773'");
        assert_eq!(text("a\\'; DROP"), "X'615c273b2044524f50'");
        assert_eq!(text(""), "''");
        assert_eq!(bytes(&[]), "X''");
        assert_eq!(bytes(&[0, 0xff, 0x10]), "X'00ff10'");
    }

    #[test]
    fn rows_join_into_one_statement() {
        let mut script = String::new();
        insert(&mut script, "INSERT INTO t VALUES", &[], "");
        assert!(script.is_empty());
        let rows = ["(1, 'a')".to_owned(), "(2, 'b')".to_owned()];
        insert(
            &mut script,
            "INSERT INTO t VALUES",
            &rows,
            " ON DUPLICATE KEY UPDATE x = x",
        );
        assert_eq!(
            script,
            "INSERT INTO t VALUES (1, 'a'), (2, 'b') ON DUPLICATE KEY UPDATE x = x;\n"
        );
        assert_eq!(list([1, 2, 3], |n: i32| n.to_string()), "1, 2, 3");
    }
}
