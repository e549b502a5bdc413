//! Room memberships.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{MemberRow, UserRow};
use crate::paging::AtMostDsl;
use crate::schema::{room_members, users};

pub fn find(conn: &mut DbConn, room_id: i64, user_id: i64) -> StoreResult<Option<MemberRow>> {
    Ok(room_members::table
        .find((room_id, user_id))
        .get_result(conn)
        .optional()?)
}

/// The memberships among these (room, user) pairs with their users' rows, in one query
/// (the group commit needs both: who may post, and the author of what is posted).
pub fn find_pairs_with_users(
    conn: &mut DbConn,
    pairs: &[(i64, i64)],
) -> StoreResult<Vec<(MemberRow, UserRow)>> {
    match conn {
        DbConn::Sqlite(lite) => {
            // One primary-key probe per pair, in a statement whose text does not depend
            // on how many pairs there are (`CROSS JOIN` keeps the pairs the outer loop).
            let list = pairs
                .iter()
                .map(|(room, user)| format!("[{room},{user}]"))
                .collect::<Vec<_>>()
                .join(",");
            Ok(crate::keep!(
                "SELECT m.*, u.* FROM json_each($1) AS k CROSS JOIN room_members AS m \
                 ON m.room_id = json_extract(k.value, '$[0]') AND m.user_id = json_extract(k.value, '$[1]') \
                 JOIN users AS u ON u.id = m.user_id"
            )
            .bind::<diesel::sql_types::Text, _>(format!("[{list}]"))
            .load(lite)?)
        }
        DbConn::Postgres(pg) => {
            let rooms: Vec<i64> = pairs.iter().map(|p| p.0).collect();
            let user_ids: Vec<i64> = pairs.iter().map(|p| p.1).collect();
            let rows: Vec<(MemberRow, UserRow)> = room_members::table
                .inner_join(users::table)
                .filter(room_members::room_id.eq_any(&rooms))
                .filter(room_members::user_id.eq_any(&user_ids))
                .select((room_members::all_columns, users::all_columns))
                .load(pg)?;
            // The query matches the cross product; keep the pairs asked for.
            let wanted: std::collections::HashSet<(i64, i64)> = pairs.iter().copied().collect();
            Ok(rows
                .into_iter()
                .filter(|(m, _)| wanted.contains(&(m.room_id, m.user_id)))
                .collect())
        }
    }
}

pub fn insert(
    conn: &mut DbConn,
    room_id: i64,
    user_id: i64,
    role: &str,
    now: NaiveDateTime,
) -> StoreResult<MemberRow> {
    Ok(diesel::insert_into(room_members::table)
        .values((
            room_members::room_id.eq(room_id),
            room_members::user_id.eq(user_id),
            room_members::role.eq(role),
            room_members::joined_at.eq(now),
        ))
        .returning(room_members::all_columns)
        .get_result(conn)?)
}

/// Removes a membership; true when there was one.
pub fn delete(conn: &mut DbConn, room_id: i64, user_id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(room_members::table.find((room_id, user_id))).execute(conn)? > 0)
}

pub fn set_role(
    conn: &mut DbConn,
    room_id: i64,
    user_id: i64,
    role: &str,
) -> StoreResult<MemberRow> {
    Ok(diesel::update(room_members::table.find((room_id, user_id)))
        .set(room_members::role.eq(role))
        .returning(room_members::all_columns)
        .get_result(conn)?)
}

pub fn count(conn: &mut DbConn, room_id: i64) -> StoreResult<i64> {
    Ok(room_members::table
        .filter(room_members::room_id.eq(room_id))
        .count()
        .get_result(conn)?)
}

/// Member counts of several rooms at once.
pub fn counts(conn: &mut DbConn, room_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
    Ok(room_members::table
        .filter(room_members::room_id.eq_any(room_ids))
        .group_by(room_members::room_id)
        .select((room_members::room_id, diesel::dsl::count_star()))
        .load(conn)?)
}

/// The user ids of a room's members.
pub fn user_ids(conn: &mut DbConn, room_id: i64) -> StoreResult<Vec<i64>> {
    Ok(room_members::table
        .filter(room_members::room_id.eq(room_id))
        .select(room_members::user_id)
        .load(conn)?)
}

