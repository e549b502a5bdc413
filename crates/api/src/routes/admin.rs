//! Server administration (administrators only).

use actix_web::{HttpResponse, get, post, web};
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
use crate::service::accounts;
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
    let action = if active {
        "user.reactivate"
    } else {
        "user.deactivate"
    };
    let refusal = (!active).then_some("administrators cannot deactivate themselves");
    let ended = change_user(state, auth, user_id, action, refusal, move |conn| {
        parley_store::repo::users::set_active(conn, user_id, active)?;
        if active {
            return Ok(Vec::new());
        }
        Ok(parley_store::repo::sessions::revoke_all(
            conn,
            user_id,
            None,
            parley_store::now(),
        )?)
    })
    .await?;
    accounts::sessions_ended(state, user_id, ended);
    Ok(HttpResponse::NoContent().finish())
}

/// One audited administrator change to a user: checks the caller is an administrator
/// (and, with `self_refusal`, not acting on themselves), applies `change` and records
/// `action` in the audit log, in one transaction.
async fn change_user<T, F>(
    state: &AppState,
    auth: &AuthUser,
    user_id: i64,
    action: &'static str,
    self_refusal: Option<&'static str>,
    change: F,
) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut parley_store::DbConn) -> ApiResult<T> + Send + 'static,
{
    auth.require_admin()?;
    if let Some(refusal) = self_refusal
        && user_id == auth.user_id
    {
        return Err(ApiError::Forbidden(refusal.into()));
    }
    let actor = auth.user_id;
    state
        .db(move |conn| {
            parley_store::write_tx(conn, |conn| -> ApiResult<T> {
                parley_store::repo::users::find(conn, user_id)?;
                let result = change(conn)?;
                parley_store::repo::admin::record(
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
    admin: bool,
) -> ApiResult<HttpResponse> {
    let action = if admin { "user.promote" } else { "user.demote" };
    let refusal = (!admin).then_some("administrators cannot demote themselves");
    change_user(state, auth, user_id, action, refusal, move |conn| {
        Ok(parley_store::repo::users::set_admin(conn, user_id, admin)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Server statistics.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"users": 120, "rooms": 14, "messages": 20345, "connections": 37}))]
pub struct Stats {
    pub users: i64,
    pub rooms: i64,
    pub messages: i64,
    /// Open sockets on the instance that answered.
    pub connections: usize,
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
    }))
}

/// One administrator action.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "actor_id": 1, "action": "user.deactivate", "target_type": "user",
    "target_id": 2, "detail": "", "created_at": "2026-11-22T10:00:00Z"}))]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: i64,
    /// `user.deactivate`, `user.reactivate`, `user.promote`, `user.demote`, `user.reset_link`.
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
