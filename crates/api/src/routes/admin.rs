//! Server administration (administrators only).

use actix_web::{HttpResponse, delete, get, post, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::models::utc;
use crate::responses::{Authed, BadQuery, Forbidden, InvalidQuery, NotFound};
use crate::service::admin;
use crate::state::AppState;
use crate::validation::validate;

/// Deactivate a user
///
/// The user can no longer sign in; every session ends and its sockets close (4003).
#[utoipa::path(
    tag = "admin",
    operation_id = "deactivate_user",
    params(("user_id" = i64, Path, description = "User id", minimum = 1)),
    responses((status = 204, description = "Deactivated"), Forbidden, NotFound, Authed)
)]
#[post("/admin/users/{user_id}/deactivate")]
pub async fn deactivate_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    set_active(&state, &auth, path.into_inner(), false).await
}

/// Reactivate a user
#[utoipa::path(
    tag = "admin",
    operation_id = "reactivate_user",
    params(("user_id" = i64, Path, description = "User id", minimum = 1)),
    responses((status = 204, description = "Reactivated"), Forbidden, NotFound, Authed)
)]
#[post("/admin/users/{user_id}/reactivate")]
pub async fn reactivate_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    set_active(&state, &auth, path.into_inner(), true).await
}

async fn set_active(
    state: &AppState,
    auth: &AuthUser,
    user_id: i64,
    active: bool,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    if !active {
        refuse_self(auth, user_id, "administrators cannot deactivate themselves")?;
    }
    admin::set_active(state, Some(auth.user_id), user_id, active).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Administrators act on others, never on themselves, where that could lock the server
/// out of administration.
fn refuse_self(auth: &AuthUser, user_id: i64, refusal: &'static str) -> ApiResult<()> {
    if user_id == auth.user_id {
        return Err(ApiError::Forbidden(refusal.into()));
    }
    Ok(())
}

/// Delete a user (administrators; not oneself)
///
/// The account is anonymised ("Deleted user"; no email, no password), every message
/// it wrote becomes a tombstone (`message.deleted` in its room), it leaves every group
/// room and organisation (ownership passes on), its sessions end and sockets close.
/// Direct chats keep it as the partner, so the other side's history still reads.
#[utoipa::path(tag = "admin", operation_id = "delete_user",
    params(("user_id" = i64, Path, description = "User id", minimum = 1)),
    responses((status = 204, description = "Deleted"), Forbidden, NotFound, Authed))]
#[delete("/admin/users/{user_id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let user_id = path.into_inner();
    refuse_self(&auth, user_id, "administrators cannot delete themselves")?;
    admin::delete_user(&state, Some(auth.user_id), user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Export a user's data as JSON (administrators)
///
/// The profile (email included), sessions, organisation and room memberships and every
/// message the user wrote that is not deleted. Recorded in the audit log.
#[utoipa::path(tag = "admin", operation_id = "export_user",
    params(("user_id" = i64, Path, description = "User id", minimum = 1)),
    responses((status = 200, description = "The export", body = admin::UserExport), Forbidden, NotFound, Authed))]
#[get("/admin/users/{user_id}/export")]
pub async fn export_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let user_id = path.into_inner();
    let export = admin::export_user(&state, user_id).await?;
    let actor = auth.user_id;
    state
        .db(move |conn| {
            Ok(parley_store::repo::admin::record(
                conn,
                Some(actor),
                "user.export",
                "user",
                user_id,
                "",
                parley_store::now(),
            )?)
        })
        .await?;
    Ok(crate::routes::auth::no_store(HttpResponse::Ok())
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"parley-user-{user_id}.json\""),
        ))
        .json(export))
}

/// A user as administrators see them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 2, "username": "bob", "display_name": "Bob", "email": "bob@example.com",
    "is_admin": false, "is_active": true, "created_at": "2026-11-22T10:00:00Z"}))]
pub struct AdminUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 2, "username": "bob", "display_name": "Bob", "email": "bob@example.com",
    "is_admin": false, "is_active": true, "created_at": "2026-11-22T10:00:00Z"}], "next_cursor": null}))]
pub struct AdminUserPage {
    pub items: Vec<AdminUser>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminUsersQuery {
    /// Prefix of the username or display name, ignoring case.
    #[param(max_length = 64)]
    #[validate(length(max = 64))]
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
    #[param(max_length = 200)]
    #[validate(length(max = 200))]
    pub cursor: Option<String>,
}

/// List and search users, deactivated ones included (administrators)
#[utoipa::path(tag = "admin", operation_id = "list_admin_users", params(AdminUsersQuery),
    responses((status = 200, description = "A page of users", body = AdminUserPage), Forbidden, BadQuery, InvalidQuery, Authed))]
