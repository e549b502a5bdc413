//! Parley's persistence: one diesel store over SQLite and PostgreSQL.
//!
//! Repositories are plain functions over `&mut DbConn`; callers run them on the
//! blocking pool and choose the transaction boundaries with [`write_tx`].

pub mod db;
pub mod error;
pub mod migrate;
pub mod models;
pub mod paging;
pub mod prepared;
pub mod repo;
pub mod schema;

pub use db::{Backend, DatabaseUrl, Db, DbConn, PoolOptions, PooledConn, write_tx};
pub use diesel;
pub use error::{StoreError, StoreResult};
pub use migrate::run_migrations;

/// The current time as stored: UTC without zone, at microsecond precision
/// (what PostgreSQL keeps), so values read back compare equal.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Ids as a JSON array, for SQLite statements that take a list as one bind
/// (`json_each`): the text stays the same whatever the list's length, so it is compiled
/// once per connection instead of once per length (`IN (?, ?, ...)`).
pub(crate) fn json_list(ids: &[i64]) -> String {
    let mut out = String::with_capacity(ids.len() * 8 + 2);
    out.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push(']');
    out
}

#[cfg(feature = "testing")]
pub mod testing;
