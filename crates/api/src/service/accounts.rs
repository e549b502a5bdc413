//! Accounts: registration, sessions with rotating refresh tokens, passwords, mail tokens.

use chrono::{Duration, NaiveDateTime};
use parley_auth::token;
use parley_domain::DomainError;
use parley_store::models::{NewSession, NewUser, NewUserToken, UserRow};
use parley_store::repo::{sessions, user_tokens, users};
use parley_store::{DbConn, StoreError, StoreResult, write_tx};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::mail::Mail;
use crate::models::{TokenPair, User};
use crate::state::AppState;

pub const PURPOSE_VERIFY_EMAIL: &str = "verify_email";
pub const PURPOSE_RESET_PASSWORD: &str = "reset_password";
const RESET_TTL_MINUTES: i64 = 30;
const VERIFY_TTL_HOURS: i64 = 48;

/// Who is signing in from where, recorded on the session.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl ClientMeta {
    pub fn from_request(req: &actix_web::HttpRequest, settings: &crate::Settings) -> Self {
        ClientMeta {
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(256).collect()),
            ip: crate::client_ip::client_ip(req, &settings.trusted_proxies)
                .map(|ip| ip.to_string()),
        }
    }
}

/// Validated registration input.
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
}

pub async fn register(
    state: &AppState,
    input: Registration,
    meta: ClientMeta,
) -> ApiResult<TokenPair> {
    // Refuse taken names before paying for a hash.
    let (username, email) = (input.username.clone(), input.email.clone());
    state
        .db(move |conn| {
            let taken_name = users::find_by_username(conn, &username)?.is_some();
            let taken_email = users::find_by_email(conn, &email)?.is_some();
            conflict_for(taken_name, taken_email)
        })
        .await?;
    let hash = state.auth.hash_password(input.password).await?;
    let settings = state.settings.clone();
    let (user, session_id, refresh) = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let now = parley_store::now();
                let display_name = input
                    .display_name
                    .map(|d| d.trim().to_owned())
                    .unwrap_or_else(|| input.username.clone());
                let user = users::insert(
                    conn,
                    &NewUser {
                        username: &input.username,
                        username_lower: &input.username.to_lowercase(),
                        email: &input.email,
                        email_lower: &input.email.to_lowercase(),
                        display_name: &display_name,
                        password_hash: &hash,
                        is_admin: false,
                        is_active: true,
                        created_at: now,
                    },
                )
                .map_err(|e| match e {
                    StoreError::UniqueViolation(constraint) => conflict_for(
                        constraint.contains("username"),
                        constraint.contains("email"),
                    )
                    .err()
                    .unwrap_or_else(|| ApiError::Conflict("already exists".into())),
                    other => other.into(),
                })?;
                let (session_id, refresh) =
                    start_session(conn, user.id, &meta, settings.auth.refresh_ttl_days, now)?;
                Ok((user, session_id, refresh))
            })
        })
        .await?;
    send_verification(state, &user, &user.email).await;
    token_pair(state, &user, session_id, refresh)
}

fn conflict_for(taken_name: bool, taken_email: bool) -> ApiResult<()> {
    match (taken_name, taken_email) {
        (false, false) => Ok(()),
        (true, false) => Err(ApiError::Conflict("the username is taken".into())),
        (false, true) => Err(ApiError::Conflict("the email is already registered".into())),
        (true, true) => Err(ApiError::Conflict(
            "the username and the email are taken".into(),
        )),
    }
}