#[get("/admin/users")]
pub async fn list_admin_users(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<AdminUsersQuery>,
) -> ApiResult<web::Json<AdminUserPage>> {
    auth.require_admin()?;
    validate(&*query, |_| {})?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    let after = match query.cursor.as_deref() {
        Some(cursor) => Some(
            URL_SAFE_NO_PAD
                .decode(cursor)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| ApiError::BadRequest("malformed cursor".into()))?,
        ),
        None => None,
    };
    let prefix = query.q.unwrap_or_default().trim().to_owned();
    let rows = state
        .db(move |conn| {
            Ok(parley_store::repo::users::search_including(
                conn,
                &prefix,
                after.as_deref(),
                limit + 1,
                true,
            )?)
        })
        .await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = if more {
        rows.last()
            .map(|r| URL_SAFE_NO_PAD.encode(&r.username_lower))
    } else {
        None
    };
    let items = rows
        .iter()
        .map(|r| AdminUser {
            id: r.id,
            username: r.username.clone(),
            display_name: r.display_name.clone(),
            email: r.email.clone(),
            is_admin: r.is_admin,
            is_active: r.is_active,
            created_at: utc(r.created_at),
        })
        .collect();
    Ok(web::Json(AdminUserPage { items, next_cursor }))
}

/// Make a user an administrator (administrators)
#[utoipa::path(tag = "admin", operation_id = "promote_user", params(("user_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Promoted"), Forbidden, NotFound, Authed))]
#[post("/admin/users/{user_id}/promote")]
pub async fn promote_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    set_admin(&state, &auth, path.into_inner(), true).await
}

/// Take administration away from a user (administrators; not oneself)
#[utoipa::path(tag = "admin", operation_id = "demote_user", params(("user_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Demoted"), Forbidden, NotFound, Authed))]
#[post("/admin/users/{user_id}/demote")]
pub async fn demote_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    set_admin(&state, &auth, path.into_inner(), false).await
}

async fn set_admin(
    state: &AppState,
    auth: &AuthUser,
    user_id: i64,
    is_admin: bool,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    if !is_admin {
        refuse_self(auth, user_id, "administrators cannot demote themselves")?;
    }
    admin::set_admin(state, Some(auth.user_id), user_id, is_admin).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Server statistics.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"users": 120, "rooms": 14, "messages": 20345, "connections": 37,
    "instances": 2}))]
pub struct Stats {
    pub users: i64,
    pub rooms: i64,
    pub messages: i64,
    /// Open sockets on the instance that answered.
    pub connections: usize,
    /// Server instances alive (heartbeats through Redis); 1 without Redis, and `null`
    /// when Redis is configured but cannot be asked.
    pub instances: Option<i64>,
}

/// Server statistics (administrators)
#[utoipa::path(tag = "admin", operation_id = "get_stats",
    responses((status = 200, description = "Counts", body = Stats), Forbidden, Authed))]
#[get("/admin/stats")]
pub async fn get_stats(state: web::Data<AppState>, auth: AuthUser) -> ApiResult<web::Json<Stats>> {
    auth.require_admin()?;
    let (users, rooms, messages) = state
        .db(|conn| Ok(parley_store::repo::admin::counts(conn)?))
        .await?;
    Ok(web::Json(Stats {
        users,
        rooms,
        messages,
        connections: state.hub.connections(),
        instances: match &state.redis_link {
            Some(link) => link.instances().await,
            None => Some(1),
        },
    }))
}

/// One administrator action.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "actor_id": 1, "action": "user.deactivate", "target_type": "user",
    "target_id": 2, "detail": "", "created_at": "2026-11-22T10:00:00Z"}))]
pub struct AuditEntry {
    pub id: i64,
    /// The administrator; `null` for the operator's command line (`parley admin ...`).
    pub actor_id: Option<i64>,
    /// `user.deactivate`, `user.reactivate`, `user.promote`, `user.demote`,
    /// `user.reset_link`, `user.delete`, `user.export`, `room.delete`.
    pub action: String,
    pub target_type: String,
    pub target_id: i64,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 3, "actor_id": 1, "action": "user.deactivate", "target_type": "user",
    "target_id": 2, "detail": "", "created_at": "2026-11-22T10:00:00Z"}], "next_cursor": null}))]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// The audit log of administrator actions, newest first (administrators)
