//! Password rules: 8–128 characters, whitespace kept, no composition rules, and not
//! one of the most common passwords (NIST SP 800-63B).

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::validate::length;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

fn common() -> &'static HashSet<&'static str> {
    static COMMON: OnceLock<HashSet<&'static str>> = OnceLock::new();
    COMMON.get_or_init(|| {
        include_str!("common_passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Checked before any hashing, so a huge input is refused cheaply.
pub fn check(password: &str) -> Result<(), String> {
    length(password, MIN_LEN, MAX_LEN)?;
    if common().contains(password.to_lowercase().as_str()) {
        return Err("is too common; choose a less guessable password".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(check("correct horse battery staple").is_ok());
        assert!(check("  spaces kept  ").is_ok());
        assert!(check("short").is_err());
        assert!(check(&"x".repeat(128)).is_ok());
        assert!(check(&"x".repeat(129)).is_err());
        assert!(check("Password123").is_err(), "common, ignoring case");
        assert!(check("12345678").is_err());
    }
}
