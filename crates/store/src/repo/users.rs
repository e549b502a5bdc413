use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{NewUser, UserRow};
use crate::schema::users;

/// Inserts a user; a taken username or email is a `UniqueViolation`.
pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> StoreResult<UserRow> {
    Ok(diesel::insert_into(users::table)
        .values(new)
        .returning(users::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConn, user_id: i64) -> StoreResult<UserRow> {
    Ok(users::table.find(user_id).first(conn)?)
}
