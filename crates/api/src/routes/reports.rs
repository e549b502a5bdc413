//! Reports of messages and users: room admins see their rooms' reports, server admins all.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use parley_domain::room::RoomAction;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::models::utc;
use crate::responses::{Authed, BadQuery, Forbidden, InvalidQuery, JsonBody, NotFound};
use crate::service::rooms::{authorize, existing_user};
use crate::state::AppState;
use crate::validation::{rule, validate};
use parley_store::repo::reports::{self, ReportRow};

/// A report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "reporter_id": 2, "room_id": 7, "seq": 42, "user_id": null,
    "reason": "spam", "status": "open", "created_at": "2026-11-22T10:00:00Z", "handled_by": null, "handled_at": null}))]
pub struct Report {
    pub id: i64,
    pub reporter_id: i64,
    /// With `seq`: the reported message.
    pub room_id: Option<i64>,
    pub seq: Option<i64>,
    /// The reported user.
    pub user_id: Option<i64>,
    pub reason: String,
    /// `open`, `resolved` or `dismissed`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub handled_by: Option<i64>,
    pub handled_at: Option<DateTime<Utc>>,
}

impl From<ReportRow> for Report {
    fn from(r: ReportRow) -> Self {
        Report {
            id: r.id,
            reporter_id: r.reporter_id,
            room_id: r.room_id,
            seq: r.seq,
            user_id: r.user_id,
            reason: r.reason,
            status: r.status,
            created_at: utc(r.created_at),
            handled_by: r.handled_by,
            handled_at: r.handled_at.map(utc),
        }
    }
}

fn reason_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(
        parley_domain::validate::length(v.trim(), 1, 1000)
            .and_then(|_| parley_domain::validate::no_control_chars(v)),
    )
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"room_id": 7, "seq": 42, "reason": "spam"}))]
pub struct CreateReportRequest {
    /// With `seq`: report that message.
    #[schema(minimum = 1)]
    pub room_id: Option<i64>,
    #[schema(minimum = 1)]
    pub seq: Option<i64>,
    /// Or: report this user.
    #[schema(minimum = 1)]
    pub user_id: Option<i64>,
    /// 1–1000 characters.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 1000)]
    #[validate(custom(function = "reason_rule"))]
    pub reason: String,
}

/// Report a message or a user
///
/// A message report goes to the room's admins (and server admins); a user report to
/// server admins.
#[utoipa::path(tag = "reports", operation_id = "create_report", request_body = CreateReportRequest,
    responses((status = 201, description = "Reported", body = Report), NotFound, JsonBody, Authed))]
#[post("/reports")]
pub async fn create_report(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: crate::extract::Json<CreateReportRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |errors| {
        let message = body.room_id.is_some() && body.seq.is_some();
        let user = body.user_id.is_some();
        if message == user || (body.room_id.is_some() != body.seq.is_some()) {
            errors.add(
                "room_id",
                "give room_id and seq (a message), or user_id (a user)",
            );
        }
    })?;
    let body = body.into_inner();
    let reporter = auth.user_id;
    let row = state
        .db(move |conn| {
            if let (Some(room_id), Some(seq)) = (body.room_id, body.seq) {
                authorize(conn, room_id, reporter, RoomAction::View)?;
                parley_store::repo::messages::find(conn, room_id, seq)?
                    .ok_or_else(|| ApiError::not_found("message"))?;
            }
            if let Some(user_id) = body.user_id {
                existing_user(conn, user_id)?;
            }
            Ok(reports::insert(
                conn,
                reporter,
                body.room_id,
                body.seq,
                body.user_id,
                body.reason.trim(),
                parley_store::now(),
            )?)
        })
        .await?;
    Ok(HttpResponse::Created().json(Report::from(row)))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportsQuery {
    /// `open` (default), `resolved` or `dismissed`.
    #[param(pattern = "^(open|resolved|dismissed)$")]
    #[validate(custom(function = "status_rule"))]
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
    #[param(max_length = 100)]
    #[validate(length(max = 100))]
    pub cursor: Option<String>,
}

fn status_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(match v {
        "open" | "resolved" | "dismissed" => Ok(()),
        _ => Err("must be open, resolved or dismissed".to_owned()),
    })
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 1, "reporter_id": 2, "room_id": 7, "seq": 42, "user_id": null,
    "reason": "spam", "status": "open", "created_at": "2026-11-22T10:00:00Z", "handled_by": null, "handled_at": null}],
    "next_cursor": null}))]
pub struct ReportPage {
    pub items: Vec<Report>,
    pub next_cursor: Option<String>,
}

/// Reports the caller may handle
///
/// Server admins see every report; room owners and admins the reports about their rooms.
#[utoipa::path(tag = "reports", operation_id = "list_reports", params(ReportsQuery),
    responses((status = 200, description = "A page of reports", body = ReportPage), BadQuery, InvalidQuery, Authed))]
#[get("/reports")]
pub async fn list_reports(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<ReportsQuery>,
) -> ApiResult<web::Json<ReportPage>> {
    validate(&*query, |_| {})?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    let before = query
        .cursor
        .as_deref()
        .map(crate::paging::decode_id)
        .transpose()?;
    let status = query.status.unwrap_or_else(|| "open".to_owned());
    let scope = (!auth.is_admin).then_some(auth.user_id);
    let rows = state
        .db(move |conn| Ok(reports::list(conn, &status, scope, before, limit + 1)?))
        .await?;
    let (rows, next_cursor) = crate::paging::page(rows, limit, |r| r.id);
    Ok(web::Json(ReportPage {
        items: rows.into_iter().map(Report::from).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"status": "resolved"}))]
pub struct HandleReportRequest {
    /// `resolved` or `dismissed`.
    #[serde(default)]
    #[schema(required = true, pattern = "^(resolved|dismissed)$")]
    #[validate(custom(function = "handled_rule"))]
    pub status: String,
}

fn handled_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(match v {
        "resolved" | "dismissed" => Ok(()),
        _ => Err("must be resolved or dismissed".to_owned()),
    })
}

/// Resolve or dismiss a report
///
/// Server admins, or the admins of the reported message's room.
#[utoipa::path(tag = "reports", operation_id = "handle_report", params(("report_id" = i64, Path, minimum = 1)),
    request_body = HandleReportRequest,
    responses((status = 200, description = "Handled", body = Report), Forbidden, NotFound, JsonBody, Authed))]
#[post("/reports/{report_id}/handle")]
pub async fn handle_report(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<HandleReportRequest>,
) -> ApiResult<web::Json<Report>> {
    validate(&*body, |_| {})?;
    let (report_id, status, caller, admin) = (
        path.into_inner(),
        body.into_inner().status,
        auth.user_id,
        auth.is_admin,
    );
    let row = state
        .db(move |conn| {
            let report =
                reports::find(conn, report_id)?.ok_or_else(|| ApiError::not_found("report"))?;
            if !admin {
                let room_id = report
                    .room_id
                    .ok_or_else(|| ApiError::not_found("report"))?;
                authorize(conn, room_id, caller, RoomAction::Moderate).map_err(|e| match e {
                    ApiError::Forbidden(_) | ApiError::NotFound(_) => ApiError::not_found("report"),
                    other => other,
                })?;
            }
            Ok(reports::handle(
                conn,
                report_id,
                &status,
                caller,
                parley_store::now(),
            )?)
        })
        .await?;
    Ok(web::Json(Report::from(row)))
}
