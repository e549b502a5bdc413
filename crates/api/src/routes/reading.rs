//! Read positions, clearing history, notification levels, the room event log, search
//! and notifications.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::models::{Membership, Message, Notification};
use crate::paging;
use crate::responses::{Authed, BadQuery, Forbidden, InvalidQuery, JsonBody, NotFound};
use crate::service::messages as service;
use crate::service::rooms::authorize;
use crate::state::AppState;
use crate::validation::{rule, validate};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"seq": 42}))]
pub struct ReadRequest {
    /// The highest seq read.
    #[schema(minimum = 0)]
    #[validate(range(min = 0))]
    pub seq: i64,
    /// Move backwards too ("mark unread").
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"last_read_seq": 42}))]
pub struct ReadPosition {
    pub last_read_seq: i64,
}

/// Move the caller's read position
///
/// Never backwards unless `force`. The room's members (and the caller's other devices)
/// receive a `read` event.
#[utoipa::path(tag = "reads", operation_id = "mark_read", params(("room_id" = i64, Path, minimum = 1)), request_body = ReadRequest,
    responses((status = 200, description = "The position now", body = ReadPosition), Forbidden, NotFound, JsonBody, Authed))]
#[post("/rooms/{room_id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<ReadRequest>,
) -> ApiResult<web::Json<ReadPosition>> {
    validate(&*body, |_| {})?;
    let last_read_seq = service::mark_read(
        &state,
        auth.user_id,
        path.into_inner(),
        body.seq,
        body.force,
    )
    .await?;
    Ok(web::Json(ReadPosition { last_read_seq }))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user_id": 2, "last_read_seq": 40}))]
pub struct MemberRead {
    pub user_id: i64,
    pub last_read_seq: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"user_id": 2, "last_read_seq": 40}]}))]
pub struct ReadList {
    pub items: Vec<MemberRead>,
}

/// Every member's read position ("seen by")
#[utoipa::path(tag = "reads", operation_id = "list_reads", params(("room_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "Positions", body = ReadList), NotFound, Authed))]
#[get("/rooms/{room_id}/reads")]
pub async fn list_reads(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<ReadList>> {
    let items = service::reads(&state, auth.user_id, path.into_inner()).await?;
    Ok(web::Json(ReadList {
        items: items
            .into_iter()
            .map(|(user_id, last_read_seq)| MemberRead {
                user_id,
                last_read_seq,
            })
            .collect(),
    }))
}

/// Clear the room's history for the caller
///
/// Hides everything up to now for the caller only: in history, search, unread counts and
/// notifications.
#[utoipa::path(tag = "reads", operation_id = "clear_room", params(("room_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "The caller's membership", body = Membership), Forbidden, NotFound, Authed))]
#[post("/rooms/{room_id}/clear")]
pub async fn clear_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<Membership>> {
    let member = service::clear(&state, auth.user_id, path.into_inner()).await?;
    Ok(web::Json(Membership::from(&member)))
}

fn notify_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(match v {
        "all" | "mentions" | "none" => Ok(()),
        _ => Err("must be all, mentions or none".to_owned()),
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"notify": "mentions"}))]
pub struct MembershipRequest {
    /// `all` (mentions, @here, @room, direct messages), `mentions` (@username and direct
    /// messages), `none` (muted), or null for the default (`all` in rooms under 20
    /// members and direct chats, else `mentions`).
    #[schema(pattern = "^(all|mentions|none)$")]
    #[validate(custom(function = "notify_rule"))]
    pub notify: Option<String>,
}

/// Set the caller's notification level for a room
#[utoipa::path(tag = "reads", operation_id = "update_membership", params(("room_id" = i64, Path, minimum = 1)), request_body = MembershipRequest,
    responses((status = 200, description = "The caller's membership", body = Membership), Forbidden, NotFound, JsonBody, Authed))]
