//! Message rules: bodies, client ids, emoji, mentions.

use crate::FieldErrors;
use crate::validate::{length, no_control_chars};

pub const MAX_BODY: usize = 4000;
/// Rooms below this size let anyone use `@room` / `@here`, and notify on everything by default.
pub const SMALL_ROOM: i64 = 20;

/// The body as stored: trimmed, 1–4000 characters, no control characters but newline and tab.
pub fn body(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    length(trimmed, 1, MAX_BODY)?;
    no_control_chars(trimmed)?;
    Ok(trimmed.to_owned())
}

/// Checks the fields of a send, naming every failing one.
pub fn check_send(
    raw_body: &str,
    client_msg_id: Option<&str>,
    parent_seq: Option<i64>,
) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    let body = body(raw_body).map_err(|m| errors.add("body", m)).ok();
    if let Some(id) = client_msg_id {
        errors.check(
            "client_msg_id",
            length(id, 1, 64).and_then(|_| crate::validate::single_line(id)),
        );
    }
    if parent_seq.is_some_and(|s| s < 1) {
        errors.add("parent_seq", "must be a positive seq");
    }
    match body {
        Some(body) if errors.is_empty() => Ok(body),
        _ => Err(errors),
    }
}

/// An emoji (or short reaction name): 1–32 characters, no whitespace or control characters.
pub fn emoji(s: &str) -> Result<(), String> {
    length(s, 1, 32)?;
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".to_owned());
    }
    Ok(())
}

/// What a body mentions.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Mentions {
    /// Lower-cased usernames after `@`.
    pub usernames: Vec<String>,
    pub room: bool,
    pub here: bool,
}

/// Finds `@username`, `@room` and `@here` where `@` starts a word.
pub fn mentions(body: &str) -> Mentions {
    let mut found = Mentions::default();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if chars[i] == '@' && starts_word {
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                .collect();
            let name = name.trim_end_matches(['.', '-']).to_lowercase();
            i += name.len();
            match name.as_str() {
                "room" | "channel" | "everyone" => found.room = true,
                "here" => found.here = true,
                n if (3..=32).contains(&n.len()) && !found.usernames.iter().any(|u| u == n) => {
                    found.usernames.push(n.to_owned())
                }
                _ => {}
            }
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert_eq!(body("  hi\n"), Ok("hi".to_owned()));
        assert!(body("   ").is_err());
        assert!(body(&"x".repeat(4001)).is_err());
        assert!(body(&"é".repeat(4000)).is_ok());
        assert!(body("a\u{0}b").is_err());
        assert!(body("tab\tnew\nline").is_ok());
    }

    #[test]
    fn finds_mentions() {
        let m = mentions("hey @Alice, @bob. and @here; mail a@b.com @room @alice");
        assert_eq!(m.usernames, vec!["alice", "bob"]);
        assert!(m.here && m.room);
        assert_eq!(mentions("no mentions here").usernames.len(), 0);
    }

    #[test]
    fn emoji_rules() {
        assert!(emoji("👍").is_ok());
        assert!(emoji("thumbs_up").is_ok());
        assert!(emoji("").is_err());
        assert!(emoji("a b").is_err());
        assert!(emoji(&"x".repeat(33)).is_err());
    }
}
