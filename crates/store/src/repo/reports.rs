//! Reports of messages and users.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::paging::AtMostDsl;
use crate::schema::{reports, room_members};

#[derive(Debug, Clone, Queryable)]
pub struct ReportRow {
    pub id: i64,
    pub reporter_id: i64,
    pub room_id: Option<i64>,
    pub seq: Option<i64>,
    pub user_id: Option<i64>,
    pub reason: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub handled_by: Option<i64>,
    pub handled_at: Option<NaiveDateTime>,
}

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConn,
    reporter_id: i64,
    room_id: Option<i64>,
    seq: Option<i64>,
    user_id: Option<i64>,
    reason: &str,
    at: NaiveDateTime,
) -> StoreResult<ReportRow> {
    Ok(diesel::insert_into(reports::table)
        .values((
            reports::reporter_id.eq(reporter_id),
            reports::room_id.eq(room_id),
            reports::seq.eq(seq),
            reports::user_id.eq(user_id),
            reports::reason.eq(reason),
            reports::created_at.eq(at),
        ))
        .returning(reports::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConn, report_id: i64) -> StoreResult<Option<ReportRow>> {
    Ok(reports::table.find(report_id).get_result(conn).optional()?)
}

/// Reports with `status`, newest first: all of them (`admin_of` = None), or those about
/// rooms where `admin_of` is an owner or admin.
pub fn list(
    conn: &mut DbConn,
    status: &str,
    admin_of: Option<i64>,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<ReportRow>> {
    let mut query = reports::table
        .filter(reports::status.eq(status))
        .order(reports::id.desc())
        .into_boxed();
    if let Some(user_id) = admin_of {
        let rooms: Vec<i64> = room_members::table
            .filter(room_members::user_id.eq(user_id))
            .filter(room_members::role.eq_any(["owner", "admin"]))
            .select(room_members::room_id)
            .load(conn)?;
        query = query.filter(reports::room_id.assume_not_null().eq_any(rooms));
    }
    if let Some(before) = before_id {
        query = query.filter(reports::id.lt(before));
    }
    Ok(query.at_most(limit).load(conn)?)
}

pub fn handle(
    conn: &mut DbConn,
    report_id: i64,
    status: &str,
    by: i64,
    at: NaiveDateTime,
) -> StoreResult<ReportRow> {
    Ok(diesel::update(reports::table.find(report_id))
        .set((
            reports::status.eq(status),
            reports::handled_by.eq(Some(by)),
            reports::handled_at.eq(Some(at)),
        ))
        .returning(reports::all_columns)
        .get_result(conn)?)
}
