//! Messages, their edits, reactions, mentions and pins.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{MessageRow, NewMessage, UserRow};
use crate::paging::AtMostDsl;
use crate::repo::rooms;
use crate::schema::{mentions, message_edits, messages, pins, reactions, users};

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
    let row = insert_one(
        conn,
        &NewMessage {
            room_id,
            seq,
            author_id,
            body,
            client_msg_id,
            parent_seq,
            created_at: crate::now(),
        },
    )?;
    Ok((row, event_seq))
}

/// Inserts one message and answers its row. Kept prepared on both backends (diesel
/// never keeps an INSERT): a lone send's insert, and each of a batch's on SQLite. Only
/// the id comes back; the rest of the row is what was written (building the whole row
/// in SQLite and decoding it again was part of every insert).
fn insert_one(conn: &mut DbConn, new: &NewMessage<'_>) -> StoreResult<MessageRow> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let statement = crate::keep!(
        "INSERT INTO messages (room_id, seq, author_id, body, client_msg_id, parent_seq, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind::<BigInt, _>(new.room_id)
    .bind::<BigInt, _>(new.seq)
    .bind::<BigInt, _>(new.author_id)
    .bind::<Text, _>(new.body)
    .bind::<Nullable<Text>, _>(new.client_msg_id)
    .bind::<Nullable<BigInt>, _>(new.parent_seq)
    .bind::<Timestamp, _>(new.created_at);
    let Inserted { id } = statement.get_result_on(conn)?;
    Ok(written(id, new))
}

/// The row just inserted as `new` with this id.
fn written(id: i64, new: &NewMessage<'_>) -> MessageRow {
    MessageRow {
        id,
        room_id: new.room_id,
        seq: new.seq,
        author_id: new.author_id,
        body: new.body.to_owned(),
        client_msg_id: new.client_msg_id.map(str::to_owned),
        parent_seq: new.parent_seq,
        reply_count: 0,
        last_reply_at: None,
        created_at: new.created_at,
        edited_at: None,
        deleted_at: None,
    }
}

/// One new top-level message of a batch written by [`append_many`].
pub struct Append<'a> {
    pub room_id: i64,
    pub author_id: i64,
    pub body: &'a str,
    pub client_msg_id: Option<&'a str>,
}

/// Appends top-level messages of several rooms at once, as `append` one by one would:
/// a room's messages take consecutive seqs (and event seqs) in slice order. One counter
/// statement for all rooms and one multi-row insert, so a batch costs a few round
/// trips, not a few per message. Answers each message's row and reserved event seq, in
/// slice order. Call inside a write transaction.
pub fn append_many(conn: &mut DbConn, list: &[Append<'_>]) -> StoreResult<Vec<(MessageRow, i64)>> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let mut counts: Vec<(i64, i64)> = Vec::new();
    for item in list {
        match counts.iter_mut().find(|(room, _)| *room == item.room_id) {
            Some((_, n)) => *n += 1,
            None => counts.push((item.room_id, 1)),
        }
    }
    let reserved = rooms::reserve_seqs(conn, &counts)?;
    // Hand out each room's range in slice order.
    let mut next: std::collections::HashMap<i64, (i64, i64)> = counts
        .iter()
        .filter_map(|&(room, n)| {
            let (seq, event_seq) = reserved.get(&room)?;
            Some((room, (seq - n + 1, event_seq - n + 1)))
        })
        .collect();
    let now = crate::now();
    let mut event_seqs = Vec::with_capacity(list.len());
    let mut rows: Vec<NewMessage<'_>> = Vec::with_capacity(list.len());
    for item in list {
        let slot = next
            .get_mut(&item.room_id)
            .ok_or(diesel::result::Error::NotFound)?;
        let (seq, event_seq) = *slot;
        *slot = (seq + 1, event_seq + 1);
        event_seqs.push(event_seq);
        rows.push(NewMessage {
            room_id: item.room_id,
            seq,
            author_id: item.author_id,
            body: item.body,
            client_msg_id: item.client_msg_id,
            parent_seq: None,
            created_at: now,
        });
    }
    let written: Vec<MessageRow> = match conn {
        DbConn::Postgres(pg) => insert_unnest(pg, &rows, now)?,
        // In-process: a kept statement per row costs no round trip, where one multi-row
        // statement was compiled again for every batch.
        DbConn::Sqlite(_) => rows
            .iter()
            .map(|row| insert_one(conn, row))
            .collect::<StoreResult<_>>()?,
    };
    // Match rows to the slice by (room, seq): RETURNING's order is not promised.
    let mut by_key: std::collections::HashMap<(i64, i64), MessageRow> = written
        .into_iter()
        .map(|row| ((row.room_id, row.seq), row))
        .collect();
    rows.iter()
        .zip(event_seqs)
        .map(|(new, event_seq)| {
            by_key
                .remove(&(new.room_id, new.seq))
                .map(|row| (row, event_seq))
                .ok_or_else(|| diesel::result::Error::NotFound.into())
        })
        .collect()
}

/// PostgreSQL: the batch's messages as arrays, one per column, so the statement's text
/// (and plan) is the same whatever the batch's size, with 6 parameters instead of 7 per
/// row; only the ids come back, the rest is what was written.
fn insert_unnest(
    pg: &mut diesel::PgConnection,
    rows: &[NewMessage<'_>],
    now: NaiveDateTime,
) -> StoreResult<Vec<MessageRow>> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = BigInt)]
        room_id: i64,
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }
    let inserted: Vec<Inserted> = crate::keep!(
        "INSERT INTO messages (room_id, seq, author_id, body, client_msg_id, created_at) \
         SELECT r, s, a, b, c, $1 \
         FROM unnest($2::int8[], $3::int8[], $4::int8[], $5::text[], $6::text[]) AS t(r, s, a, b, c) \
         RETURNING id, room_id, seq",
    )
    .bind::<Timestamp, _>(now)
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.room_id).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.seq).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.author_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.body).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.client_msg_id).collect::<Vec<_>>())
    .load(pg)?;
    let mut ids: std::collections::HashMap<(i64, i64), i64> = inserted
        .into_iter()
        .map(|row| ((row.room_id, row.seq), row.id))
        .collect();
    rows.iter()
        .map(|new| {
            let id = ids
                .remove(&(new.room_id, new.seq))
                .ok_or(diesel::result::Error::NotFound)?;
            Ok(written(id, new))
        })
        .collect()
}

