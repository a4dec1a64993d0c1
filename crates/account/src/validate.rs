//! The rules for what users may type: pure functions, unit-tested.

use crate::error::AccountError;

/// 3-32 characters of letters, digits, `_`, `.` and `-`, starting with a letter or digit.
pub fn username(name: &str) -> Result<(), AccountError> {
    let length = name.chars().count();
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if (3..=32).contains(&length) && allowed && starts_well {
        Ok(())
    } else {
        Err(AccountError::invalid(
            "invalid_username",
            "a username has 3-32 characters: letters, digits, _ . - (starting with a letter or digit)",
        ))
    }
}

/// At least 8 characters, at most 128 (argon2 input stays bounded).
pub fn password(password: &str) -> Result<(), AccountError> {
    match password.chars().count() {
        8..=128 => Ok(()),
        _ => Err(AccountError::invalid(
            "invalid_password",
            "a password has 8-128 characters",
        )),
    }
}

/// Free text of at most `max` characters without control characters.
pub fn text(field: &'static str, value: &str, max: usize) -> Result<(), AccountError> {
    if value.chars().count() > max || value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AccountError::invalid(
            "invalid_field",
            format!("{field} has at most {max} characters and no control characters"),
        ));
    }
    Ok(())
}

/// Empty, or an http(s) URL of at most 512 characters.
pub fn url(field: &'static str, value: &str) -> Result<(), AccountError> {
    let scheme_ok = value.starts_with("https://") || value.starts_with("http://");
    if value.is_empty() || (scheme_ok && value.len() <= 512 && !value.contains(char::is_whitespace))
    {
        Ok(())
    } else {
        Err(AccountError::invalid(
            "invalid_field",
            format!("{field} must be an http(s) URL of at most 512 characters"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        for good in ["bob", "Alice_01", "a.b-c", &"x".repeat(32)] {
            assert!(username(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ab",
            "_bob",
            "bob smith",
            "bob@x",
            "ünï",
            &"x".repeat(33),
        ] {
            assert!(username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(password("12345678").is_ok());
        assert!(password("1234567").is_err());
        assert!(password(&"p".repeat(129)).is_err());
    }

    #[test]
    fn urls_and_text_are_bounded() {
        assert!(url("avatar_url", "").is_ok());
        assert!(url("avatar_url", "https://cdn.example/a.png").is_ok());
        assert!(url("avatar_url", "javascript:alert(1)").is_err());
        assert!(url("avatar_url", "https://a b").is_err());
        assert!(text("bio", "hello\nworld", 512).is_ok());
        assert!(text("bio", "bell\u{7}", 512).is_err());
        assert!(text("nickname", &"n".repeat(65), 64).is_err());
    }
}
