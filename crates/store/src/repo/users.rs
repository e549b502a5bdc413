use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{NewUser, UserRow};
use crate::paging::AtMostDsl;
use crate::schema::{user_tokens, users};

pub use sql::lower;

mod sql {
    diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
}

/// Inserts a user; a taken username or email is a `UniqueViolation`.
pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> StoreResult<UserRow> {
    Ok(diesel::insert_into(users::table)
        .values(new)
        .returning(users::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConn, user_id: i64) -> StoreResult<UserRow> {
    Ok(users::table.find(user_id).get_result(conn)?)
}

/// Users by id, in no particular order (missing ids are left out).
pub fn find_many(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<UserRow>> {
    match conn {
        DbConn::Sqlite(lite) => Ok(crate::keep!(
            "SELECT * FROM users WHERE id IN (SELECT value FROM json_each($1))"
        )
        .bind::<diesel::sql_types::Text, _>(crate::json_list(ids))
        .load(lite)?),
        DbConn::Postgres(_) => Ok(users::table.filter(users::id.eq_any(ids)).load(conn)?),
    }
}

/// By username or email, both compared ignoring case.
pub fn find_by_login(conn: &mut DbConn, login: &str) -> StoreResult<Option<UserRow>> {
    let lower = login.to_lowercase();
    Ok(users::table
        .filter(
            users::username_lower
                .eq(&lower)
                .or(users::email_lower.eq(&lower)),
        )
        .order(users::id.asc())
        .get_result(conn)
        .optional()?)
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::username_lower.eq(username.to_lowercase()))
        .get_result(conn)
        .optional()?)
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::email_lower.eq(email.to_lowercase()))
        .get_result(conn)
        .optional()?)
}

pub fn set_password_hash(conn: &mut DbConn, user_id: i64, hash: &str) -> StoreResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// The profile fields a user edits themselves; `None` leaves a field unchanged.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<Option<String>>,
}

pub fn update_profile(
    conn: &mut DbConn,
    user_id: i64,
    changes: &ProfileChanges,
) -> StoreResult<UserRow> {
    if changes.display_name.is_none() && changes.bio.is_none() && changes.avatar_url.is_none() {
        return find(conn, user_id);
    }
    Ok(diesel::update(users::table.find(user_id))
        .set(changes)
        .returning(users::all_columns)
        .get_result(conn)?)
}

/// Replaces the address (after its verification) and marks it verified.
pub fn set_verified_email(
    conn: &mut DbConn,
    user_id: i64,
    email: &str,
    at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::email.eq(email),
            users::email_lower.eq(email.to_lowercase()),
            users::email_verified_at.eq(Some(at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_admin(conn: &mut DbConn, user_id: i64, is_admin: bool) -> StoreResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::is_admin.eq(is_admin))
        .execute(conn)?;
    Ok(())
}

pub fn set_active(conn: &mut DbConn, user_id: i64, is_active: bool) -> StoreResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::is_active.eq(is_active))
        .execute(conn)?;
    Ok(())
}

/// Active users whose username or display name starts with `prefix` (ignoring case),
/// ordered by username, after the `after_username_lower` cursor.
pub fn search(
    conn: &mut DbConn,
    prefix: &str,
    after_username_lower: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<UserRow>> {
    search_including(conn, prefix, after_username_lower, limit, false)
}

/// `search`, optionally including deactivated users (for administrators).
pub fn search_including(
    conn: &mut DbConn,
    prefix: &str,
    after_username_lower: Option<&str>,
    limit: i64,
    include_inactive: bool,
) -> StoreResult<Vec<UserRow>> {
    let pattern = format!("{}%", escape_like(&prefix.to_lowercase()));
    let mut query = users::table
        .filter(
            users::username_lower
                .like(pattern.clone())
                .escape('\\')
                .or(lower(users::display_name).like(pattern).escape('\\')),
        )
        .order(users::username_lower.asc())
        .into_boxed();
    if let Some(after) = after_username_lower {
        query = query.filter(users::username_lower.gt(after.to_owned()));
    }
    if !include_inactive {
        query = query.filter(users::is_active.eq(true));
    }
    Ok(query.at_most(limit).load(conn)?)
}

/// Escapes LIKE wildcards so user input matches literally.
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Anonymises a deleted account. The row stays, so the user's messages keep an author
/// ("Deleted user") and foreign keys hold, but nothing in it identifies the person and
/// no password opens it. Their pending mailed tokens go too.
pub fn erase(conn: &mut DbConn, user_id: i64, at: NaiveDateTime) -> StoreResult<()> {
    let name = format!("deleted-{user_id}");
    let email = format!("{name}@deleted.invalid");
    diesel::update(users::table.find(user_id))
        .set((
            users::username.eq(&name),
            users::username_lower.eq(&name),
            users::email.eq(&email),
            users::email_lower.eq(&email),
            users::email_verified_at.eq(None::<NaiveDateTime>),
            users::display_name.eq("Deleted user"),
            users::bio.eq(""),
            users::avatar_url.eq(None::<String>),
            users::password_hash.eq("!"),
            users::is_admin.eq(false),
            users::is_active.eq(false),
            users::deleted_at.eq(Some(at)),
        ))
        .execute(conn)?;
    diesel::delete(user_tokens::table.filter(user_tokens::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}
