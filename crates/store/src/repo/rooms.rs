use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{MemberRow, MessageRow, NewRoom, RoomRow, UserRow};
use crate::paging::AtMostDsl;
use crate::schema::{messages, room_members, rooms, users};

pub fn insert(conn: &mut DbConn, new: &NewRoom<'_>) -> StoreResult<RoomRow> {
    Ok(diesel::insert_into(rooms::table)
        .values(new)
        .returning(rooms::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConn, room_id: i64) -> StoreResult<RoomRow> {
    Ok(rooms::table.find(room_id).get_result(conn)?)
}

pub fn find_optional(conn: &mut DbConn, room_id: i64) -> StoreResult<Option<RoomRow>> {
    Ok(rooms::table.find(room_id).get_result(conn).optional()?)
}

pub fn find_by_dm_key(conn: &mut DbConn, dm_key: &str) -> StoreResult<Option<RoomRow>> {
    Ok(rooms::table
        .filter(rooms::dm_key.eq(dm_key))
        .get_result(conn)
        .optional()?)
}

/// Takes the next message seq and event seq of a room. The UPDATE's row lock
/// serialises the writers of this one room until their transaction ends, so seqs
/// are dense and in commit order. Call inside a write transaction.
pub fn next_seqs(conn: &mut DbConn, room_id: i64) -> StoreResult<(i64, i64)> {
    reserve_in(conn, room_id, 1, crate::now())
}

/// Moves one room's counters `n` ahead and answers them. Kept prepared on both backends
/// (diesel never keeps an UPDATE): every send passes here.
fn reserve_in(
    conn: &mut DbConn,
    room_id: i64,
    n: i64,
    now: NaiveDateTime,
) -> StoreResult<(i64, i64)> {
    use diesel::sql_types::{BigInt, Timestamp};
    let statement = crate::keep!(
        "UPDATE rooms SET last_seq = last_seq + $1, last_event_seq = last_event_seq + $2, \
         last_activity_at = $3 WHERE id = $4 RETURNING id, last_seq, last_event_seq",
    )
    .bind::<BigInt, _>(n)
    .bind::<BigInt, _>(n)
    .bind::<Timestamp, _>(now)
    .bind::<BigInt, _>(room_id);
    let row: Reserved = statement.get_result_on(conn)?;
    Ok((row.last_seq, row.last_event_seq))
}

/// A room's counters after a reservation.
#[derive(QueryableByName)]
struct Reserved {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    last_seq: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    last_event_seq: i64,
}

/// Reserves `n` message seqs and as many event seqs in each listed room, for a batch of
/// new messages: answers each room's `(last_seq, last_event_seq)` after the reservation,
/// so its messages take `last_seq - n + 1 ..= last_seq`. Locks the rooms' rows like
/// `next_seqs`. On PostgreSQL all rooms move in one statement (one round trip).
pub fn reserve_seqs(
    conn: &mut DbConn,
    counts: &[(i64, i64)],
) -> StoreResult<std::collections::HashMap<i64, (i64, i64)>> {
    use diesel::sql_types::{Array, BigInt, Timestamp};
    let now = crate::now();
    let mut out = std::collections::HashMap::with_capacity(counts.len());
    match conn {
        DbConn::Postgres(pg) => {
            let (ids, ns): (Vec<i64>, Vec<i64>) = counts.iter().copied().unzip();
            // Rows by primary key (`= ANY`), not a join with the arrays: the statement is
            // kept, and a kept join's plan, made while `rooms` was small, scanned it whole.
            let rows: Vec<Reserved> = crate::keep!(
                "UPDATE rooms SET \
                 last_seq = last_seq + ($1::int8[])[array_position($2::int8[], id)], \
                 last_event_seq = last_event_seq + ($3::int8[])[array_position($4::int8[], id)], \
                 last_activity_at = $5 WHERE id = ANY($6::int8[]) \
                 RETURNING id, last_seq, last_event_seq",
            )
            .bind::<Array<BigInt>, _>(&ns)
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<BigInt>, _>(&ns)
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Timestamp, _>(now)
            .bind::<Array<BigInt>, _>(&ids)
            .load(pg)?;
            for row in rows {
                out.insert(row.id, (row.last_seq, row.last_event_seq));
            }
        }
        DbConn::Sqlite(_) => {
            // In-process: a statement per room costs no round trip.
            for &(room_id, n) in counts {
                out.insert(room_id, reserve_in(conn, room_id, n, now)?);
            }
        }
    }
    if out.len() != counts.len() {
        return Err(diesel::result::Error::NotFound.into());
    }
    Ok(out)
}

/// Rooms by id, in no particular order (missing ids are left out).
pub fn find_many(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<RoomRow>> {
    match conn {
        DbConn::Sqlite(lite) => Ok(crate::keep!(
            "SELECT * FROM rooms WHERE id IN (SELECT value FROM json_each($1))"
        )
        .bind::<diesel::sql_types::Text, _>(crate::json_list(ids))
        .load(lite)?),
        DbConn::Postgres(_) => Ok(rooms::table.filter(rooms::id.eq_any(ids)).load(conn)?),
    }
}

/// Takes the next event seq of a room (for changes that are not new messages).
pub fn next_event_seq(conn: &mut DbConn, room_id: i64) -> StoreResult<i64> {
    Ok(diesel::update(rooms::table.find(room_id))
        .set(rooms::last_event_seq.eq(rooms::last_event_seq + 1))
        .returning(rooms::last_event_seq)
        .get_result(conn)?)
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = rooms)]
pub struct RoomChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<String>,
    pub archived_at: Option<Option<NaiveDateTime>>,
}

pub fn update(conn: &mut DbConn, room_id: i64, changes: &RoomChanges) -> StoreResult<RoomRow> {
    if changes.title.is_none()
        && changes.description.is_none()
        && changes.visibility.is_none()
        && changes.archived_at.is_none()
    {
        return find(conn, room_id);
    }
    Ok(diesel::update(rooms::table.find(room_id))
        .set(changes)
        .returning(rooms::all_columns)
        .get_result(conn)?)
}

pub fn delete(conn: &mut DbConn, room_id: i64) -> StoreResult<()> {
    diesel::delete(rooms::table.find(room_id)).execute(conn)?;
    Ok(())
}

/// The rooms a user belongs to, with the membership, most recent activity first.
pub fn list_for_user(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<(RoomRow, MemberRow)>> {
    Ok(rooms::table
        .inner_join(room_members::table)
        .filter(room_members::user_id.eq(user_id))
        .order((rooms::last_activity_at.desc(), rooms::id.desc()))
        .select((rooms::all_columns, room_members::all_columns))
        .load(conn)?)
}

/// Per room: messages after the user's read position (and cleared point) that others
/// wrote and nobody deleted. Rooms without unread messages are absent.
pub fn unread_counts(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<(i64, i64)>> {
    Ok(messages::table
        .inner_join(
            room_members::table.on(room_members::room_id
                .eq(messages::room_id)
                .and(room_members::user_id.eq(user_id))),
        )
        .filter(messages::seq.gt(room_members::last_read_seq))
        .filter(messages::seq.gt(room_members::cleared_before_seq))
        .filter(messages::author_id.ne(user_id))
        .filter(messages::deleted_at.is_null())
        .group_by(messages::room_id)
        .select((messages::room_id, diesel::dsl::count_star()))
        .load(conn)?)
}

/// The newest message of each room, with its author.
pub fn last_messages(
    conn: &mut DbConn,
    room_ids: &[i64],
) -> StoreResult<Vec<(MessageRow, UserRow)>> {
    Ok(messages::table
        .inner_join(rooms::table)
        .inner_join(users::table)
        .filter(rooms::id.eq_any(room_ids))
        .filter(messages::seq.eq(rooms::last_seq))
        .select((messages::all_columns, users::all_columns))
        .load(conn)?)
}

/// Public group rooms visible to a user (outside organisations, or in one of
/// `org_ids`) whose title contains `q`, newest first, before the `before_id` cursor.
pub fn search_public(
    conn: &mut DbConn,
    q: &str,
    org_ids: &[i64],
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<RoomRow>> {
    let pattern = format!("%{}%", crate::repo::users::escape_like(&q.to_lowercase()));
    let mut query = rooms::table
        .filter(rooms::kind.eq("group"))
        .filter(rooms::visibility.eq("public"))
        .filter(rooms::archived_at.is_null())
        .filter(
            rooms::org_id
                .is_null()
                .or(rooms::org_id.eq_any(org_ids.to_vec())),
        )
        .filter(
            crate::repo::users::lower(rooms::title)
                .like(pattern)
                .escape('\\'),
        )
        .order(rooms::id.desc())
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(rooms::id.lt(before));
    }
    Ok(query.at_most(limit).load(conn)?)
}

/// Rooms of one organisation.
pub fn in_org(conn: &mut DbConn, org_id: i64) -> StoreResult<Vec<i64>> {
    Ok(rooms::table
        .filter(rooms::org_id.eq(org_id))
        .select(rooms::id)
        .load(conn)?)
}

/// Every room whose title contains `q` (ignoring case), any kind, newest first, before
/// the `before_id` cursor: the administrators' list.
pub fn list_all(
    conn: &mut DbConn,
    q: &str,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<RoomRow>> {
    let pattern = format!("%{}%", crate::repo::users::escape_like(&q.to_lowercase()));
    let mut query = rooms::table
        .filter(
            crate::repo::users::lower(rooms::title)
                .like(pattern)
                .escape('\\'),
        )
        .order(rooms::id.desc())
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(rooms::id.lt(before));
    }
    Ok(query.at_most(limit).load(conn)?)
}
