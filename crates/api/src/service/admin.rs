//! Server administration: the changes administrators make to users and rooms, each
//! recorded in the audit log in the same transaction. The HTTP handlers (after their
//! `is_admin` check) and the operator's command line (`actor: None`) both call these.

use parley_domain::room::Role;
use parley_realtime::BusEvent;
use parley_store::repo::{admin, messages, orgs, rooms, sessions, users};
use parley_store::{DbConn, write_tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::models::{Message, utc};
use crate::service::{accounts, rooms as room_service};
use crate::state::AppState;

/// Applies `change` to an existing user and records `action` by `actor`, in one
/// transaction.
pub async fn change_user<T, F>(
    state: &AppState,
    actor: Option<i64>,
    user_id: i64,
    action: &'static str,
    change: F,
) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
{
    state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<T> {
                let user = users::find(conn, user_id)?;
                if user.deleted_at.is_some() {
                    return Err(ApiError::not_found("user"));
                }
                let result = change(conn)?;
                admin::record(
                    conn,
                    actor,
                    action,
                    "user",
                    user_id,
                    "",
                    parley_store::now(),
                )?;
                Ok(result)
            })
        })
        .await
}

/// Deactivates (ending every session and closing its sockets with 4003) or reactivates.
pub async fn set_active(
    state: &AppState,
    actor: Option<i64>,
    user_id: i64,
    active: bool,
) -> ApiResult<()> {
    let action = if active {
        "user.reactivate"
    } else {
        "user.deactivate"
    };
    let ended = change_user(state, actor, user_id, action, move |conn| {
        users::set_active(conn, user_id, active)?;
        if active {
            return Ok(Vec::new());
        }
        Ok(sessions::revoke_all(
            conn,
            user_id,
            None,
            parley_store::now(),
        )?)
    })
    .await?;
    accounts::sessions_ended(state, user_id, ended);
    Ok(())
}

pub async fn set_admin(
    state: &AppState,
    actor: Option<i64>,
    user_id: i64,
    is_admin: bool,
) -> ApiResult<()> {
    let action = if is_admin {
        "user.promote"
    } else {
        "user.demote"
    };
    change_user(state, actor, user_id, action, move |conn| {
        Ok(users::set_admin(conn, user_id, is_admin)?)
    })
    .await
}

/// Deletes an account. The row stays, anonymised ("Deleted user", no email, no
/// password); every message the user wrote becomes a tombstone (announced as
/// `message.deleted` in its room); they leave every group room and organisation
/// (ownership passes on as when an owner leaves); direct chats keep them as the
/// partner, so the other side's history still reads. Sessions end, sockets close.
pub async fn delete_user(state: &AppState, actor: Option<i64>, user_id: i64) -> ApiResult<()> {
    let (events, ended) = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<(Vec<BusEvent>, Vec<i64>)> {
                let user = users::find(conn, user_id)?;
                if user.deleted_at.is_some() {
                    return Err(ApiError::not_found("user"));
                }
                let now = parley_store::now();
                users::erase(conn, user_id, now)?;
                let author = users::find(conn, user_id)?;
                let mut out = Vec::new();
                for row in messages::live_by_author(conn, user_id)? {
                    let row = messages::tombstone(conn, &row, now)?;
                    let message = Message::from_rows(&row, &author);
                    room_service::emit(
                        conn,
                        &mut out,
                        row.room_id,
                        "message.deleted",
                        json!({"message": message}),
                    )?;
                }
                for (room, _) in rooms::list_for_user(conn, user_id)? {
                    if room.kind == "group" {
                        room_service::remove_member(conn, &mut out, &room, user_id, "deleted")?;
                    }
                }
                for (org, member) in orgs::list_for_user(conn, user_id)? {
                    if member.role == Role::Owner.as_str()
                        && let Some(heir) = orgs::successor(conn, org.id, user_id)?
                    {
                        orgs::set_member_role(conn, org.id, heir.user_id, Role::Owner.as_str())?;
                    }
                    orgs::remove_member(conn, org.id, user_id)?;
                }
                let ended = sessions::revoke_all(conn, user_id, None, now)?;
                admin::record(conn, actor, "user.delete", "user", user_id, "", now)?;
                Ok((out, ended))
            })
        })
        .await?;
    state.bus.publish_all(events);
    accounts::sessions_ended(state, user_id, ended);
    Ok(())
}

