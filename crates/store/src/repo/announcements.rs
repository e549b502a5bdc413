//! Organisation announcements.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{AnnouncementRow, UserRow};
use crate::paging::AtMostDsl;
use crate::schema::{announcements, users};

pub fn insert(
    conn: &mut DbConn,
    org_id: i64,
    author_id: i64,
    body: &str,
    now: NaiveDateTime,
) -> StoreResult<AnnouncementRow> {
    Ok(diesel::insert_into(announcements::table)
        .values((
            announcements::org_id.eq(org_id),
            announcements::author_id.eq(author_id),
            announcements::body.eq(body),
            announcements::created_at.eq(now),
        ))
        .returning(announcements::all_columns)
        .get_result(conn)?)
}

/// Newest first, before the `before_id` cursor.
pub fn list(
    conn: &mut DbConn,
    org_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<(AnnouncementRow, UserRow)>> {
    let mut query = announcements::table
        .inner_join(users::table)
        .filter(announcements::org_id.eq(org_id))
        .order(announcements::id.desc())
        .select((announcements::all_columns, users::all_columns))
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(announcements::id.lt(before));
    }
    Ok(query.at_most(limit).load(conn)?)
}