/// Signs in with a username or email. Unknown users and wrong passwords answer the
/// same error after the same work; failures are throttled per account and address.
pub async fn login(
    state: &AppState,
    login: String,
    password: String,
    meta: ClientMeta,
) -> ApiResult<TokenPair> {
    let account_key = login.to_lowercase();
    let address_key = meta.ip.clone().unwrap_or_default();
    let throttled = state.settings.rate_limits;
    let redis = state.redis_link.as_deref();
    if throttled {
        let auth = &state.auth;
        if let Err(retry_after_secs) = auth
            .login_by_account
            .check_shared(redis, &account_key)
            .await
            .and(
                auth.login_by_address
                    .check_shared(redis, &address_key)
                    .await,
            )
        {
            return Err(DomainError::RateLimited { retry_after_secs }.into());
        }
    }
    let lookup = login.clone();
    let user = state
        .db(move |conn| Ok(users::find_by_login(conn, &lookup)?))
        .await?;
    // A deleted account has no password; it is checked against the dummy hash, so it
    // answers like an unknown user and takes as long.
    let stored = user
        .as_ref()
        .filter(|u| u.deleted_at.is_none())
        .map(|u| u.password_hash.clone());
    let matched = state.auth.verify_password(password.clone(), stored).await?;
    let user = match user {
        Some(user) if matched && user.is_active => user,
        _ => {
            if throttled {
                let auth = &state.auth;
                auth.login_by_account
                    .record_shared(redis, &account_key)
                    .await;
                auth.login_by_address
                    .record_shared(redis, &address_key)
                    .await;
            }
            return Err(ApiError::InvalidCredentials);
        }
    };
    state
        .auth
        .login_by_account
        .clear_shared(redis, &account_key)
        .await;
    // Upgrade hashes made with weaker parameters while we hold the password.
    let rehash = if parley_auth::password::needs_rehash(&user.password_hash) {
        Some(state.auth.hash_password(password).await?)
    } else {
        None
    };
    let settings = state.settings.clone();
    let user_id = user.id;
    let (session_id, refresh) = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                if let Some(hash) = &rehash {
                    users::set_password_hash(conn, user_id, hash)?;
                }
                let now = parley_store::now();
                Ok(start_session(
                    conn,
                    user_id,
                    &meta,
                    settings.auth.refresh_ttl_days,
                    now,
                )?)
            })
        })
        .await?;
    token_pair(state, &user, session_id, refresh)
}

enum RefreshOutcome {
    Issued {
        user: Box<UserRow>,
        session_id: i64,
        refresh: String,
    },
    /// Unknown token, ended session or inactive user.
    Refused,
    /// A spent token came back: the whole session was revoked.
    Reused { session_id: i64, user_id: i64 },
}

/// Rotates a refresh token. Presenting a spent one revokes its session: whoever holds
/// the newer token (a thief or the user) is signed out, and the user signs in again.
pub async fn refresh(state: &AppState, refresh_token: String) -> ApiResult<TokenPair> {
    let hashed = token::hash(&refresh_token);
    let ttl_days = state.settings.auth.refresh_ttl_days;
    let outcome = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<RefreshOutcome> {
                let now = parley_store::now();
                let Some(row) = sessions::find_refresh_token(conn, &hashed)? else {
                    return Ok(RefreshOutcome::Refused);
                };
                let session = sessions::find(conn, row.session_id)?;
                if row.used_at.is_some() || !sessions::spend_refresh_token(conn, row.id, now)? {
                    sessions::revoke(conn, session.id, now)?;
                    return Ok(RefreshOutcome::Reused {
                        session_id: session.id,
                        user_id: session.user_id,
                    });
                }
                if session.revoked_at.is_some() || session.expires_at <= now {
                    return Ok(RefreshOutcome::Refused);
                }
                let user = users::find(conn, session.user_id)?;
                if !user.is_active {
                    return Ok(RefreshOutcome::Refused);
                }
                let (refresh, hash) = token::generate_with_hash();
                sessions::insert_refresh_token(conn, session.id, &hash, now)?;
                sessions::touch(conn, session.id, now, now + Duration::days(ttl_days))?;
                Ok(RefreshOutcome::Issued {
                    user: Box::new(user),
                    session_id: session.id,
                    refresh,
                })
            })
        })
        .await?;
    match outcome {
        RefreshOutcome::Issued {
            user,
            session_id,
            refresh,
        } => token_pair(state, &user, session_id, refresh),
        RefreshOutcome::Reused {
            session_id,
            user_id,
        } => {
            tracing::warn!(session_id, "refresh token reused: session revoked");
            sessions_ended(state, user_id, vec![session_id]);
            Err(ApiError::Unauthorized(
                "the refresh token was already used; the session is revoked".into(),
            ))
        }
        RefreshOutcome::Refused => Err(ApiError::Unauthorized(
            "invalid or expired refresh token".into(),
        )),
    }
}

