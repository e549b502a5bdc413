//! Parley's credentials: argon2id password hashes, JWT access tokens, and opaque
//! refresh / one-time tokens stored only as hashes.

pub mod jwt;
pub mod password;
pub mod token;

pub use jwt::{AccessClaims, JwtKeys, TokenError};
