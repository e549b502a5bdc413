//! Field rules shared by every entry point (REST and WebSocket alike).
//! Lengths count Unicode scalar values, after the stated trimming (CONTRACT §2).

/// Number of Unicode scalar values.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `min..=max` characters; cheap on huge input (stops counting past `max`).
pub fn length(s: &str, min: usize, max: usize) -> Result<(), String> {
    let n = s.chars().take(max + 1).count();
    if n < min || n > max {
        if min == max {
            return Err(format!("must be exactly {min} characters"));
        }
        if min <= 1 {
            return Err(if n == 0 {
                "must not be empty".to_owned()
            } else {
                format!("must be at most {max} characters")
            });
        }
        return Err(format!("must be between {min} and {max} characters"));
    }
    Ok(())
}

/// Rejects control characters other than newline and tab.
pub fn no_control_chars(s: &str) -> Result<(), String> {
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("must not contain control characters".to_owned());
    }
    Ok(())
}

/// Single-line text: no control characters at all.
pub fn single_line(s: &str) -> Result<(), String> {
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters or line breaks".to_owned());
    }
    Ok(())
}

/// 3–32 of `[A-Za-z0-9_.-]`.
pub fn username(s: &str) -> Result<(), String> {
    length(s, 3, 32)?;
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err("may contain only letters, digits, '_', '.' and '-'".to_owned());
    }
    Ok(())
}

/// A pragmatic address check: one `@`, a non-empty local part, a dotted domain,
/// no spaces or control characters, at most 254 characters.
pub fn email(s: &str) -> Result<(), String> {
    const MESSAGE: &str = "must be a valid email address";
    if s.chars().take(255).count() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(MESSAGE.to_owned());
    }
    let Some((local, domain)) = s.split_once('@') else {
        return Err(MESSAGE.to_owned());
    };
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.chars().count() > 64 || !domain_ok {
        return Err(MESSAGE.to_owned());
    }
    Ok(())
}

/// Display names: 1–64 characters after trimming, one line.
pub fn display_name(s: &str) -> Result<(), String> {
    length(s.trim(), 1, 64)?;
    single_line(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(length("ééé", 3, 3).is_ok());
        assert!(length("日本", 3, 10).is_err());
        assert!(length("", 1, 10).is_err());
    }

    #[test]
    fn usernames() {
        assert!(username("alice_1.b-c").is_ok());
        assert!(username("al").is_err());
        assert!(username("alice smith").is_err());
        assert!(username("ålice").is_err());
        assert!(username(&"a".repeat(33)).is_err());
    }

    #[test]
    fn emails() {
        assert!(email("a@example.com").is_ok());
        assert!(email("a.b+c@sub.example.org").is_ok());
        for bad in [
            "", "a", "a@", "@b.c", "a@b", "a b@c.d", "a@b@c.d", "a@-b.c", "a@b..c",
        ] {
            assert!(email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn control_characters() {
        assert!(no_control_chars("line\nnext\tcol").is_ok());
        assert!(no_control_chars("bell\u{7}").is_err());
        assert!(single_line("a\nb").is_err());
    }
}
