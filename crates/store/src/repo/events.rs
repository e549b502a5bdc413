//! The durable per-room event log. Every persistent room change appends its event in
//! the same transaction as the change; the gateway replays from here.

use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::RoomEventRow;
use crate::paging::AtMostDsl;
use crate::repo::rooms;
use crate::schema::room_events;

/// Appends an event at the room's next `event_seq`. `payload` is a JSON object; the
/// stored frame is `{"type": kind, "room_id", "event_seq", ...payload}`, exactly what
/// clients receive.
pub fn append(
    conn: &mut DbConn,
    room_id: i64,
    kind: &str,
    payload: Value,
) -> StoreResult<RoomEventRow> {
    let event_seq = rooms::next_event_seq(conn, room_id)?;
    append_at(conn, room_id, event_seq, kind, payload)
}

/// Appends with an `event_seq` the caller already took (see `rooms::next_seqs`).
pub fn append_at(
    conn: &mut DbConn,
    room_id: i64,
    event_seq: i64,
    kind: &str,
    payload: Value,
) -> StoreResult<RoomEventRow> {
    let frame = frame(room_id, event_seq, kind, payload).to_string();
    insert_one(conn, room_id, event_seq, kind, &frame, crate::now())
}

/// Inserts one event and answers its row. Kept prepared on both backends (diesel never
/// keeps an INSERT): every logged event passes here, or through `append_framed`.
fn insert_one(
    conn: &mut DbConn,
    room_id: i64,
    event_seq: i64,
    kind: &str,
    frame: &str,
    now: chrono::NaiveDateTime,
) -> StoreResult<RoomEventRow> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let statement = crate::keep!(
        "INSERT INTO room_events (room_id, event_seq, kind, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING *",
    )
    .bind::<BigInt, _>(room_id)
    .bind::<BigInt, _>(event_seq)
    .bind::<Text, _>(kind)
    .bind::<Text, _>(frame)
    .bind::<Timestamp, _>(now);
    Ok(statement.get_result_on(conn)?)
}

/// Appends already-framed events (`room_id`, `event_seq`, kind, the stored frame) in one
/// multi-row insert, for seqs the caller already took.
pub fn append_framed(conn: &mut DbConn, list: &[(i64, i64, &str, &str)]) -> StoreResult<()> {
    if list.is_empty() {
        return Ok(());
    }
    let now = crate::now();
    if let DbConn::Postgres(pg) = conn {
        // Arrays, one per column: the same statement text (and plan) for any batch size.
        use diesel::sql_types::{Array, BigInt, Text, Timestamp};
        crate::keep!(
            "INSERT INTO room_events (room_id, event_seq, kind, payload, created_at) \
             SELECT r, e, k, p, $1 FROM unnest($2::int8[], $3::int8[], $4::text[], $5::text[]) \
             AS t(r, e, k, p)",
        )
        .bind::<Timestamp, _>(now)
        .bind::<Array<BigInt>, _>(list.iter().map(|e| e.0).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(list.iter().map(|e| e.1).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(list.iter().map(|e| e.2).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(list.iter().map(|e| e.3).collect::<Vec<_>>())
        .execute(pg)?;
        return Ok(());
    }
    // In-process: a kept statement per row costs no round trip, where one multi-row
    // statement was compiled again for every batch.
    use diesel::sql_types::{BigInt, Text, Timestamp};
    for &(room_id, event_seq, kind, frame) in list {
        let statement = crate::keep!(
            "INSERT INTO room_events (room_id, event_seq, kind, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind::<BigInt, _>(room_id)
        .bind::<BigInt, _>(event_seq)
        .bind::<Text, _>(kind)
        .bind::<Text, _>(frame)
        .bind::<Timestamp, _>(now);
        statement.execute_on(conn)?;
    }
    Ok(())
}

pub fn frame(room_id: i64, event_seq: i64, kind: &str, payload: Value) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), Value::from(kind));
    object.insert("room_id".into(), Value::from(room_id));
    object.insert("event_seq".into(), Value::from(event_seq));
    if let Value::Object(fields) = payload {
        for (key, value) in fields {
            object.entry(key).or_insert(value);
        }
    }
    Value::Object(object)
}

/// Events after `after`, in order, at most `limit`.
pub fn list_after(
    conn: &mut DbConn,
    room_id: i64,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<RoomEventRow>> {
    Ok(room_events::table
        .filter(room_events::room_id.eq(room_id))
        .filter(room_events::event_seq.gt(after))
        .order(room_events::event_seq.asc())
        .at_most(limit)
        .load(conn)?)
}

/// The oldest event still in the log, if any.
pub fn oldest_seq(conn: &mut DbConn, room_id: i64) -> StoreResult<Option<i64>> {
    Ok(room_events::table
        .filter(room_events::room_id.eq(room_id))
        .select(diesel::dsl::min(room_events::event_seq))
        .get_result(conn)?)
}

/// Retention: drops events older than `cutoff`, and all but the newest `keep` events of
/// every room. Answers how many were dropped. Clients that resume from before what is
/// left get `resync_required`.
pub fn prune(conn: &mut DbConn, cutoff: chrono::NaiveDateTime, keep: i64) -> StoreResult<usize> {
    use crate::schema::rooms;
    let mut dropped = diesel::delete(room_events::table.filter(room_events::created_at.lt(cutoff)))
        .execute(conn)?;
    let long: Vec<(i64, i64)> = rooms::table
        .filter(rooms::last_event_seq.gt(keep))
        .select((rooms::id, rooms::last_event_seq))
        .load(conn)?;
    for (room_id, last) in long {
        dropped += diesel::delete(
            room_events::table
                .filter(room_events::room_id.eq(room_id))
                .filter(room_events::event_seq.le(last - keep)),
        )
        .execute(conn)?;
    }
    Ok(dropped)
}