#[utoipa::path(tag = "admin", operation_id = "list_audit", params(crate::paging::PageQuery),
    responses((status = 200, description = "A page of entries", body = AuditPage), Forbidden, BadQuery, InvalidQuery, Authed))]
#[get("/admin/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<crate::paging::PageQuery>,
) -> ApiResult<web::Json<AuditPage>> {
    auth.require_admin()?;
    validate(&*query, |_| {})?;
    let (before, limit) = (query.after_id()?, query.limit());
    let rows = state
        .db(move |conn| Ok(parley_store::repo::admin::list(conn, before, limit + 1)?))
        .await?;
    let (rows, next_cursor) = crate::paging::page(rows, limit, |r| r.id);
    Ok(web::Json(AuditPage {
        items: rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                actor_id: r.actor_id,
                action: r.action,
                target_type: r.target_type,
                target_id: r.target_id,
                detail: r.detail,
                created_at: utc(r.created_at),
            })
            .collect(),
        next_cursor,
    }))
}

/// A room as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "kind": "group", "visibility": "private", "title": "ops",
    "org_id": null, "member_count": 4, "message_count": 310, "created_by": 2,
    "created_at": "2026-11-22T10:00:00Z", "archived": false}))]
pub struct AdminRoom {
    pub id: i64,
    /// `group` or `direct`.
    pub kind: String,
    pub visibility: String,
    /// Empty for direct chats.
    pub title: String,
    pub org_id: Option<i64>,
    pub member_count: i64,
    /// Messages ever posted (the room's last seq; deleted ones included).
    pub message_count: i64,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub archived: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 7, "kind": "group", "visibility": "private", "title": "ops",
    "org_id": null, "member_count": 4, "message_count": 310, "created_by": 2,
    "created_at": "2026-11-22T10:00:00Z", "archived": false}], "next_cursor": null}))]
pub struct AdminRoomPage {
    pub items: Vec<AdminRoom>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminRoomsQuery {
    /// Part of the title, ignoring case.
    #[param(max_length = 100)]
    #[validate(length(max = 100))]
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 32)]
    #[validate(length(max = 32))]
    pub cursor: Option<String>,
}

/// List every room, private and direct ones included, newest first (administrators)
#[utoipa::path(tag = "admin", operation_id = "list_admin_rooms", params(AdminRoomsQuery),
    responses((status = 200, description = "A page of rooms", body = AdminRoomPage), Forbidden, BadQuery, InvalidQuery, Authed))]
#[get("/admin/rooms")]
pub async fn list_admin_rooms(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<AdminRoomsQuery>,
) -> ApiResult<web::Json<AdminRoomPage>> {
    auth.require_admin()?;
    validate(&*query, |_| {})?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    let before = query
        .cursor
        .as_deref()
        .map(crate::paging::decode_id)
        .transpose()?;
    let q = query.q.unwrap_or_default().trim().to_owned();
    let (rows, counts) = state
        .db(move |conn| {
            let rows = parley_store::repo::rooms::list_all(conn, &q, before, limit + 1)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let counts = parley_store::repo::members::counts(conn, &ids)?;
            Ok((rows, counts))
        })
        .await?;
    let counts: std::collections::HashMap<i64, i64> = counts.into_iter().collect();
    let (rows, next_cursor) = crate::paging::page(rows, limit, |r| r.id);
    Ok(web::Json(AdminRoomPage {
        items: rows
            .into_iter()
            .map(|r| AdminRoom {
                member_count: counts.get(&r.id).copied().unwrap_or(0),
                id: r.id,
                kind: r.kind,
                visibility: r.visibility,
                title: r.title,
                org_id: r.org_id,
                message_count: r.last_seq,
                created_by: r.created_by,
                created_at: utc(r.created_at),
                archived: r.archived_at.is_some(),
            })
            .collect(),
        next_cursor,
    }))
}

/// Delete any room (administrators)
///
/// Its messages and event log go with it; members receive `room.deleted`.
#[utoipa::path(tag = "admin", operation_id = "delete_admin_room",
    params(("room_id" = i64, Path, description = "Room id", minimum = 1)),
    responses((status = 204, description = "Deleted"), Forbidden, NotFound, Authed))]
#[delete("/admin/rooms/{room_id}")]
pub async fn delete_admin_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    admin::delete_room(&state, Some(auth.user_id), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