#[patch("/rooms/{room_id}/membership")]
pub async fn update_membership(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<MembershipRequest>,
) -> ApiResult<web::Json<Membership>> {
    validate(&*body, |_| {})?;
    let member = service::set_notify(
        &state,
        auth.user_id,
        path.into_inner(),
        body.into_inner().notify,
    )
    .await?;
    Ok(web::Json(Membership::from(&member)))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Events after this `event_seq`.
    #[param(minimum = 0)]
    #[validate(range(min = 0))]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    #[validate(range(min = 1, max = 500))]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"type": "message.created", "room_id": 7, "event_seq": 57, "message": {"id": 101, "room_id": 7, "seq": 42, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "client_msg_id": "c-1", "parent_seq": null, "created_at": "2026-11-22T10:00:00Z", "edited_at": null, "deleted": false, "reply_count": 0, "last_reply_at": null, "reactions": [{"emoji": "👍", "count": 2, "me": true}]}}], "has_more": false, "resync_required": false}))]
pub struct EventPage {
    /// Event frames exactly as the socket delivers them, ascending by `event_seq`.
    pub items: Vec<serde_json::Value>,
    pub has_more: bool,
    /// True when the log no longer reaches back to `after`: reload the room instead.
    pub resync_required: bool,
}

/// A room's event log
///
/// The same log the socket replays on resume: every persistent room event after `after`.
#[utoipa::path(tag = "rooms", operation_id = "list_room_events", params(("room_id" = i64, Path, minimum = 1), EventsQuery),
    responses((status = 200, description = "Events", body = EventPage), Forbidden, NotFound, BadQuery, InvalidQuery, Authed))]
#[get("/rooms/{room_id}/events")]
pub async fn list_room_events(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    query: web::Query<EventsQuery>,
) -> ApiResult<web::Json<EventPage>> {
    validate(&*query, |_| {})?;
    let (room_id, user_id) = (path.into_inner(), auth.user_id);
    let (after, limit) = (query.after.unwrap_or(0), query.limit.unwrap_or(100));
    let (rows, oldest) = state
        .db(move |conn| {
            let access = authorize(
                conn,
                room_id,
                user_id,
                parley_domain::room::RoomAction::View,
            )?;
            if access.member.is_none() {
                return Err(ApiError::Forbidden("members only".into()));
            }
            let oldest = parley_store::repo::events::oldest_seq(conn, room_id)?;
            Ok((
                parley_store::repo::events::list_after(conn, room_id, after, limit + 1)?,
                oldest,
            ))
        })
        .await?;
    let resync_required = oldest.is_some_and(|o| o > after.saturating_add(1));
    let has_more = rows.len() as i64 > limit;
    let items = rows
        .iter()
        .take(limit as usize)
        .filter_map(|r| serde_json::from_str(&r.payload).ok())
        .collect();
    Ok(web::Json(EventPage {
        items,
        has_more,
        resync_required,
    }))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find (all of them).
    #[param(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub q: String,
    /// Only this room.
    #[param(minimum = 1)]
    pub room_id: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
    #[param(max_length = 100)]
    #[validate(length(max = 100))]
    pub cursor: Option<String>,
}

/// Where a search matched: characters `start..end` of the body.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"start": 6, "end": 10}))]
pub struct Highlight {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"message": {"id": 101, "room_id": 7, "seq": 42, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "client_msg_id": "c-1", "parent_seq": null, "created_at": "2026-11-22T10:00:00Z", "edited_at": null, "deleted": false, "reply_count": 0, "last_reply_at": null, "reactions": [{"emoji": "👍", "count": 2, "me": true}]}, "highlights": [{"start": 6, "end": 10}]}))]
pub struct SearchHit {
    pub message: Message,
    pub highlights: Vec<Highlight>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"message": {"id": 101, "room_id": 7, "seq": 42, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "client_msg_id": "c-1", "parent_seq": null, "created_at": "2026-11-22T10:00:00Z", "edited_at": null, "deleted": false, "reply_count": 0, "last_reply_at": null, "reactions": [{"emoji": "👍", "count": 2, "me": true}]}, "highlights": [{"start": 6, "end": 10}]}], "next_cursor": null}))]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    pub next_cursor: Option<String>,
}