/// Everything the server holds about one user, as an administrator exports it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user": {"id": 2, "username": "bob", "email": "bob@example.com", "email_verified": true, "display_name": "Bob", "bio": "", "avatar_url": null, "is_admin": false, "is_active": true, "created_at": "2026-11-22T10:00:00Z", "last_seen_at": "2026-11-22T11:00:00Z", "deleted_at": null}, "sessions": [{"id": 9, "created_at": "2026-11-22T10:00:00Z", "last_used_at": "2026-11-22T11:00:00Z", "user_agent": "Firefox", "ip": "203.0.113.7", "revoked": false}], "organisations": [], "rooms": [{"id": 7, "name": "general", "role": "member", "joined_at": "2026-11-22T10:00:00Z"}], "messages": [{"room_id": 7, "seq": 41, "body": "hello", "created_at": "2026-11-22T10:05:00Z", "edited_at": null, "parent_seq": null}], "exported_at": "2026-11-22T12:00:00Z"}))]
pub struct UserExport {
    pub user: ExportedUser,
    pub sessions: Vec<ExportedSession>,
    pub organisations: Vec<ExportedMembership>,
    pub rooms: Vec<ExportedMembership>,
    /// Every message the user wrote that is not deleted, room by room in seq order.
    pub messages: Vec<ExportedMessage>,
    pub exported_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 2, "username": "bob", "email": "bob@example.com", "email_verified": true, "display_name": "Bob", "bio": "", "avatar_url": null, "is_admin": false, "is_active": true, "created_at": "2026-11-22T10:00:00Z", "last_seen_at": "2026-11-22T11:00:00Z", "deleted_at": null}))]
pub struct ExportedUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 9, "created_at": "2026-11-22T10:00:00Z", "last_used_at": "2026-11-22T11:00:00Z", "user_agent": "Firefox", "ip": "203.0.113.7", "revoked": false}))]
pub struct ExportedSession {
    pub id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: chrono::DateTime<chrono::Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub revoked: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "name": "general", "role": "member", "joined_at": "2026-11-22T10:00:00Z"}))]
pub struct ExportedMembership {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub joined_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"room_id": 7, "seq": 41, "body": "hello", "created_at": "2026-11-22T10:05:00Z", "edited_at": null, "parent_seq": null}))]
pub struct ExportedMessage {
    pub room_id: i64,
    pub seq: i64,
    pub body: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub edited_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The thread root's seq, for a reply.
    pub parent_seq: Option<i64>,
}

pub async fn export_user(state: &AppState, user_id: i64) -> ApiResult<UserExport> {
    state
        .db(move |conn| {
            let user = users::find(conn, user_id)?;
            let sessions = sessions::all_of(conn, user_id)?
                .into_iter()
                .map(|s| ExportedSession {
                    id: s.id,
                    created_at: utc(s.created_at),
                    last_used_at: utc(s.last_used_at),
                    user_agent: s.user_agent,
                    ip: s.ip,
                    revoked: s.revoked_at.is_some(),
                })
                .collect();
            let organisations = orgs::list_for_user(conn, user_id)?
                .into_iter()
                .map(|(org, m)| ExportedMembership {
                    id: org.id,
                    name: org.name,
                    role: m.role,
                    joined_at: utc(m.joined_at),
                })
                .collect();
            let rooms = rooms::list_for_user(conn, user_id)?
                .into_iter()
                .map(|(room, m)| ExportedMembership {
                    id: room.id,
                    name: room.title,
                    role: m.role,
                    joined_at: utc(m.joined_at),
                })
                .collect();
            let messages = messages::live_by_author(conn, user_id)?
                .into_iter()
                .map(|m| ExportedMessage {
                    room_id: m.room_id,
                    seq: m.seq,
                    body: m.body,
                    created_at: utc(m.created_at),
                    edited_at: m.edited_at.map(utc),
                    parent_seq: m.parent_seq,
                })
                .collect();
            Ok(UserExport {
                user: ExportedUser {
                    id: user.id,
                    username: user.username,
                    email: user.email,
                    email_verified: user.email_verified_at.is_some(),
                    display_name: user.display_name,
                    bio: user.bio,
                    avatar_url: user.avatar_url,
                    is_admin: user.is_admin,
                    is_active: user.is_active,
                    created_at: utc(user.created_at),
                    last_seen_at: user.last_seen_at.map(utc),
                    deleted_at: user.deleted_at.map(utc),
                },
                sessions,
                organisations,
                rooms,
                messages,
                exported_at: chrono::Utc::now(),
            })
        })
        .await
}

/// Deletes any room (its messages and log go with it); members receive `room.deleted`.
/// Direct chats too: an administrator may need to remove abuse wherever it is.
pub async fn delete_room(state: &AppState, actor: Option<i64>, room_id: i64) -> ApiResult<()> {
    let events = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<BusEvent>> {
                let room = rooms::find_optional(conn, room_id)?
                    .ok_or_else(|| ApiError::not_found("room"))?;
                let out = room_service::remove_room(conn, &room)?;
                admin::record(
                    conn,
                    actor,
                    "room.delete",
                    "room",
                    room_id,
                    &room.title,
                    parley_store::now(),
                )?;
                Ok(out)
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(())
}
