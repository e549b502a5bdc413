//! Invite links to rooms and organisations.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::InviteRow;
use crate::schema::invites;

pub struct NewInvite<'a> {
    pub code: &'a str,
    pub room_id: Option<i64>,
    pub org_id: Option<i64>,
    pub created_by: i64,
    pub expires_at: Option<NaiveDateTime>,
    pub max_uses: Option<i64>,
}

pub fn insert(
    conn: &mut DbConn,
    new: &NewInvite<'_>,
    now: NaiveDateTime,
) -> StoreResult<InviteRow> {
    Ok(diesel::insert_into(invites::table)
        .values((
            invites::code.eq(new.code),
            invites::room_id.eq(new.room_id),
            invites::org_id.eq(new.org_id),
            invites::created_by.eq(new.created_by),
            invites::created_at.eq(now),
            invites::expires_at.eq(new.expires_at),
            invites::max_uses.eq(new.max_uses),
        ))
        .returning(invites::all_columns)
        .get_result(conn)?)
}

pub fn find_by_code(conn: &mut DbConn, code: &str) -> StoreResult<Option<InviteRow>> {
    Ok(invites::table
        .filter(invites::code.eq(code))
        .get_result(conn)
        .optional()?)
}

/// Live invites of a room or an organisation, newest first.
pub fn list(
    conn: &mut DbConn,
    room_id: Option<i64>,
    org_id: Option<i64>,
    now: NaiveDateTime,
) -> StoreResult<Vec<InviteRow>> {
    let mut query = invites::table
        .filter(invites::revoked_at.is_null())
        .filter(
            invites::expires_at
                .is_null()
                .or(invites::expires_at.gt(now)),
        )
        .order(invites::id.desc())
        .into_boxed();
    query = match (room_id, org_id) {
        (Some(room), _) => query.filter(invites::room_id.eq(room)),
        (None, Some(org)) => query.filter(invites::org_id.eq(org)),
        (None, None) => return Ok(Vec::new()),
    };
    Ok(query.load(conn)?)
}

/// Counts one use if the invite is still usable; false when it is not (revoked,
/// expired, or used up, possibly by a concurrent acceptance).
pub fn take_use(conn: &mut DbConn, invite_id: i64, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        invites::table
            .find(invite_id)
            .filter(invites::revoked_at.is_null())
            .filter(
                invites::expires_at
                    .is_null()
                    .or(invites::expires_at.gt(now)),
            )
            .filter(
                invites::max_uses
                    .is_null()
                    .or(invites::uses.lt(invites::max_uses.assume_not_null())),
            ),
    )
    .set(invites::uses.eq(invites::uses + 1))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke(conn: &mut DbConn, invite_id: i64, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(invites::table.find(invite_id))
        .set(invites::revoked_at.eq(Some(now)))
        .execute(conn)?;
    Ok(())
}
