//! The administrators' audit log and server statistics.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::paging::AtMostDsl;
use crate::schema::{audit_log, messages, rooms, users};

#[derive(Debug, Clone, Queryable)]
pub struct AuditRow {
    pub id: i64,
    /// `None`: the operator's command line.
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_type: String,
    pub target_id: i64,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

pub fn record(
    conn: &mut DbConn,
    actor_id: Option<i64>,
    action: &str,
    target_type: &str,
    target_id: i64,
    detail: &str,
    at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor_id),
            audit_log::action.eq(action),
            audit_log::target_type.eq(target_type),
            audit_log::target_id.eq(target_id),
            audit_log::detail.eq(detail),
            audit_log::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Newest first, before the `before_id` cursor.
pub fn list(conn: &mut DbConn, before_id: Option<i64>, limit: i64) -> StoreResult<Vec<AuditRow>> {
    let mut query = audit_log::table.order(audit_log::id.desc()).into_boxed();
    if let Some(before) = before_id {
        query = query.filter(audit_log::id.lt(before));
    }
    Ok(query.at_most(limit).load(conn)?)
}

/// (users, rooms, messages) counts.
pub fn counts(conn: &mut DbConn) -> StoreResult<(i64, i64, i64)> {
    Ok((
        users::table.count().get_result(conn)?,
        rooms::table.count().get_result(conn)?,
        messages::table.count().get_result(conn)?,
    ))
}