/// Ends the caller's session, and the session of `refresh_token` if it is the caller's.
pub async fn logout(
    state: &AppState,
    auth: &AuthUser,
    refresh_token: Option<String>,
) -> ApiResult<()> {
    let (user_id, session_id) = (auth.user_id, auth.session_id);
    let ended = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<i64>> {
                let now = parley_store::now();
                sessions::revoke(conn, session_id, now)?;
                let mut ended = vec![session_id];
                if let Some(refresh) = refresh_token
                    && let Some(row) = sessions::find_refresh_token(conn, &token::hash(&refresh))?
                    && sessions::find(conn, row.session_id)?.user_id == user_id
                {
                    sessions::revoke(conn, row.session_id, now)?;
                    ended.push(row.session_id);
                }
                Ok(ended)
            })
        })
        .await?;
    sessions_ended(state, user_id, ended);
    Ok(())
}

/// Tells every instance to close the sockets of ended sessions (4003).
pub fn sessions_ended(state: &AppState, user_id: i64, session_ids: Vec<i64>) {
    if !session_ids.is_empty() {
        state
            .bus
            .publish(parley_realtime::BusEvent::SessionsRevoked {
                user_id,
                session_ids,
            });
    }
}

/// Revokes the caller's sessions: all of them, or all but the current one.
pub async fn revoke_sessions(
    state: &AppState,
    auth: &AuthUser,
    keep_current: bool,
) -> ApiResult<Vec<i64>> {
    let (user_id, keep) = (auth.user_id, keep_current.then_some(auth.session_id));
    let ended = state
        .db(move |conn| {
            Ok(sessions::revoke_all(
                conn,
                user_id,
                keep,
                parley_store::now(),
            )?)
        })
        .await?;
    sessions_ended(state, user_id, ended.clone());
    Ok(ended)
}

fn start_session(
    conn: &mut DbConn,
    user_id: i64,
    meta: &ClientMeta,
    ttl_days: i64,
    now: NaiveDateTime,
) -> StoreResult<(i64, String)> {
    let session = sessions::insert(
        conn,
        &NewSession {
            user_id,
            created_at: now,
            last_used_at: now,
            expires_at: now + Duration::days(ttl_days),
            user_agent: meta.user_agent.as_deref(),
            ip: meta.ip.as_deref(),
        },
    )?;
    let (refresh, hash) = token::generate_with_hash();
    sessions::insert_refresh_token(conn, session.id, &hash, now)?;
    Ok((session.id, refresh))
}

fn token_pair(
    state: &AppState,
    user: &UserRow,
    session_id: i64,
    refresh_token: String,
) -> ApiResult<TokenPair> {
    let ttl = state.settings.auth.access_ttl_secs;
    let access_token = state
        .auth
        .keys
        .issue(user.id, session_id, ttl)
        .map_err(|e| ApiError::internal("signing an access token", e))?;
    Ok(TokenPair {
        user: User::from(user),
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: ttl,
    })
}

/// Changes the password after checking the current one; ends every other session.
pub async fn change_password(
    state: &AppState,
    auth: &AuthUser,
    current: String,
    new: String,
) -> ApiResult<()> {
    let user_id = auth.user_id;
    let user = state
        .db(move |conn| Ok(users::find(conn, user_id)?))
        .await?;
    if !state
        .auth
        .verify_password(current, Some(user.password_hash))
        .await?
    {
        return Err(DomainError::field("current_password", "is incorrect").into());
    }
    let hash = state.auth.hash_password(new).await?;
    let keep = auth.session_id;
    let ended = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<i64>> {
                users::set_password_hash(conn, user_id, &hash)?;
                Ok(sessions::revoke_all(
                    conn,
                    user_id,
                    Some(keep),
                    parley_store::now(),
                )?)
            })
        })
        .await?;
    sessions_ended(state, user_id, ended);
    Ok(())
}

