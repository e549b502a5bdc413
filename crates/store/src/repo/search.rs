//! Full-text search over messages: PostgreSQL `tsvector` with a GIN index, SQLite FTS5,
//! behind one function.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::DbConn;
use crate::error::StoreResult;

#[derive(Debug, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
}

/// Message ids matching every word of `query`, best match first (then newest), in the
/// rooms where `user_id` is a member (optionally one room), excluding deleted messages
/// and what the member cleared.
pub fn search(
    conn: &mut DbConn,
    user_id: i64,
    room_id: Option<i64>,
    query: &str,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<i64>> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let room_filter = room_id.unwrap_or(0);
    let hits: Vec<Hit> = match conn {
        crate::DbConn::Postgres(pg) => diesel::sql_query(
            "SELECT m.id FROM messages m \
             JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = $1 \
             WHERE m.search @@ plainto_tsquery('simple', $2) \
               AND m.deleted_at IS NULL AND m.seq > rm.cleared_before_seq \
               AND ($3 = 0 OR m.room_id = $3) \
             ORDER BY ts_rank(m.search, plainto_tsquery('simple', $2)) DESC, m.id DESC \
             OFFSET $4 LIMIT $5",
        )
        .bind::<BigInt, _>(user_id)
        .bind::<Text, _>(words.join(" "))
        .bind::<BigInt, _>(room_filter)
        .bind::<BigInt, _>(offset)
        .bind::<BigInt, _>(limit)
        .load(pg)?,
        crate::DbConn::Sqlite(lite) => {
            // Each word quoted: FTS5 syntax in user input is taken literally.
            let expression = words
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" ");
            diesel::sql_query(
                "SELECT m.id AS id FROM messages_fts f \
                 JOIN messages m ON m.id = f.rowid \
                 JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = ? \
                 WHERE messages_fts MATCH ? \
                   AND m.deleted_at IS NULL AND m.seq > rm.cleared_before_seq \
                   AND (? = 0 OR m.room_id = ?) \
                 ORDER BY bm25(messages_fts) ASC, m.id DESC \
                 LIMIT ? OFFSET ?",
            )
            .bind::<BigInt, _>(user_id)
            .bind::<Text, _>(expression)
            .bind::<BigInt, _>(room_filter)
            .bind::<BigInt, _>(room_filter)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load(lite)?
        }
    };
    Ok(hits.into_iter().map(|h| h.id).collect())
}

/// Sends between two catch-ups of the search index on SQLite (see [`catch_up`]).
pub const CATCH_UP_EVERY: usize = 1024;

/// Indexes the messages SQLite's full-text index has not taken yet (everything above its
/// watermark, in one statement: one segment flush for all of them) and answers how many.
/// Call it inside a write transaction. PostgreSQL indexes in the send transaction itself
/// (its GIN index defers its own work), so there it does nothing.
pub fn catch_up(conn: &mut DbConn) -> StoreResult<usize> {
    let crate::DbConn::Sqlite(lite) = conn else {
        return Ok(0);
    };
    let indexed = diesel::sql_query(
        "INSERT INTO messages_fts (rowid, body) \
         SELECT id, body FROM messages \
         WHERE id > (SELECT indexed_up_to FROM search_watermark) ORDER BY id",
    )
    .execute(lite)?;
    if indexed > 0 {
        diesel::sql_query(
            "UPDATE search_watermark SET indexed_up_to = (SELECT MAX(id) FROM messages)",
        )
        .execute(lite)?;
    }
    Ok(indexed)
}

/// Whether SQLite's full-text index lags behind the messages (always false on
/// PostgreSQL). A read: a search catches up only when it must.
pub fn lagging(conn: &mut DbConn) -> StoreResult<bool> {
    let crate::DbConn::Sqlite(lite) = conn else {
        return Ok(false);
    };
    #[derive(QueryableByName)]
    struct Lag {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        lagging: bool,
    }
    let lag: Lag = diesel::sql_query(
        "SELECT COALESCE((SELECT MAX(id) FROM messages), 0) > \
                (SELECT indexed_up_to FROM search_watermark) AS lagging",
    )
    .get_result(lite)?;
    Ok(lag.lagging)
}