/// Members with their users, by user id, after the `after_user_id` cursor.
pub fn list(
    conn: &mut DbConn,
    room_id: i64,
    after_user_id: i64,
    limit: i64,
) -> StoreResult<Vec<(MemberRow, UserRow)>> {
    Ok(room_members::table
        .inner_join(users::table)
        .filter(room_members::room_id.eq(room_id))
        .filter(room_members::user_id.gt(after_user_id))
        .order(room_members::user_id.asc())
        .select((room_members::all_columns, users::all_columns))
        .at_most(limit)
        .load(conn)?)
}

/// Who inherits ownership when the owner leaves: the longest-standing admin, else the
/// longest-standing member.
pub fn successor(
    conn: &mut DbConn,
    room_id: i64,
    leaving_user: i64,
) -> StoreResult<Option<MemberRow>> {
    let candidates: Vec<MemberRow> = room_members::table
        .filter(room_members::room_id.eq(room_id))
        .filter(room_members::user_id.ne(leaving_user))
        .order((room_members::joined_at.asc(), room_members::user_id.asc()))
        .load(conn)?;
    let admin = candidates.iter().find(|m| m.role == "admin").cloned();
    Ok(admin.or_else(|| candidates.into_iter().next()))
}

/// Moves the read position; never backwards unless `force`. Answers the new position.
pub fn set_read(
    conn: &mut DbConn,
    room_id: i64,
    user_id: i64,
    seq: i64,
    force: bool,
) -> StoreResult<i64> {
    let target = room_members::table.find((room_id, user_id));
    if force {
        diesel::update(target)
            .set(room_members::last_read_seq.eq(seq))
            .execute(conn)?;
    } else {
        diesel::update(target.filter(room_members::last_read_seq.lt(seq)))
            .set(room_members::last_read_seq.eq(seq))
            .execute(conn)?;
    }
    Ok(room_members::table
        .find((room_id, user_id))
        .select(room_members::last_read_seq)
        .get_result(conn)?)
}

/// Every membership of a room with its user (for notification fan-out).
pub fn all_with_users(conn: &mut DbConn, room_id: i64) -> StoreResult<Vec<(MemberRow, UserRow)>> {
    Ok(room_members::table
        .inner_join(users::table)
        .filter(room_members::room_id.eq(room_id))
        .select((room_members::all_columns, users::all_columns))
        .load(conn)?)
}

pub fn set_notify(
    conn: &mut DbConn,
    room_id: i64,
    user_id: i64,
    notify: Option<&str>,
) -> StoreResult<MemberRow> {
    Ok(diesel::update(room_members::table.find((room_id, user_id)))
        .set(room_members::notify.eq(notify))
        .returning(room_members::all_columns)
        .get_result(conn)?)
}

/// Hides everything up to `seq` for the member, and counts it read.
pub fn clear(conn: &mut DbConn, room_id: i64, user_id: i64, seq: i64) -> StoreResult<MemberRow> {
    let current = room_members::table
        .find((room_id, user_id))
        .get_result::<MemberRow>(conn)?;
    Ok(diesel::update(room_members::table.find((room_id, user_id)))
        .set((
            room_members::cleared_before_seq.eq(seq.max(current.cleared_before_seq)),
            room_members::last_read_seq.eq(seq.max(current.last_read_seq)),
        ))
        .returning(room_members::all_columns)
        .get_result(conn)?)
}

/// Read positions of every member.
pub fn read_positions(conn: &mut DbConn, room_id: i64) -> StoreResult<Vec<(i64, i64)>> {
    Ok(room_members::table
        .filter(room_members::room_id.eq(room_id))
        .order(room_members::user_id.asc())
        .select((room_members::user_id, room_members::last_read_seq))
        .load(conn)?)
}

/// The rooms of a user with each room's newest event seq (what a socket subscribes to).
pub fn rooms_with_event_seq(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<(i64, i64, i64)>> {
    use crate::schema::rooms;
    Ok(room_members::table
        .inner_join(rooms::table)
        .filter(room_members::user_id.eq(user_id))
        .select((rooms::id, rooms::last_event_seq, rooms::last_seq))
        .load(conn)?)
}
