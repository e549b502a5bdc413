//! Access tokens: HS256 JWTs with the algorithm pinned on verification and
//! `iss`/`aud`/`exp`/`iat`/`sub` required.

use chrono::Utc;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "parley";
pub const AUDIENCE: &str = "parley-api";
/// Shortest secret accepted from `JWT_SECRET`.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id, as a string (RFC 7519).
    pub sub: String,
    /// The session (refresh-token family) the token belongs to.
    pub sid: i64,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// Always `access`: nothing else is ever signed with this key as a JWT.
    pub typ: String,
}

impl AccessClaims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("invalid token")]
    Invalid,
}

/// The signing key and the pinned validation rules.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Signs an access token for `user_id` in `session_id`, valid for `ttl_secs`.
    pub fn issue(
        &self,
        user_id: i64,
        session_id: i64,
        ttl_secs: i64,
    ) -> Result<String, TokenError> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id.to_string(),
            sid: session_id,
            jti: crate::token::generate(),
            iat: now,
            exp: now + ttl_secs,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            typ: "access".to_owned(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| TokenError::Invalid)
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let data =
            decode::<AccessClaims>(token, &self.decoding, &self.validation).map_err(|e| match e
                .kind()
            {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        if data.claims.typ != "access" || data.claims.user_id().is_none() {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issue_and_verify() {
        let keys = JwtKeys::new(SECRET);
        let token = keys.issue(7, 3, 60).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.user_id(), claims.sid), (Some(7), 3));
    }

    #[test]
    fn expired_wrong_key_and_tampered_tokens_fail() {
        let keys = JwtKeys::new(SECRET);
        assert_eq!(
            keys.verify(&keys.issue(7, 3, -60).unwrap()),
            Err(TokenError::Expired)
        );
        let other = JwtKeys::new(b"another secret of at least 32 bytes!!");
        assert_eq!(
            keys.verify(&other.issue(7, 3, 60).unwrap()),
            Err(TokenError::Invalid)
        );
        assert_eq!(keys.verify("not.a.jwt"), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = JwtKeys::new(SECRET);
        let token = keys.issue(7, 3, 60).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            keys.verify(&format!("{header}.{payload}.")),
            Err(TokenError::Invalid)
        );
    }
}