/// Search messages
///
/// Over the caller's rooms only, best match first, then newest. Deleted messages and
/// what the caller cleared never match.
#[utoipa::path(tag = "messages", operation_id = "search_messages", params(SearchQuery),
    responses((status = 200, description = "Matches", body = SearchPage), Forbidden, NotFound, BadQuery, InvalidQuery, Authed))]
#[get("/search")]
pub async fn search_messages(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<SearchQuery>,
) -> ApiResult<web::Json<SearchPage>> {
    validate(&*query, |errors| {
        if query.q.trim().is_empty() {
            errors.add("q", "must not be empty");
        }
    })?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(20);
    let offset = query
        .cursor
        .as_deref()
        .map(paging::decode_id)
        .transpose()?
        .unwrap_or(0)
        .max(0);
    let hits = service::search(
        &state,
        auth.user_id,
        query.room_id,
        query.q,
        offset,
        limit + 1,
    )
    .await?;
    let more = hits.len() as i64 > limit;
    let items: Vec<SearchHit> = hits
        .into_iter()
        .take(limit as usize)
        .map(|h| SearchHit {
            message: h.message,
            highlights: h
                .highlights
                .into_iter()
                .map(|(start, end)| Highlight { start, end })
                .collect(),
        })
        .collect();
    let next_cursor = more.then(|| paging::encode_id(offset.saturating_add(limit)));
    Ok(web::Json(SearchPage { items, next_cursor }))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 9, "kind": "mention", "room_id": 7, "seq": 42, "actor": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "created_at": "2026-11-22T10:00:00Z", "read": false}], "next_cursor": null}))]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub next_cursor: Option<String>,
}

/// The caller's notifications, unread first, then newest
#[utoipa::path(tag = "notifications", operation_id = "list_notifications", params(paging::PageQuery),
    responses((status = 200, description = "Notifications", body = NotificationPage), BadQuery, InvalidQuery, Authed))]
#[get("/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<paging::PageQuery>,
) -> ApiResult<web::Json<NotificationPage>> {
    validate(&*query, |_| {})?;
    let limit = query.limit();
    let offset = query.after_id()?.unwrap_or(0).max(0);
    let user_id = auth.user_id;
    let items = state
        .db(move |conn| {
            let rows = parley_store::repo::notifications::list(conn, user_id, offset, limit + 1)?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let actor = match row.actor_id {
                    Some(id) => Some(parley_store::repo::users::find(conn, id)?),
                    None => None,
                };
                out.push(Notification::from_row(row, actor.as_ref()));
            }
            Ok(out)
        })
        .await?;
    let more = items.len() as i64 > limit;
    let items: Vec<Notification> = items.into_iter().take(limit as usize).collect();
    Ok(web::Json(NotificationPage {
        items,
        next_cursor: more.then(|| paging::encode_id(offset.saturating_add(limit))),
    }))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"ids": [3, 4]}))]
pub struct ReadNotificationsRequest {
    /// These notifications; omit (or `"all": true`) for all of them.
    #[schema(max_items = 500)]
    #[validate(length(max = 500))]
    pub ids: Option<Vec<i64>>,
    #[serde(default)]
    pub all: bool,
}

/// Mark notifications read
#[utoipa::path(tag = "notifications", operation_id = "read_notifications", request_body = ReadNotificationsRequest,
    responses((status = 204, description = "Marked"), JsonBody, Authed))]
#[post("/notifications/read")]
pub async fn read_notifications(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: crate::extract::Json<ReadNotificationsRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    let ids = if body.all { None } else { body.ids };
    let user_id = auth.user_id;
    state
        .db(move |conn| {
            parley_store::repo::notifications::mark_read(
                conn,
                user_id,
                ids.as_deref(),
                parley_store::now(),
            )?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
