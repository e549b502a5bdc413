//! Server-wide secrets kept in the database (the generated JWT key).

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::server_secrets;

/// Stores `candidate` under `name` unless a value is already there, then returns the
/// stored value: every instance racing here ends with the same secret.
pub fn get_or_create(conn: &mut DbConn, name: &str, candidate: &str) -> StoreResult<String> {
    let now = Utc::now().naive_utc();
    match conn {
        DbConn::Postgres(pg) => diesel::sql_query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind::<Text, _>(name)
        .bind::<Text, _>(candidate)
        .bind::<Timestamp, _>(now)
        .execute(pg)?,
        DbConn::Sqlite(lite) => diesel::sql_query(
            "INSERT OR IGNORE INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)",
        )
        .bind::<Text, _>(name)
        .bind::<Text, _>(candidate)
        .bind::<Timestamp, _>(now)
        .execute(lite)?,
    };
    Ok(server_secrets::table
        .find(name)
        .select(server_secrets::value)
        .get_result::<String>(conn)?)
}
