use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Liveness and dependencies of this instance.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "database": "ok", "redis": "disabled"}))]
pub struct Health {
    /// `ok`, or `degraded` when Redis is down (this instance still serves its own sockets).
    #[schema(example = "ok")]
    pub status: &'static str,
    /// `ok` or `down`.
    pub database: &'static str,
    /// `ok`, `down`, or `disabled` when `REDIS_URL` is unset.
    pub redis: &'static str,
}

/// Health of this instance
///
/// 200 while the database answers (`degraded` if Redis is down); 503 when the
/// database is unreachable.
#[utoipa::path(
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Serving", body = Health),
        (status = 503, description = "The database is unreachable", body = Health,
         example = json!({"status": "down", "database": "down", "redis": "ok"})),
    )
)]
#[get("/health")]
pub async fn get_health(state: web::Data<AppState>) -> HttpResponse {
    let database_ok = state
        .db(|conn| Ok(parley_store::db::ping(conn)?))
        .await
        .is_ok();
    let redis = match &state.redis {
        None => "disabled",
        Some(pool) if parley_realtime::redis_ping(pool).await => "ok",
        Some(_) => "down",
    };
    let health = Health {
        status: match (database_ok, redis) {
            (false, _) => "down",
            (true, "down") => "degraded",
            _ => "ok",
        },
        database: if database_ok { "ok" } else { "down" },
        redis,
    };
    if database_ok {
        HttpResponse::Ok().json(health)
    } else {
        HttpResponse::ServiceUnavailable().json(health)
    }
}
