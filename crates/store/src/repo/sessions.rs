//! Sessions (refresh-token families) and their refresh tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{NewSession, RefreshTokenRow, SessionRow, UserRow};
use crate::schema::{refresh_tokens, sessions, users};

pub fn insert(conn: &mut DbConn, new: &NewSession<'_>) -> StoreResult<SessionRow> {
    Ok(diesel::insert_into(sessions::table)
        .values(new)
        .returning(sessions::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConn, session_id: i64) -> StoreResult<SessionRow> {
    Ok(sessions::table.find(session_id).get_result(conn)?)
}

/// The session and its user, if the session is live (not revoked, not expired) and
/// the user active: the check every authenticated request and socket makes.
///
/// Read without `.first()`: SQLite re-prepares a statement with a bound `LIMIT ?` on
/// every execution (diesel binds `.first()`'s 1), which was a quarter of a
/// 19,900-socket connect storm's CPU. The session's primary key makes it one row at most.
pub fn find_live_with_user(
    conn: &mut DbConn,
    session_id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> StoreResult<Option<(SessionRow, UserRow)>> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id))
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(users::is_active.eq(true))
        .select((sessions::all_columns, users::all_columns))
        .load(conn)?
        .into_iter()
        .next())
}

/// The user's sessions that are still live, newest first.
pub fn list_live(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> StoreResult<Vec<SessionRow>> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order(sessions::last_used_at.desc())
        .load(conn)?)
}

/// Slides the session's expiry and records its use.
pub fn touch(
    conn: &mut DbConn,
    session_id: i64,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(sessions::table.find(session_id))
        .set((
            sessions::last_used_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Revokes one session; true when it was live.
pub fn revoke(conn: &mut DbConn, session_id: i64, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n > 0)
}

/// Revokes every live session of a user except `keep`; returns the revoked ids.
pub fn revoke_all(
    conn: &mut DbConn,
    user_id: i64,
    keep: Option<i64>,
    now: NaiveDateTime,
) -> StoreResult<Vec<i64>> {
    let mut query = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .select(sessions::id)
        .into_boxed();
    if let Some(keep) = keep {
        query = query.filter(sessions::id.ne(keep));
    }
    let ids: Vec<i64> = query.load(conn)?;
    if !ids.is_empty() {
        diesel::update(sessions::table.filter(sessions::id.eq_any(&ids)))
            .set(sessions::revoked_at.eq(Some(now)))
            .execute(conn)?;
    }
    Ok(ids)
}

pub fn insert_refresh_token(
    conn: &mut DbConn,
    session_id: i64,
    token_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::issued_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_refresh_token(
    conn: &mut DbConn,
    token_hash: &str,
) -> StoreResult<Option<RefreshTokenRow>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .get_result(conn)
        .optional()?)
}

/// Marks a refresh token spent; false when it already was (a concurrent use won).
pub fn spend_refresh_token(
    conn: &mut DbConn,
    token_id: i64,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .find(token_id)
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Of `session_ids`, those no longer live: revoked, expired, or of an inactive user.
/// The gateway's periodic sweep closes their sockets, so a revocation whose event was
/// lost (a Redis outage, the operator's command line) still takes effect.
pub fn ended_among(
    conn: &mut DbConn,
    session_ids: &[i64],
    now: NaiveDateTime,
) -> StoreResult<Vec<i64>> {
    let live: std::collections::HashSet<i64> = sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq_any(session_ids))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(users::is_active.eq(true))
        .select(sessions::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    Ok(session_ids
        .iter()
        .copied()
        .filter(|id| !live.contains(id))
        .collect())
}

/// Every session the user ever had, newest first (for a data export).
pub fn all_of(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<SessionRow>> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order(sessions::id.desc())
        .load(conn)?)
}
