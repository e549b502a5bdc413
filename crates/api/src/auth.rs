//! `AuthUser`: the extractor every protected handler takes. It verifies the bearer
//! JWT (algorithm pinned, `iss`/`aud`/`exp` checked) and then checks on each request
//! that the session is live and the user active, so a revoked session or a
//! deactivated user loses access at once rather than when the token expires.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use parley_auth::TokenError;
use parley_store::DbConn;
use parley_store::models::UserRow;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: i64,
    pub session_id: i64,
    pub is_admin: bool,
    pub email_verified: bool,
}

impl AuthUser {
    /// Server administrators only.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden("administrators only".into()))
        }
    }
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("missing bearer token".into()))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::Unauthorized("malformed Authorization header".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized("expected a Bearer token".into()));
    }
    Ok(token.trim())
}

/// Verifies an access token's signature and claims (no database): the user and session.
fn verify_token(state: &AppState, token: &str) -> Result<(i64, i64), ApiError> {
    let claims = state.auth.keys.verify(token).map_err(|e| match e {
        TokenError::Expired => ApiError::TokenExpired,
        TokenError::Invalid => ApiError::Unauthorized("invalid token".into()),
    })?;
    let user_id = claims
        .user_id()
        .ok_or_else(|| ApiError::Unauthorized("invalid token".into()))?;
    Ok((user_id, claims.sid))
}

/// The session's user if the session is live and the user active.
fn live_user(conn: &mut DbConn, user_id: i64, session_id: i64) -> Result<UserRow, ApiError> {
    parley_store::repo::sessions::find_live_with_user(
        conn,
        session_id,
        user_id,
        parley_store::now(),
    )?
    .map(|(_, user)| user)
    .ok_or_else(|| ApiError::Unauthorized("the session has ended".into()))
}

fn auth_user(user_id: i64, session_id: i64, user: &UserRow) -> AuthUser {
    AuthUser {
        user_id,
        session_id,
        is_admin: user.is_admin,
        email_verified: user.email_verified_at.is_some(),
    }
}

/// Verifies an access token and its session: what the extractor runs per request.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let (user_id, session_id) = verify_token(state, token)?;
    let user = state
        .db(move |conn| live_user(conn, user_id, session_id))
        .await?;
    Ok(auth_user(user_id, session_id, &user))
}

/// A socket's setup: the token and session as `authenticate` checks them, plus the user
/// and their rooms (`(room_id, last_event_seq, last_seq)`), in one trip to the database.
pub async fn authenticate_socket(
    state: &AppState,
    token: &str,
) -> Result<(AuthUser, UserRow, Vec<(i64, i64, i64)>), ApiError> {
    let (user_id, session_id) = verify_token(state, token)?;
    let (user, rooms) = state
        .db(move |conn| {
            let user = live_user(conn, user_id, session_id)?;
            let rooms = parley_store::repo::members::rooms_with_event_seq(conn, user_id)?;
            Ok((user, rooms))
        })
        .await?;
    Ok((auth_user(user_id, session_id, &user), user, rooms))
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req).map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or(ApiError::Internal)?;
            authenticate(&state, &token?).await
        })
    }
}
