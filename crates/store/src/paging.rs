//! A page's `LIMIT` written into the statement's text instead of bound.
//!
//! diesel's `.limit(n)` binds `n`, and SQLite compiles a statement again at every run
//! when its `LIMIT` is a bound parameter (its planner reads the value, so binding it
//! expires the statement: `sqlite3Reprepare` under every step). A history page of 50
//! paid that compile each time. [`AtMost`] appends `LIMIT n` as a literal: diesel then
//! keeps one prepared statement per text, that is per distinct page size, and callers
//! clamp page sizes to a small range, so a connection keeps a few of them at most. An
//! `OFFSET` stays bound (SQLite's planner does not read it), so it costs no new text.
//!
//! ```ignore
//! messages::table.filter(..).order(messages::seq.desc()).at_most(50).load(conn)?
//! ```

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType};

/// A query and the most rows it may answer.
#[must_use = "a query does nothing until it is run"]
pub struct AtMost<Q> {
    query: Q,
    limit: i64,
    offset: i64,
}

impl<Q> AtMost<Q> {
    /// Skips the first `offset` rows (a bound `OFFSET`; 0 writes none).
    pub fn skipping(self, offset: i64) -> Self {
        AtMost {
            offset: offset.max(0),
            ..self
        }
    }
}

/// `.at_most(n)` on any query without a `LIMIT` of its own.
pub trait AtMostDsl: Sized {
    /// At most `limit` rows (a negative limit counts as 0), as a literal `LIMIT`.
    fn at_most(self, limit: i64) -> AtMost<Self> {
        AtMost {
            query: self,
            limit: limit.max(0),
            offset: 0,
        }
    }
}

impl<Q: Query> AtMostDsl for Q {}

impl<Q, DB> QueryFragment<DB> for AtMost<Q>
where
    Q: QueryFragment<DB>,
    DB: Backend + HasSqlType<BigInt>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&self.limit.to_string());
        if self.offset > 0 {
            out.push_sql(" OFFSET ");
            out.push_bind_param::<BigInt, i64>(&self.offset)?;
        }
        Ok(())
    }
}

// Not a static id: the limit is part of the text, so diesel must key its statement
// cache by the text, never by the query's type alone.
impl<Q> QueryId for AtMost<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for AtMost<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> diesel::RunQueryDsl<Conn> for AtMost<Q> {}
