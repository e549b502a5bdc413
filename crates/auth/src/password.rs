//! argon2id password hashing. Slow by design: callers run these on the blocking pool.

use argon2::password_hash::phc::PasswordHash;
use argon2::{ARGON2ID_IDENT, Argon2, Params, PasswordHasher, PasswordVerifier};

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Parley's parameters: argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's baseline).
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// True when `password` matches `stored`. A malformed stored hash is an error, not a
/// mismatch: it means corrupt data, which must not look like a wrong password.
pub fn verify(password: &str, stored: &str) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(stored).map_err(|e| HashError(e.to_string()))?;
    // Verify with the parameters recorded in the hash (older, weaker ones included).
    let params = Params::try_from(&parsed).map_err(|e| HashError(e.to_string()))?;
    let verifier = Argon2::new(
        argon2::Algorithm::default(),
        argon2::Version::default(),
        params,
    );
    match verifier.verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(HashError(e.to_string())),
    }
}

/// True when `stored` was made with another algorithm or weaker parameters than
/// Parley's current ones: it is rehashed at the next successful login.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    if parsed.algorithm != ARGON2ID_IDENT {
        return true;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    let current = Params::DEFAULT;
    params.m_cost() < current.m_cost()
        || params.t_cost() < current.t_cost()
        || params.p_cost() < current.p_cost()
}

/// A hash with deliberately weak parameters, for tests of the rehash path.
#[doc(hidden)]
pub fn hash_weak_for_tests(password: &str) -> Result<String, HashError> {
    let params = Params::new(1024, 1, 1, None).map_err(|e| HashError(e.to_string()))?;
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_parameters() {
        let stored = hash("correct horse battery staple").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery staple", &stored).unwrap());
        assert!(!verify("correct horse battery stapl", &stored).unwrap());
        assert!(!needs_rehash(&stored));
    }

    #[test]
    fn weak_hashes_verify_and_ask_for_rehash() {
        let weak = hash_weak_for_tests("hunter2hunter2").unwrap();
        assert!(verify("hunter2hunter2", &weak).unwrap());
        assert!(needs_rehash(&weak));
    }

    #[test]
    fn corrupt_hashes_are_errors_not_mismatches() {
        assert!(verify("x", "not a hash").is_err());
    }
}
