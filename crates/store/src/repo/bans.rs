//! Room bans and user blocks.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{BanRow, UserRow};
use crate::schema::{room_bans, user_blocks, users};

pub fn is_banned(conn: &mut DbConn, room_id: i64, user_id: i64) -> StoreResult<bool> {
    Ok(room_bans::table
        .find((room_id, user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Bans a user; true when the ban is new.
pub fn ban(
    conn: &mut DbConn,
    room_id: i64,
    user_id: i64,
    by: i64,
    reason: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    if is_banned(conn, room_id, user_id)? {
        return Ok(false);
    }
    diesel::insert_into(room_bans::table)
        .values((
            room_bans::room_id.eq(room_id),
            room_bans::user_id.eq(user_id),
            room_bans::banned_by.eq(by),
            room_bans::reason.eq(reason),
            room_bans::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn unban(conn: &mut DbConn, room_id: i64, user_id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(room_bans::table.find((room_id, user_id))).execute(conn)? > 0)
}

pub fn list(conn: &mut DbConn, room_id: i64) -> StoreResult<Vec<(BanRow, UserRow)>> {
    Ok(room_bans::table
        .inner_join(users::table.on(users::id.eq(room_bans::user_id)))
        .filter(room_bans::room_id.eq(room_id))
        .order(room_bans::created_at.desc())
        .select((room_bans::all_columns, users::all_columns))
        .load(conn)?)
}

pub fn block(conn: &mut DbConn, blocker: i64, blocked: i64, now: NaiveDateTime) -> StoreResult<()> {
    if is_blocked(conn, blocker, blocked)? {
        return Ok(());
    }
    diesel::insert_into(user_blocks::table)
        .values((
            user_blocks::blocker_id.eq(blocker),
            user_blocks::blocked_id.eq(blocked),
            user_blocks::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn unblock(conn: &mut DbConn, blocker: i64, blocked: i64) -> StoreResult<()> {
    diesel::delete(user_blocks::table.find((blocker, blocked))).execute(conn)?;
    Ok(())
}

/// Has `blocker` blocked `blocked`?
pub fn is_blocked(conn: &mut DbConn, blocker: i64, blocked: i64) -> StoreResult<bool> {
    Ok(user_blocks::table
        .find((blocker, blocked))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

pub fn blocked_by(conn: &mut DbConn, blocker: i64) -> StoreResult<Vec<UserRow>> {
    Ok(user_blocks::table
        .inner_join(users::table.on(users::id.eq(user_blocks::blocked_id)))
        .filter(user_blocks::blocker_id.eq(blocker))
        .select(users::all_columns)
        .load(conn)?)
}
