//! Organisations and their members.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::models::{OrgMemberRow, OrgRow, UserRow};
use crate::paging::AtMostDsl;
use crate::schema::{org_members, orgs, users};

pub fn insert(
    conn: &mut DbConn,
    name: &str,
    description: &str,
    created_by: i64,
    now: NaiveDateTime,
) -> StoreResult<OrgRow> {
    Ok(diesel::insert_into(orgs::table)
        .values((
            orgs::name.eq(name),
            orgs::description.eq(description),
            orgs::created_by.eq(created_by),
            orgs::created_at.eq(now),
        ))
        .returning(orgs::all_columns)
        .get_result(conn)?)
}

pub fn find_optional(conn: &mut DbConn, org_id: i64) -> StoreResult<Option<OrgRow>> {
    Ok(orgs::table.find(org_id).get_result(conn).optional()?)
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = orgs)]
pub struct OrgChanges {
    pub name: Option<String>,
    pub description: Option<String>,
}

pub fn update(conn: &mut DbConn, org_id: i64, changes: &OrgChanges) -> StoreResult<OrgRow> {
    if changes.name.is_none() && changes.description.is_none() {
        return Ok(orgs::table.find(org_id).get_result(conn)?);
    }
    Ok(diesel::update(orgs::table.find(org_id))
        .set(changes)
        .returning(orgs::all_columns)
        .get_result(conn)?)
}

pub fn delete(conn: &mut DbConn, org_id: i64) -> StoreResult<()> {
    diesel::delete(orgs::table.find(org_id)).execute(conn)?;
    Ok(())
}

/// The organisations a user belongs to, with the membership.
pub fn list_for_user(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<(OrgRow, OrgMemberRow)>> {
    Ok(orgs::table
        .inner_join(org_members::table)
        .filter(org_members::user_id.eq(user_id))
        .order(orgs::id.asc())
        .select((orgs::all_columns, org_members::all_columns))
        .load(conn)?)
}

pub fn org_ids_for_user(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<i64>> {
    Ok(org_members::table
        .filter(org_members::user_id.eq(user_id))
        .select(org_members::org_id)
        .load(conn)?)
}

pub fn member(conn: &mut DbConn, org_id: i64, user_id: i64) -> StoreResult<Option<OrgMemberRow>> {
    Ok(org_members::table
        .find((org_id, user_id))
        .get_result(conn)
        .optional()?)
}

pub fn add_member(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
    role: &str,
    now: NaiveDateTime,
) -> StoreResult<OrgMemberRow> {
    Ok(diesel::insert_into(org_members::table)
        .values((
            org_members::org_id.eq(org_id),
            org_members::user_id.eq(user_id),
            org_members::role.eq(role),
            org_members::joined_at.eq(now),
        ))
        .returning(org_members::all_columns)
        .get_result(conn)?)
}

pub fn remove_member(conn: &mut DbConn, org_id: i64, user_id: i64) -> StoreResult<bool> {
    Ok(diesel::delete(org_members::table.find((org_id, user_id))).execute(conn)? > 0)
}

pub fn set_member_role(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
    role: &str,
) -> StoreResult<OrgMemberRow> {
    Ok(diesel::update(org_members::table.find((org_id, user_id)))
        .set(org_members::role.eq(role))
        .returning(org_members::all_columns)
        .get_result(conn)?)
}

pub fn member_count(conn: &mut DbConn, org_id: i64) -> StoreResult<i64> {
    Ok(org_members::table
        .filter(org_members::org_id.eq(org_id))
        .count()
        .get_result(conn)?)
}

pub fn member_ids(conn: &mut DbConn, org_id: i64) -> StoreResult<Vec<i64>> {
    Ok(org_members::table
        .filter(org_members::org_id.eq(org_id))
        .select(org_members::user_id)
        .load(conn)?)
}

pub fn list_members(
    conn: &mut DbConn,
    org_id: i64,
    after_user_id: i64,
    limit: i64,
) -> StoreResult<Vec<(OrgMemberRow, UserRow)>> {
    Ok(org_members::table
        .inner_join(users::table)
        .filter(org_members::org_id.eq(org_id))
        .filter(org_members::user_id.gt(after_user_id))
        .order(org_members::user_id.asc())
        .select((org_members::all_columns, users::all_columns))
        .at_most(limit)
        .load(conn)?)
}

/// Who takes over an organisation its owner leaves: the longest-standing admin, else
/// the longest-standing member.
pub fn successor(
    conn: &mut DbConn,
    org_id: i64,
    leaving_user: i64,
) -> StoreResult<Option<OrgMemberRow>> {
    let candidates: Vec<OrgMemberRow> = org_members::table
        .filter(org_members::org_id.eq(org_id))
        .filter(org_members::user_id.ne(leaving_user))
        .order((org_members::joined_at.asc(), org_members::user_id.asc()))
        .load(conn)?;
    let admin = candidates.iter().find(|m| m.role == "admin").cloned();
    Ok(admin.or_else(|| candidates.into_iter().next()))
}
