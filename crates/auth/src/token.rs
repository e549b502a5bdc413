//! Opaque bearer secrets (refresh tokens, mailed one-time tokens): random, shown to the
//! client once, stored only as a SHA-256 hash so a database leak reveals none of them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// 256 random bits, base64url (43 characters).
pub fn generate() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The stored form of a token: hex SHA-256.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh token and its stored hash.
pub fn generate_with_hash() -> (String, String) {
    let token = generate();
    let hashed = hash(&token);
    (token, hashed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, ha) = generate_with_hash();
        let (b, _) = generate_with_hash();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a), ha);
        assert_eq!(ha.len(), 64);
    }
}
