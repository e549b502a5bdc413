//! Row types, one per table, in column order.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::*;

#[derive(Debug, Clone, Queryable, QueryableByName, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub username_lower: String,
    pub email: String,
    pub email_lower: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub password_hash: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub last_seen_at: Option<NaiveDateTime>,
    /// Set when an administrator deleted the account: the row stays, anonymised.
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub username_lower: &'a str,
    pub email: &'a str,
    pub email_lower: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Identifiable)]
#[diesel(table_name = rooms)]
pub struct RoomRow {
    pub id: i64,
    pub org_id: Option<i64>,
    pub kind: String,
    pub visibility: String,
    pub title: String,
    pub description: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub last_seq: i64,
    pub last_event_seq: i64,
    pub last_activity_at: NaiveDateTime,
    pub archived_at: Option<NaiveDateTime>,
    pub dm_key: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = rooms)]
pub struct NewRoom<'a> {
    pub org_id: Option<i64>,
    pub kind: &'a str,
    pub visibility: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub last_activity_at: NaiveDateTime,
    pub dm_key: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, QueryableByName)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: i64,
    pub room_id: i64,
    pub seq: i64,
    pub author_id: i64,
    pub body: String,
    pub client_msg_id: Option<String>,
    pub parent_seq: Option<i64>,
    pub reply_count: i64,
    pub last_reply_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage<'a> {
    pub room_id: i64,
    pub seq: i64,
    pub author_id: i64,
    pub body: &'a str,
    pub client_msg_id: Option<&'a str>,
    pub parent_seq: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName)]
#[diesel(table_name = room_events)]
pub struct RoomEventRow {
    pub room_id: i64,
    pub event_seq: i64,
    pub kind: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: i64,
    pub session_id: i64,
    pub token_hash: String,
    pub issued_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = user_tokens)]
pub struct UserTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub purpose: String,
    pub token_hash: String,
    pub email: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = user_tokens)]
pub struct NewUserToken<'a> {
    pub user_id: i64,
    pub purpose: &'a str,
    pub token_hash: &'a str,
    pub email: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName)]
#[diesel(table_name = room_members)]
pub struct MemberRow {
    pub room_id: i64,
    pub user_id: i64,
    pub role: String,
    pub joined_at: NaiveDateTime,
    pub last_read_seq: i64,
    pub cleared_before_seq: i64,
    pub notify: Option<String>,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = orgs)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = org_members)]
pub struct OrgMemberRow {
    pub org_id: i64,
    pub user_id: i64,
    pub role: String,
    pub joined_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = invites)]
pub struct InviteRow {
    pub id: i64,
    pub code: String,
    pub room_id: Option<i64>,
    pub org_id: Option<i64>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = room_bans)]
pub struct BanRow {
    pub room_id: i64,
    pub user_id: i64,
    pub banned_by: i64,
    pub reason: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = announcements)]
pub struct AnnouncementRow {
    pub id: i64,
    pub org_id: i64,
    pub author_id: i64,
    pub body: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub room_id: Option<i64>,
    pub seq: Option<i64>,
    pub actor_id: Option<i64>,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}
