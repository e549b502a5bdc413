//! Messages: send, history, edit, delete, threads, reactions, pins.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::models::Message;
use crate::responses::{Authed, BadQuery, Conflict, Forbidden, InvalidQuery, JsonBody, NotFound};
use crate::service::messages::{self as service, Actor, Anchor, SendInput};
use crate::state::AppState;
use crate::validation::validate;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"room_id": 7, "body": "hello @bob", "client_msg_id": "3f2b8c1e-1"}))]
pub struct SendMessageRequest {
    #[serde(default)]
    #[schema(required = true, minimum = 1)]
    pub room_id: i64,
    /// 1–4000 characters after trimming; no control characters but newline and tab.
    /// `message` is accepted as an alias.
    #[serde(default, alias = "message")]
    #[schema(required = true, min_length = 1, max_length = 4000)]
    pub body: String,
    /// Makes the send idempotent per author: sending it again answers the first message (200).
    #[schema(min_length = 1, max_length = 64)]
    pub client_msg_id: Option<String>,
    /// Reply in the thread of this message (replies to a reply join its root's thread).
    #[schema(minimum = 1)]
    pub parent_seq: Option<i64>,
}

/// Send a message
///
/// Members only (404 for a room the caller cannot see, 403 for one they can see but have
/// not joined). The message is stored before anyone is told about it.
#[utoipa::path(
    tag = "messages",
    operation_id = "create_message",
    request_body = SendMessageRequest,
    responses(
        (status = 201, description = "Sent", body = Message),
        (status = 200, description = "Already sent with this client_msg_id: the first message", body = Message),
        Forbidden, NotFound, Conflict, JsonBody, Authed
    )
)]
#[post("/messages")]
pub async fn create_message(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: crate::extract::Json<SendMessageRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let sent = service::send(
        &state,
        Actor::from(&auth),
        SendInput {
            room_id: body.room_id,
            body: body.body,
            client_msg_id: body.client_msg_id,
            parent_seq: body.parent_seq,
        },
    )
    .await?;
    Ok(if sent.created {
        HttpResponse::Created().json(sent.message)
    } else {
        HttpResponse::Ok().json(sent.message)
    })
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The `limit` messages just before this seq.
    #[param(minimum = 0)]
    #[validate(range(min = 0))]
    pub before: Option<i64>,
    /// The `limit` messages just after this seq (catch-up).
    #[param(minimum = 0)]
    #[validate(range(min = 0))]
    pub after: Option<i64>,
    /// Half before and half after this seq (jump to a message), the seq itself included.
    #[param(minimum = 1)]
    #[validate(range(min = 1))]
    pub around: Option<i64>,
    /// 1–100, default 50.
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
}

/// A page of history, ascending by seq.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 101, "room_id": 7, "seq": 42, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "client_msg_id": "c-1", "parent_seq": null, "created_at": "2026-11-22T10:00:00Z", "edited_at": null, "deleted": false, "reply_count": 0, "last_reply_at": null, "reactions": [{"emoji": "👍", "count": 2, "me": true}]}], "has_more": true, "has_older": true, "has_newer": false}))]
pub struct MessagePage {
    pub items: Vec<Message>,
    /// More messages in the paging direction: older for the newest page and `before`,
    /// newer for `after`, either side for `around`.
    pub has_more: bool,
    pub has_older: bool,
    pub has_newer: bool,
}

/// Room history
///
/// No cursor: the newest `limit`. Paged by `seq` with `before`, `after` or `around`.
/// Members read; so may anyone who can see a public room (a preview). Messages the
/// caller cleared are not returned.
#[utoipa::path(
    tag = "messages",
    operation_id = "list_messages",
    params(("room_id" = i64, Path, minimum = 1), HistoryQuery),
    responses((status = 200, description = "A page", body = MessagePage), NotFound, BadQuery, InvalidQuery, Authed)
)]
#[get("/messages/{room_id}")]
pub async fn list_messages(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    query: web::Query<HistoryQuery>,
) -> ApiResult<web::Json<MessagePage>> {
    validate(&*query, |errors| {
        let anchors = [query.before, query.after, query.around]
            .iter()
            .filter(|a| a.is_some())
            .count();
        if anchors > 1 {
            errors.add("before", "give at most one of before, after and around");
        }
    })?;
    let anchor = match (query.before, query.after, query.around) {
        (Some(seq), _, _) => Anchor::Before(seq),
        (_, Some(seq), _) => Anchor::After(seq),
        (_, _, Some(seq)) => Anchor::Around(seq),
        _ => Anchor::Latest,
    };
    let page = service::history(
        &state,
        auth.user_id,
        path.into_inner(),
        anchor,
        query.limit.unwrap_or(50),
    )
    .await?;
    Ok(web::Json(MessagePage {
        items: page.items,
        has_more: page.has_more,
        has_older: page.has_older,
        has_newer: page.has_newer,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"body": "hello, corrected"}))]
