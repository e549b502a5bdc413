//! Invite links: preview, accept, revoke. Codes appear only in paths, which the request
//! log records as route patterns, never verbatim.

use actix_web::{HttpResponse, delete, get, post, web};

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::models::{InviteAccepted, InvitePreview};
use crate::responses::{Authed, Conflict, Forbidden, NotFound};
use crate::service::invites as service;
use crate::state::AppState;

/// Preview an invite
///
/// What the invite leads to. Unknown, revoked, expired and used-up invites are 404.
#[utoipa::path(
    tag = "invites",
    operation_id = "get_invite",
    params(("code" = String, Path, max_length = 64)),
    responses((status = 200, description = "The invite", body = InvitePreview), NotFound, Authed)
)]
#[get("/invites/{code}")]
pub async fn get_invite(
    state: web::Data<AppState>,
    _auth: AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<InvitePreview>> {
    Ok(web::Json(
        service::preview(&state, path.into_inner()).await?,
    ))
}

/// Accept an invite
///
/// Joins the room or organisation. Banned users get 403.
#[utoipa::path(
    tag = "invites",
    operation_id = "accept_invite",
    params(("code" = String, Path, max_length = 64)),
    responses((status = 200, description = "Joined", body = InviteAccepted), Forbidden, NotFound, Conflict, Authed)
)]
#[post("/invites/{code}/accept")]
pub async fn accept_invite(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<InviteAccepted>> {
    Ok(web::Json(
        service::accept(&state, auth.user_id, path.into_inner()).await?,
    ))
}

/// Revoke an invite (admins of its room or organisation)
#[utoipa::path(
    tag = "invites",
    operation_id = "revoke_invite",
    params(("code" = String, Path, max_length = 64)),
    responses((status = 204, description = "Revoked"), Forbidden, NotFound, Authed)
)]
#[delete("/invites/{code}")]
pub async fn revoke_invite(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::revoke(&state, auth.user_id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