/// Creates a single-use token of `purpose` for `user_id`, voiding older unused ones.
async fn issue_user_token(
    state: &AppState,
    user_id: i64,
    purpose: &'static str,
    email: Option<String>,
    ttl: Duration,
) -> ApiResult<(String, NaiveDateTime)> {
    let (secret, hash) = token::generate_with_hash();
    let expires_at = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<NaiveDateTime> {
                let now = parley_store::now();
                user_tokens::void_unused(conn, user_id, purpose, now)?;
                let row = user_tokens::insert(
                    conn,
                    &NewUserToken {
                        user_id,
                        purpose,
                        token_hash: &hash,
                        email: email.as_deref(),
                        created_at: now,
                        expires_at: now + ttl,
                    },
                )?;
                Ok(row.expires_at)
            })
        })
        .await?;
    Ok((secret, expires_at))
}

/// Mails a verification link for `email` (the current address or a new one).
/// Failures are logged, never shown: the account exists either way.
pub async fn send_verification(state: &AppState, user: &UserRow, email: &str) {
    let pending = (email.to_lowercase() != user.email_lower).then(|| email.to_owned());
    match issue_user_token(state, user.id, PURPOSE_VERIFY_EMAIL, pending, Duration::hours(VERIFY_TTL_HOURS)).await {
        Ok((secret, _)) => state.mailer.send_later(Mail {
            to: email.to_owned(),
            subject: "Confirm your email address for Parley".to_owned(),
            body: format!(
                "Hello {name},\n\nconfirm this address by opening\n{url}/verify-email#token={secret}\n\n\
                 or by entering this code in the app:\n{secret}\n\nThe link expires in {VERIFY_TTL_HOURS} hours.\n",
                name = user.display_name,
                url = state.settings.public_url,
            ),
        }),
        Err(err) => tracing::warn!(error = %err, "could not issue a verification token"),
    }
}

/// Confirms an address from a mailed token; a pending new address replaces the old.
pub async fn verify_email(state: &AppState, secret: String) -> ApiResult<()> {
    let hashed = token::hash(&secret);
    state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<()> {
                let now = parley_store::now();
                let row = user_tokens::consume(conn, PURPOSE_VERIFY_EMAIL, &hashed, now)?
                    .ok_or_else(|| {
                        ApiError::BadRequest("the token is invalid, used or expired".into())
                    })?;
                let user = users::find(conn, row.user_id)?;
                let email = row.email.unwrap_or(user.email);
                users::set_verified_email(conn, row.user_id, &email, now).map_err(|e| match e {
                    StoreError::UniqueViolation(_) => {
                        ApiError::Conflict("the email is already registered".into())
                    }
                    other => other.into(),
                })?;
                Ok(())
            })
        })
        .await
}

/// Starts an email change: mails a verification to the new address; the account keeps
/// its current address until that link is used.
pub async fn request_email_change(
    state: &AppState,
    auth: &AuthUser,
    new_email: String,
    current_password: String,
) -> ApiResult<()> {
    let user_id = auth.user_id;
    let lookup = new_email.clone();
    let (user, taken) = state
        .db(move |conn| {
            let user = users::find(conn, user_id)?;
            let taken = users::find_by_email(conn, &lookup)?.is_some_and(|u| u.id != user_id);
            Ok((user, taken))
        })
        .await?;
    if !state
        .auth
        .verify_password(current_password, Some(user.password_hash.clone()))
        .await?
    {
        return Err(DomainError::field("current_password", "is incorrect").into());
    }
    if taken {
        return Err(ApiError::Conflict("the email is already registered".into()));
    }
    if new_email.to_lowercase() != user.email_lower {
        send_verification(state, &user, &new_email).await;
    }
    Ok(())
}