pub struct EditMessageRequest {
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 4000)]
    pub body: String,
}

/// Edit one's own message
///
/// The previous body is kept in the edit history.
#[utoipa::path(
    tag = "messages",
    operation_id = "update_message",
    params(("room_id" = i64, Path, minimum = 1), ("seq" = i64, Path, minimum = 1)),
    request_body = EditMessageRequest,
    responses((status = 200, description = "Edited", body = Message), Forbidden, NotFound, JsonBody, Authed)
)]
#[patch("/messages/{room_id}/{seq}")]
pub async fn update_message(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
    body: crate::extract::Json<EditMessageRequest>,
) -> ApiResult<web::Json<Message>> {
    let (room_id, seq) = path.into_inner();
    Ok(web::Json(
        service::edit(&state, auth.user_id, room_id, seq, body.into_inner().body).await?,
    ))
}

/// Delete a message (its author, or a room admin)
///
/// The message becomes a tombstone: its seq stays, its body is emptied, `deleted` is true.
#[utoipa::path(
    tag = "messages",
    operation_id = "delete_message",
    params(("room_id" = i64, Path, minimum = 1), ("seq" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Deleted"), Forbidden, NotFound, Authed)
)]
#[delete("/messages/{room_id}/{seq}")]
pub async fn delete_message(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (room_id, seq) = path.into_inner();
    service::delete(&state, auth.user_id, room_id, seq).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A previous body of a message.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"body": "first draft", "edited_at": "2026-11-22T10:05:00Z"}))]
pub struct MessageEdit {
    pub body: String,
    /// When this body was replaced.
    pub edited_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"body": "first draft", "edited_at": "2026-11-22T10:05:00Z"}]}))]
pub struct MessageEditList {
    pub items: Vec<MessageEdit>,
}

/// A message's edit history (members)
#[utoipa::path(
    tag = "messages",
    operation_id = "list_message_edits",
    params(("room_id" = i64, Path, minimum = 1), ("seq" = i64, Path, minimum = 1)),
    responses((status = 200, description = "Previous bodies, oldest first", body = MessageEditList), Forbidden, NotFound, Authed)
)]
#[get("/messages/{room_id}/{seq}/history")]
pub async fn list_message_edits(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<web::Json<MessageEditList>> {
    let (room_id, seq) = path.into_inner();
    let items = service::edit_history(&state, auth.user_id, room_id, seq).await?;
    Ok(web::Json(MessageEditList {
        items: items
            .into_iter()
            .map(|(body, edited_at)| MessageEdit { body, edited_at })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// Replies after this seq.
    #[param(minimum = 0)]
    #[validate(range(min = 0))]
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"root": {"id": 101, "room_id": 7, "seq": 42, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "client_msg_id": "c-1", "parent_seq": null, "created_at": "2026-11-22T10:00:00Z", "edited_at": null, "deleted": false, "reply_count": 1, "last_reply_at": "2026-11-22T10:01:00Z", "reactions": [{"emoji": "👍", "count": 2, "me": true}]}, "items": [{"id": 102, "room_id": 7, "seq": 43, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "a reply", "client_msg_id": "c-1", "parent_seq": 42, "created_at": "2026-11-22T10:00:00Z", "edited_at": null, "deleted": false, "reply_count": 0, "last_reply_at": null, "reactions": []}], "has_more": false}))]
pub struct ThreadPage {
    /// The thread's root message.
    pub root: Message,
    /// Replies, oldest first.
    pub items: Vec<Message>,
    pub has_more: bool,
}

/// A thread's replies
#[utoipa::path(
    tag = "messages",
    operation_id = "list_thread",
    params(("room_id" = i64, Path, minimum = 1), ("seq" = i64, Path, minimum = 1), ThreadQuery),
    responses((status = 200, description = "The thread", body = ThreadPage), NotFound, BadQuery, InvalidQuery, Authed)
)]
#[get("/messages/{room_id}/{seq}/thread")]
pub async fn list_thread(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
    query: web::Query<ThreadQuery>,
) -> ApiResult<web::Json<ThreadPage>> {
    validate(&*query, |_| {})?;
    let (room_id, seq) = path.into_inner();
    let (root, items, has_more) = service::thread(
        &state,
        auth.user_id,
        room_id,
        seq,
        query.after.unwrap_or(0),
        query.limit.unwrap_or(50),
    )
    .await?;
    Ok(web::Json(ThreadPage {
        root,
        items,
        has_more,
    }))
}