/// The messages these authors already sent with these `client_msg_id`s, keyed by
/// `(author_id, client_msg_id)`: one query for a whole batch of sends.
pub fn find_by_client_ids(
    conn: &mut DbConn,
    keys: &[(i64, &str)],
) -> StoreResult<std::collections::HashMap<(i64, String), MessageRow>> {
    if keys.is_empty() {
        return Ok(Default::default());
    }
    let authors: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let ids: Vec<&str> = keys.iter().map(|k| k.1).collect();
    let wanted: std::collections::HashSet<(i64, &str)> = keys.iter().copied().collect();
    let rows: Vec<MessageRow> = match conn {
        // `author_id = ANY(..) AND client_msg_id = ANY(..)` probes the unique index once
        // per combination (64 × 64 for a full batch); one probe per pair instead. The
        // statement is kept, so its plan must not depend on the table's size: a join with
        // the pairs, planned while `messages` was empty, scanned it whole for every batch
        // until the next ANALYZE. `OFFSET 0` keeps the lookup a subquery of its own,
        // planned as an index probe per pair whatever the statistics.
        DbConn::Postgres(pg) => {
            use diesel::sql_types::{Array, BigInt, Text};
            crate::keep!(
                "SELECT m.* FROM unnest($1::int8[], $2::text[]) AS k(author_id, client_msg_id) \
                 CROSS JOIN LATERAL (SELECT * FROM messages \
                 WHERE author_id = k.author_id AND client_msg_id = k.client_msg_id OFFSET 0) AS m",
            )
            .bind::<Array<BigInt>, _>(&authors)
            .bind::<Array<Text>, _>(&ids)
            .load(pg)?
        }
        // In-process: the combinations cost microseconds.
        DbConn::Sqlite(lite) => messages::table
            .filter(messages::author_id.eq_any(&authors))
            .filter(messages::client_msg_id.eq_any(&ids))
            .load(lite)?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let id = row.client_msg_id.clone()?;
            wanted
                .contains(&(row.author_id, id.as_str()))
                .then_some(((row.author_id, id), row))
        })
        .collect())
}

