use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{NewRoom, RoomRow};
use crate::schema::rooms;

pub fn insert(conn: &mut DbConn, new: &NewRoom<'_>) -> StoreResult<RoomRow> {
    Ok(diesel::insert_into(rooms::table)
        .values(new)
        .returning(rooms::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConn, room_id: i64) -> StoreResult<RoomRow> {
    Ok(rooms::table.find(room_id).first(conn)?)
}

/// Takes the next message seq and event seq of a room. The UPDATE's row lock
/// serialises the writers of this one room until their transaction ends, so seqs
/// are dense and in commit order. Call inside a write transaction.
pub fn next_seqs(conn: &mut DbConn, room_id: i64) -> StoreResult<(i64, i64)> {
    Ok(diesel::update(rooms::table.find(room_id))
        .set((
            rooms::last_seq.eq(rooms::last_seq + 1),
            rooms::last_event_seq.eq(rooms::last_event_seq + 1),
        ))
        .returning((rooms::last_seq, rooms::last_event_seq))
        .get_result(conn)?)
}

/// Takes the next event seq of a room (for changes that are not new messages).
pub fn next_event_seq(conn: &mut DbConn, room_id: i64) -> StoreResult<i64> {
    Ok(diesel::update(rooms::table.find(room_id))
        .set(rooms::last_event_seq.eq(rooms::last_event_seq + 1))
        .returning(rooms::last_event_seq)
        .get_result(conn)?)
}