/// React to a message
///
/// One reaction per user per emoji (1–32 characters); repeating it changes nothing.
#[utoipa::path(
    tag = "messages",
    operation_id = "add_reaction",
    params(("room_id" = i64, Path, minimum = 1), ("seq" = i64, Path, minimum = 1), ("emoji" = String, Path, min_length = 1, max_length = 32)),
    responses((status = 204, description = "Reacted"), Forbidden, NotFound, (status = 422, description = "Not an emoji", body = crate::Problem, content_type = "application/problem+json"), Authed)
)]
#[put("/messages/{room_id}/{seq}/reactions/{emoji}")]
pub async fn add_reaction(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64, String)>,
) -> ApiResult<HttpResponse> {
    let (room_id, seq, emoji) = path.into_inner();
    service::react(&state, auth.user_id, room_id, seq, emoji, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove one's reaction
#[utoipa::path(
    tag = "messages",
    operation_id = "remove_reaction",
    params(("room_id" = i64, Path, minimum = 1), ("seq" = i64, Path, minimum = 1), ("emoji" = String, Path, min_length = 1, max_length = 32)),
    responses((status = 204, description = "Removed"), Forbidden, NotFound, (status = 422, description = "Not an emoji", body = crate::Problem, content_type = "application/problem+json"), Authed)
)]
#[delete("/messages/{room_id}/{seq}/reactions/{emoji}")]
pub async fn remove_reaction(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64, String)>,
) -> ApiResult<HttpResponse> {
    let (room_id, seq, emoji) = path.into_inner();
    service::react(&state, auth.user_id, room_id, seq, emoji, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pin a message (room admins)
#[utoipa::path(
    tag = "messages",
    operation_id = "pin_message",
    params(("room_id" = i64, Path, minimum = 1), ("seq" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Pinned"), Forbidden, NotFound, Authed)
)]
#[put("/messages/{room_id}/{seq}/pin")]
pub async fn pin_message(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (room_id, seq) = path.into_inner();
    service::pin(&state, auth.user_id, room_id, seq, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unpin a message (room admins)
#[utoipa::path(
    tag = "messages",
    operation_id = "unpin_message",
    params(("room_id" = i64, Path, minimum = 1), ("seq" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Unpinned"), Forbidden, NotFound, Authed)
)]
#[delete("/messages/{room_id}/{seq}/pin")]
pub async fn unpin_message(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (room_id, seq) = path.into_inner();
    service::pin(&state, auth.user_id, room_id, seq, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 101, "room_id": 7, "seq": 42, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "client_msg_id": "c-1", "parent_seq": null, "created_at": "2026-11-22T10:00:00Z", "edited_at": null, "deleted": false, "reply_count": 0, "last_reply_at": null, "reactions": [{"emoji": "👍", "count": 2, "me": true}]}]}))]
pub struct MessageList {
    pub items: Vec<Message>,
}

/// A room's pinned messages, most recently pinned first
#[utoipa::path(
    tag = "messages",
    operation_id = "list_pins",
    params(("room_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "Pinned messages", body = MessageList), NotFound, Authed)
)]
#[get("/rooms/{room_id}/pins")]
pub async fn list_pins(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<MessageList>> {
    Ok(web::Json(MessageList {
        items: service::pins(&state, auth.user_id, path.into_inner()).await?,
    }))
}
