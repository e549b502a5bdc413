//! Server administration (administrators only).

use actix_web::{HttpResponse, post, web};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::responses::{Authed, Forbidden, NotFound};
use crate::service::accounts;
use crate::state::AppState;

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
    if user_id == auth.user_id && !active {
        return Err(ApiError::Forbidden(
            "administrators cannot deactivate themselves".into(),
        ));
    }
    let ended = state
        .db(move |conn| {
            parley_store::write_tx(conn, |conn| -> ApiResult<Vec<i64>> {
                parley_store::repo::users::find(conn, user_id)?;
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
        })
        .await?;
    accounts::sessions_ended(state, user_id, ended);
    Ok(HttpResponse::NoContent().finish())
}
