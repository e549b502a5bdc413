//! Hand-written statements that stay prepared on their connection.
//!
//! diesel keeps a statement prepared only when it can tell its text never changes, and
//! it never does for `sql_query`, `sql` literals, an `UPDATE` or an `INSERT` (whose
//! values may turn into `DEFAULT`). Every statement of the send path is one of those,
//! so PostgreSQL parsed and planned each of them in every transaction (about a sixth of
//! its CPU in a persisted-messages run), and SQLite compiled them. [`keep`] is
//! `sql_query` for statements whose text is fixed: diesel prepares one the first time a
//! connection runs it and reuses it after that. Each call site of [`keep!`] is a type
//! of its own, which the cache is keyed by, so a run looks its statement up without
//! writing and hashing the text again (a few percent of SQLite's writer did only
//! that). The same text runs on both backends (each `$n` is written as the backend's
//! placeholder).
//!
//! ```ignore
//! keep!("UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq")
//!     .bind::<BigInt, _>(room_id)
//!     .get_result::<Seq>(pg)?;
//! ```
//!
//! Placeholders are `$1`, `$2`, ... each used once, in that order in the text, one per
//! `bind` in the same order (diesel numbers the binds as it meets them). Anything else
//! is refused when the statement is built, before it reaches the database.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::{Error, QueryResult};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};

/// A statement to keep prepared: its text, its binds so far, and `S`, the type that
/// stands for its call site.
#[must_use = "a statement does nothing until it is run"]
pub struct Keep<S, B> {
    sql: &'static str,
    binds: B,
    site: PhantomData<fn() -> S>,
}

/// Starts a statement whose text never changes (see the module's documentation). Its
/// text is a literal, so one call site is always one text with the same bind types.
#[macro_export]
macro_rules! keep {
    ($sql:literal $(,)?) => {{
        enum Site {}
        $crate::prepared::Keep::<Site, ()>::at_site($sql)
    }};
}

impl<S> Keep<S, ()> {
    /// What [`keep!`] expands to; `S` must be the call site's own type.
    #[doc(hidden)]
    pub fn at_site(sql: &'static str) -> Self {
        Keep {
            sql,
            binds: (),
            site: PhantomData,
        }
    }
}

impl<S, B> Keep<S, B> {
    /// Binds the next placeholder's value as SQL type `ST`.
    pub fn bind<ST, V>(self, value: V) -> Keep<S, (B, Bound<ST, V>)> {
        Keep {
            sql: self.sql,
            binds: (self.binds, Bound(value, PhantomData)),
            site: PhantomData,
        }
    }
}

/// One bound value and its SQL type.
pub struct Bound<ST, V>(V, PhantomData<ST>);

/// The binds of a [`Keep`], as a list nested to the left: `((((), a), b), c)`.
pub trait Binds<DB: Backend> {
    const LEN: usize;
    /// Pushes the bind at `index` (0-based).
    fn push<'b>(&'b self, index: usize, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>;
}

impl<DB: Backend> Binds<DB> for () {
    const LEN: usize = 0;
    fn push<'b>(&'b self, _: usize, _: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        Err(misused("more placeholders than binds"))
    }
}

impl<B, ST, V, DB> Binds<DB> for (B, Bound<ST, V>)
where
    DB: Backend + HasSqlType<ST>,
    B: Binds<DB>,
    V: ToSql<ST, DB>,
{
    const LEN: usize = B::LEN + 1;
    fn push<'b>(&'b self, index: usize, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if index == B::LEN {
            out.push_bind_param::<ST, V>(&self.1.0)
        } else {
            self.0.push(index, out)
        }
    }
}

fn misused(why: &str) -> Error {
    Error::QueryBuilderError(format!("a kept statement's placeholders: {why}").into())
}

impl<S, B: Binds<DB>, DB: Backend> QueryFragment<DB> for Keep<S, B> {
    /// Writes the text back piece by piece, each `$n` by the bind that diesel numbers
    /// `$n` itself, so the text PostgreSQL prepares is the text written here.
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let sql = self.sql;
        let bytes = sql.as_bytes();
        let (mut start, mut i, mut next) = (0, 0, 1);
        while i < bytes.len() {
            if bytes[i] != b'$' || !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
                continue;
            }
            let end = (i + 1..bytes.len())
                .find(|&j| !bytes[j].is_ascii_digit())
                .unwrap_or(bytes.len());
            let n: usize = sql[i + 1..end]
                .parse()
                .map_err(|_| misused("not a number"))?;
            if n != next {
                return Err(misused("each of $1, $2, ... once, in order"));
            }
            out.push_sql(&sql[start..i]);
            self.binds.push(n - 1, &mut out)?;
            next += 1;
            start = end;
            i = end;
        }
        if next - 1 != B::LEN {
            return Err(misused("fewer placeholders than binds"));
        }
        out.push_sql(&sql[start..]);
        Ok(())
    }

    /// Always: the text is fixed (diesel would otherwise walk the statement to ask).
    fn is_safe_to_cache_prepared(&self, _: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

// The call site's type is the id: one text and one list of bind types per call site
// (`keep!` takes a literal, and no call site is in a generic function), so two
// statements never share a cache entry.
impl<S: 'static, B> QueryId for Keep<S, B> {
    type QueryId = S;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<S, B> Query for Keep<S, B> {
    type SqlType = Untyped;
}

impl<S, B, Conn> diesel::RunQueryDsl<Conn> for Keep<S, B> {}

impl<S, B> Keep<S, B> {
    /// Runs the statement on either backend and answers its one row.
    pub fn get_result_on<'q, T>(self, conn: &mut crate::DbConn) -> QueryResult<T>
    where
        Self: diesel::query_dsl::LoadQuery<'q, diesel::PgConnection, T>
            + diesel::query_dsl::LoadQuery<'q, diesel::SqliteConnection, T>,
    {
        use diesel::RunQueryDsl;
        match conn {
            crate::DbConn::Postgres(pg) => self.get_result(pg),
            crate::DbConn::Sqlite(lite) => self.get_result(lite),
        }
    }

    /// Runs the statement on either backend and answers the rows it changed.
    pub fn execute_on(self, conn: &mut crate::DbConn) -> QueryResult<usize>
    where
        Self: diesel::query_dsl::methods::ExecuteDsl<diesel::PgConnection>
            + diesel::query_dsl::methods::ExecuteDsl<diesel::SqliteConnection>,
    {
        use diesel::RunQueryDsl;
        match conn {
            crate::DbConn::Postgres(pg) => self.execute(pg),
            crate::DbConn::Sqlite(lite) => self.execute(lite),
        }
    }
}