/// Mails a reset link when the address belongs to an active user; silent otherwise,
/// so the answer never tells whether an address is registered.
pub async fn forgot_password(state: &AppState, email: String) -> ApiResult<()> {
    let user = state
        .db(move |conn| Ok(users::find_by_email(conn, &email)?))
        .await?;
    let Some(user) = user.filter(|u| u.is_active) else {
        return Ok(());
    };
    let (secret, _) = reset_link_token(state, user.id).await?;
    state.mailer.send_later(Mail {
        to: user.email.clone(),
        subject: "Reset your Parley password".to_owned(),
        body: format!(
            "Hello {name},\n\nsomeone asked to reset the password of your Parley account.\n\
             To choose a new password, open\n{url}\n\nor enter this code in the app:\n{secret}\n\n\
             The link expires in {RESET_TTL_MINUTES} minutes. If you did not ask for this, ignore this mail.\n",
            name = user.display_name,
            url = reset_url(state, &secret),
        ),
    });
    Ok(())
}

async fn reset_link_token(state: &AppState, user_id: i64) -> ApiResult<(String, NaiveDateTime)> {
    issue_user_token(
        state,
        user_id,
        PURPOSE_RESET_PASSWORD,
        None,
        Duration::minutes(RESET_TTL_MINUTES),
    )
    .await
}

/// The SPA's reset page; the token rides in the fragment, which browsers never send
/// to servers, so it stays out of access logs.
pub fn reset_url(state: &AppState, secret: &str) -> String {
    format!(
        "{}/reset-password#token={secret}",
        state.settings.public_url
    )
}

/// A reset link for any user, for deployments without SMTP (administrators only).
pub async fn admin_reset_link_by(
    state: &AppState,
    admin_id: Option<i64>,
    user_id: i64,
) -> ApiResult<(String, NaiveDateTime)> {
    let link = admin_reset_link(state, user_id).await?;
    state
        .db(move |conn| {
            Ok(parley_store::repo::admin::record(
                conn,
                admin_id,
                "user.reset_link",
                "user",
                user_id,
                "",
                parley_store::now(),
            )?)
        })
        .await?;
    Ok(link)
}

async fn admin_reset_link(state: &AppState, user_id: i64) -> ApiResult<(String, NaiveDateTime)> {
    let user = state
        .db(move |conn| Ok(users::find(conn, user_id)?))
        .await?;
    if user.deleted_at.is_some() {
        return Err(ApiError::not_found("user"));
    }
    let (secret, expires_at) = reset_link_token(state, user_id).await?;
    Ok((reset_url(state, &secret), expires_at))
}

/// Sets a new password from a mailed token and ends every session of the user.
pub async fn reset_password(
    state: &AppState,
    secret: String,
    new_password: String,
) -> ApiResult<()> {
    let hashed = token::hash(&secret);
    // Check the token before paying for a hash; consuming it below keeps it single-use.
    let probe = hashed.clone();
    state
        .db(move |conn| {
            let row = parley_store::repo::user_tokens::find_valid(
                conn,
                PURPOSE_RESET_PASSWORD,
                &probe,
                parley_store::now(),
            )?;
            row.map(|_| ())
                .ok_or_else(|| ApiError::BadRequest("the token is invalid, used or expired".into()))
        })
        .await?;
    let hash = state.auth.hash_password(new_password).await?;
    let (user_id, ended) = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<(i64, Vec<i64>)> {
                let now = parley_store::now();
                let row = user_tokens::consume(conn, PURPOSE_RESET_PASSWORD, &hashed, now)?
                    .ok_or_else(|| {
                        ApiError::BadRequest("the token is invalid, used or expired".into())
                    })?;
                users::set_password_hash(conn, row.user_id, &hash)?;
                Ok((
                    row.user_id,
                    sessions::revoke_all(conn, row.user_id, None, now)?,
                ))
            })
        })
        .await?;
    sessions_ended(state, user_id, ended);
    Ok(())
}
