//! Single-use mailed tokens (email verification, password reset), stored as hashes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{NewUserToken, UserTokenRow};
use crate::schema::user_tokens;

pub fn insert(conn: &mut DbConn, new: &NewUserToken<'_>) -> StoreResult<UserTokenRow> {
    Ok(diesel::insert_into(user_tokens::table)
        .values(new)
        .returning(user_tokens::all_columns)
        .get_result(conn)?)
}

/// The token if it is unused and unexpired, without consuming it.
pub fn find_valid(
    conn: &mut DbConn,
    purpose: &str,
    token_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<UserTokenRow>> {
    Ok(user_tokens::table
        .filter(user_tokens::token_hash.eq(token_hash))
        .filter(user_tokens::purpose.eq(purpose))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(now))
        .get_result(conn)
        .optional()?)
}

/// Consumes an unexpired, unused token of `purpose`: returns it, or `None` when it is
/// unknown, expired or already used. The conditional UPDATE makes a race single-use too.
pub fn consume(
    conn: &mut DbConn,
    purpose: &str,
    token_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<UserTokenRow>> {
    let Some(row) = user_tokens::table
        .filter(user_tokens::token_hash.eq(token_hash))
        .filter(user_tokens::purpose.eq(purpose))
        .get_result::<UserTokenRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    if row.used_at.is_some() || row.expires_at <= now {
        return Ok(None);
    }
    let n = diesel::update(
        user_tokens::table
            .find(row.id)
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok((n == 1).then_some(row))
}

/// Voids the user's other unused tokens of `purpose` (a new reset link replaces old ones).
pub fn void_unused(
    conn: &mut DbConn,
    user_id: i64,
    purpose: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::purpose.eq(purpose))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}
