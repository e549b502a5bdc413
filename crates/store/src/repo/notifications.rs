//! Stored notifications (mentions, direct messages, invites, announcements).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::NotificationRow;
use crate::paging::AtMostDsl;
use crate::schema::notifications;

pub struct NewNotification<'a> {
    pub user_id: i64,
    pub kind: &'a str,
    pub room_id: Option<i64>,
    pub seq: Option<i64>,
    pub actor_id: Option<i64>,
    pub body: &'a str,
}

pub fn insert(
    conn: &mut DbConn,
    new: &NewNotification<'_>,
    at: NaiveDateTime,
) -> StoreResult<NotificationRow> {
    Ok(diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(new.user_id),
            notifications::kind.eq(new.kind),
            notifications::room_id.eq(new.room_id),
            notifications::seq.eq(new.seq),
            notifications::actor_id.eq(new.actor_id),
            notifications::body.eq(new.body),
            notifications::created_at.eq(at),
        ))
        .returning(notifications::all_columns)
        .get_result(conn)?)
}

/// Unread first, then newest first; `offset` pages through that order.
pub fn list(
    conn: &mut DbConn,
    user_id: i64,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<NotificationRow>> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order((
            notifications::read_at.is_null().desc(),
            notifications::id.desc(),
        ))
        .at_most(limit)
        .skipping(offset)
        .load(conn)?)
}

/// Marks the given notifications (or all, with `None`) read; answers how many changed.
pub fn mark_read(
    conn: &mut DbConn,
    user_id: i64,
    ids: Option<&[i64]>,
    at: NaiveDateTime,
) -> StoreResult<usize> {
    let mut query = diesel::update(notifications::table)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .into_boxed();
    if let Some(ids) = ids {
        query = query.filter(notifications::id.eq_any(ids.to_vec()));
    }
    Ok(query
        .set(notifications::read_at.eq(Some(at)))
        .execute(conn)?)
}

/// Forgets a user's notifications about a room up to `seq` (cleared history), and the
/// room's notifications that are not about a message (being added to it).
pub fn clear_room(conn: &mut DbConn, user_id: i64, room_id: i64, seq: i64) -> StoreResult<()> {
    diesel::delete(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::room_id.eq(room_id))
            .filter(notifications::seq.le(seq).or(notifications::seq.is_null())),
    )
    .execute(conn)?;
    Ok(())
}
