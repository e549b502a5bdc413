use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{MessageRow, NewMessage};
use crate::repo::rooms;
use crate::schema::messages;

/// Appends a message at the room's next seq. Call inside a write transaction.
/// Returns the row and the room event seq reserved for its `message.created` event.
pub fn append(
    conn: &mut DbConn,
    room_id: i64,
    author_id: i64,
    body: &str,
    client_msg_id: Option<&str>,
    parent_seq: Option<i64>,
) -> StoreResult<(MessageRow, i64)> {
    let (seq, event_seq) = rooms::next_seqs(conn, room_id)?;
    let row = diesel::insert_into(messages::table)
        .values(&NewMessage {
            room_id,
            seq,
            author_id,
            body,
            client_msg_id,
            parent_seq,
            created_at: crate::now(),
        })
        .returning(messages::all_columns)
        .get_result(conn)?;
    Ok((row, event_seq))
}

/// Seqs of a room's messages in ascending order (for checks and tests).
pub fn seqs(conn: &mut DbConn, room_id: i64) -> StoreResult<Vec<i64>> {
    Ok(messages::table
        .filter(messages::room_id.eq(room_id))
        .order(messages::seq.asc())
        .select(messages::seq)
        .load(conn)?)
}