/// Seqs of a room's messages in ascending order (for checks and tests).
pub fn seqs(conn: &mut DbConn, room_id: i64) -> StoreResult<Vec<i64>> {
    Ok(messages::table
        .filter(messages::room_id.eq(room_id))
        .order(messages::seq.asc())
        .select(messages::seq)
        .load(conn)?)
}

/// The message an author already sent with this `client_msg_id`, if any.
pub fn find_by_client_id(
    conn: &mut DbConn,
    author_id: i64,
    client_msg_id: &str,
) -> StoreResult<Option<MessageRow>> {
    Ok(messages::table
        .filter(messages::author_id.eq(author_id))
        .filter(messages::client_msg_id.eq(client_msg_id))
        .get_result(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConn, room_id: i64, seq: i64) -> StoreResult<Option<MessageRow>> {
    Ok(messages::table
        .filter(messages::room_id.eq(room_id))
        .filter(messages::seq.eq(seq))
        .get_result(conn)
        .optional()?)
}

/// Which way a history page reads from its anchor.
#[derive(Debug, Clone, Copy)]
pub enum Direction {
    /// Seqs below the anchor, newest first.
    Before(i64),
    /// Seqs above the anchor, oldest first.
    After(i64),
}

/// One page of a room's history from the `(room_id, seq)` index, never a scan:
/// `Before` answers descending, `After` ascending. Messages at or below
/// `floor` (the member's cleared point) are excluded.
pub fn page(
    conn: &mut DbConn,
    room_id: i64,
    direction: Direction,
    floor: i64,
    limit: i64,
) -> StoreResult<Vec<(MessageRow, UserRow)>> {
    let base = messages::table
        .inner_join(users::table)
        .filter(messages::room_id.eq(room_id))
        .filter(messages::seq.gt(floor))
        .select((messages::all_columns, users::all_columns));
    Ok(match direction {
        Direction::Before(anchor) => base
            .filter(messages::seq.lt(anchor))
            .order(messages::seq.desc())
            .at_most(limit)
            .load(conn)?,
        Direction::After(anchor) => base
            .filter(messages::seq.gt(anchor))
            .order(messages::seq.asc())
            .at_most(limit)
            .load(conn)?,
    })
}

/// Replies of a thread after `after`, oldest first.
pub fn thread(
    conn: &mut DbConn,
    room_id: i64,
    parent_seq: i64,
    after: i64,
    floor: i64,
    limit: i64,
) -> StoreResult<Vec<(MessageRow, UserRow)>> {
    Ok(messages::table
        .inner_join(users::table)
        .filter(messages::room_id.eq(room_id))
        .filter(messages::parent_seq.eq(parent_seq))
        .filter(messages::seq.gt(after.max(floor)))
        .order(messages::seq.asc())
        .select((messages::all_columns, users::all_columns))
        .at_most(limit)
        .load(conn)?)
}

/// Counts a new reply on its thread root.
pub fn add_reply(
    conn: &mut DbConn,
    room_id: i64,
    parent_seq: i64,
    at: NaiveDateTime,
) -> StoreResult<MessageRow> {
    Ok(diesel::update(
        messages::table
            .filter(messages::room_id.eq(room_id))
            .filter(messages::seq.eq(parent_seq)),
    )
    .set((
        messages::reply_count.eq(messages::reply_count + 1),
        messages::last_reply_at.eq(Some(at)),
    ))
    .returning(messages::all_columns)
    .get_result(conn)?)
}

/// Replaces the body, keeping the previous one in the edit history.
pub fn edit(
    conn: &mut DbConn,
    message: &MessageRow,
    body: &str,
    at: NaiveDateTime,
) -> StoreResult<MessageRow> {
    diesel::insert_into(message_edits::table)
        .values((
            message_edits::message_id.eq(message.id),
            message_edits::body.eq(&message.body),
            message_edits::edited_at.eq(at),
        ))
        .execute(conn)?;
    Ok(diesel::update(messages::table.find(message.id))
        .set((messages::body.eq(body), messages::edited_at.eq(Some(at))))
        .returning(messages::all_columns)
        .get_result(conn)?)
}

/// Previous bodies, oldest first, each with when it was replaced.
pub fn edits(conn: &mut DbConn, message_id: i64) -> StoreResult<Vec<(String, NaiveDateTime)>> {
    Ok(message_edits::table
        .filter(message_edits::message_id.eq(message_id))
        .order(message_edits::id.asc())
        .select((message_edits::body, message_edits::edited_at))
        .load(conn)?)
}

/// Turns a message into a tombstone: body emptied (and out of the search index), edit
/// history, reactions, mentions and pin removed; the seq stays.
pub fn tombstone(
    conn: &mut DbConn,
    message: &MessageRow,
    at: NaiveDateTime,
) -> StoreResult<MessageRow> {
    diesel::delete(message_edits::table.filter(message_edits::message_id.eq(message.id)))
        .execute(conn)?;
    diesel::delete(reactions::table.filter(reactions::message_id.eq(message.id))).execute(conn)?;
    diesel::delete(mentions::table.filter(mentions::message_id.eq(message.id))).execute(conn)?;
    diesel::delete(pins::table.find((message.room_id, message.seq))).execute(conn)?;
    Ok(diesel::update(messages::table.find(message.id))
        .set((messages::body.eq(""), messages::deleted_at.eq(Some(at))))
        .returning(messages::all_columns)
        .get_result(conn)?)
}

/// Adds a reaction; false when the user already reacted with that emoji.
pub fn react(
    conn: &mut DbConn,
    message_id: i64,
    user_id: i64,
    emoji: &str,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let exists = reactions::table
        .find((message_id, user_id, emoji))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(reactions::table)
        .values((
            reactions::message_id.eq(message_id),
            reactions::user_id.eq(user_id),
            reactions::emoji.eq(emoji),
            reactions::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn unreact(conn: &mut DbConn, message_id: i64, user_id: i64, emoji: &str) -> StoreResult<bool> {
    Ok(diesel::delete(reactions::table.find((message_id, user_id, emoji))).execute(conn)? > 0)
}

/// Every reaction on the given messages as (message_id, emoji, user_id), in the order
/// they were made.
pub fn reactions_of(
    conn: &mut DbConn,
    message_ids: &[i64],
) -> StoreResult<Vec<(i64, String, i64)>> {
    Ok(reactions::table
        .filter(reactions::message_id.eq_any(message_ids))
        .order((reactions::created_at.asc(), reactions::emoji.asc()))
        .select((reactions::message_id, reactions::emoji, reactions::user_id))
        .load(conn)?)
}

pub fn add_mentions(conn: &mut DbConn, message_id: i64, user_ids: &[i64]) -> StoreResult<()> {
    for user_id in user_ids {
        diesel::insert_into(mentions::table)
            .values((
                mentions::message_id.eq(message_id),
                mentions::user_id.eq(user_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn pin(
    conn: &mut DbConn,
    room_id: i64,
    seq: i64,
    by: i64,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    if pins::table
        .find((room_id, seq))
        .count()
        .get_result::<i64>(conn)?
        > 0
    {
        return Ok(false);
    }
    diesel::insert_into(pins::table)
        .values((
            pins::room_id.eq(room_id),
            pins::seq.eq(seq),
            pins::pinned_by.eq(by),
            pins::pinned_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn unpin(conn: &mut DbConn, room_id: i64, seq: i64) -> StoreResult<bool> {
    Ok(diesel::delete(pins::table.find((room_id, seq))).execute(conn)? > 0)
}

/// Pinned messages of a room, most recently pinned first.
pub fn pinned(conn: &mut DbConn, room_id: i64) -> StoreResult<Vec<(MessageRow, UserRow)>> {
    Ok(pins::table
        .inner_join(
            messages::table.on(messages::room_id
                .eq(pins::room_id)
                .and(messages::seq.eq(pins::seq))),
        )
        .inner_join(users::table.on(users::id.eq(messages::author_id)))
        .filter(pins::room_id.eq(room_id))
        .order(pins::pinned_at.desc())
        .select((messages::all_columns, users::all_columns))
        .load(conn)?)
}

/// Messages by id, with their authors (order not guaranteed).
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<(MessageRow, UserRow)>> {
    Ok(messages::table
        .inner_join(users::table)
        .filter(messages::id.eq_any(ids))
        .select((messages::all_columns, users::all_columns))
        .load(conn)?)
}

/// Messages `author_id` wrote that are not deleted, room by room in seq order.
pub fn live_by_author(conn: &mut DbConn, author_id: i64) -> StoreResult<Vec<MessageRow>> {
    Ok(messages::table
        .filter(messages::author_id.eq(author_id))
        .filter(messages::deleted_at.is_null())
        .order((messages::room_id.asc(), messages::seq.asc()))
        .load(conn)?)
}
