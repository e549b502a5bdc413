//! The caller's sessions (signed-in devices).

use actix_web::{HttpResponse, delete, get, web};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::models::{Session, SessionList};
use crate::service::accounts;
use crate::state::AppState;
use parley_store::repo::sessions;

/// The caller's live sessions
#[utoipa::path(
    tag = "sessions",
    operation_id = "list_sessions",
    responses(
        (status = 200, description = "Live sessions, most recently used first", body = SessionList),
        crate::responses::Authed,
    )
)]
#[get("/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> ApiResult<web::Json<SessionList>> {
    let (user_id, current) = (auth.user_id, auth.session_id);
    let rows = state
        .db(move |conn| Ok(sessions::list_live(conn, user_id, parley_store::now())?))
        .await?;
    Ok(web::Json(SessionList {
        items: rows.iter().map(|r| Session::from_row(r, current)).collect(),
    }))
}

/// End one of the caller's sessions
#[utoipa::path(
    tag = "sessions",
    operation_id = "delete_session",
    params(("session_id" = i64, Path, description = "Session id", minimum = 1)),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "Not one of the caller's sessions", body = Problem, content_type = "application/problem+json"),
        crate::responses::Authed,
    )
)]
#[delete("/sessions/{session_id}")]
pub async fn delete_session(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let (user_id, session_id) = (auth.user_id, path.into_inner());
    state
        .db(move |conn| match sessions::find(conn, session_id) {
            Ok(s) if s.user_id == user_id => {
                Ok(sessions::revoke(conn, session_id, parley_store::now())?)
            }
            Ok(_) | Err(parley_store::StoreError::NotFound) => Err(ApiError::not_found("session")),
            Err(e) => Err(e.into()),
        })
        .await?;
    accounts::sessions_ended(&state, user_id, vec![session_id]);
    Ok(HttpResponse::NoContent().finish())
}

/// End every other session
///
/// Signs out every other device; the current session stays.
#[utoipa::path(
    tag = "sessions",
    operation_id = "delete_other_sessions",
    responses(
        (status = 204, description = "Other sessions ended"),
        crate::responses::Authed,
    )
)]
#[delete("/sessions")]
pub async fn delete_other_sessions(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> ApiResult<HttpResponse> {
    accounts::revoke_sessions(&state, &auth, true).await?;
    Ok(HttpResponse::NoContent().finish())
}
