//! Rooms and direct chats.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use parley_domain::room::Visibility;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::models::{Room, RoomList, RoomPage, RoomView};
use crate::paging::{self, PageQuery};
use crate::responses::{Authed, BadQuery, Conflict, Forbidden, InvalidQuery, JsonBody, NotFound};
use crate::service::rooms::{self as service, NewRoomInput, RoomUpdate};
use crate::state::AppState;
use crate::validation::{rule, validate};

pub(crate) fn title_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(
        parley_domain::validate::length(v.trim(), 1, 100)
            .and_then(|_| parley_domain::validate::single_line(v)),
    )
}
pub(crate) fn description_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(
        parley_domain::validate::length(v.trim(), 0, 1000)
            .and_then(|_| parley_domain::validate::no_control_chars(v)),
    )
}
fn visibility_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(
        Visibility::parse(v)
            .map(|_| ())
            .ok_or_else(|| "must be public or private".to_owned()),
    )
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"title": "general", "description": "Anything goes", "visibility": "public"}))]
pub struct CreateRoomRequest {
    /// 1–100 characters after trimming.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 100)]
    #[validate(custom(function = "title_rule"))]
    pub title: String,
    /// Up to 1000 characters.
    #[schema(max_length = 1000)]
    #[validate(custom(function = "description_rule"))]
    pub description: Option<String>,
    /// `public` (default) or `private`.
    #[schema(pattern = "^(public|private)$")]
    #[validate(custom(function = "visibility_rule"))]
    pub visibility: Option<String>,
    /// Create the room inside this organisation (the caller must belong to it).
    #[schema(minimum = 1)]
    pub org_id: Option<i64>,
}

/// Create a room
///
/// The caller becomes its owner.
#[utoipa::path(
    tag = "rooms",
    operation_id = "create_room",
    request_body = CreateRoomRequest,
    responses((status = 201, description = "Created", body = RoomView), NotFound, JsonBody, Authed)
)]
#[post("/rooms")]
pub async fn create_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: crate::extract::Json<CreateRoomRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    let input = NewRoomInput {
        title: body.title,
        description: body.description.unwrap_or_default(),
        visibility: body
            .visibility
            .as_deref()
            .and_then(Visibility::parse)
            .unwrap_or(Visibility::Public),
        org_id: body.org_id,
    };
    let room = service::create(&state, auth.user_id, input).await?;
    Ok(HttpResponse::Created().json(room))
}

/// The caller's rooms
///
/// Every room and direct chat the caller belongs to, most recent activity first, each
/// with its unread count and last message.
#[utoipa::path(tag = "rooms", operation_id = "list_rooms", responses((status = 200, description = "The rooms", body = RoomList), Authed))]
#[get("/rooms")]
pub async fn list_rooms(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> ApiResult<web::Json<RoomList>> {
    Ok(web::Json(service::list(&state, auth.user_id).await?))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicRoomsQuery {
    /// Part of the title, ignoring case.
    #[param(max_length = 100)]
    #[validate(length(max = 100))]
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
    #[param(max_length = 100)]
    #[validate(length(max = 100))]
    pub cursor: Option<String>,
}

/// Discover public rooms
///
/// Public group rooms the caller may join (outside organisations, or in the caller's
/// organisations), newest first.
#[utoipa::path(
    tag = "rooms",
    operation_id = "list_public_rooms",
    params(PublicRoomsQuery),
    responses((status = 200, description = "A page of rooms", body = RoomPage), BadQuery, InvalidQuery, Authed)
)]
#[get("/rooms/public")]
pub async fn list_public_rooms(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<PublicRoomsQuery>,
) -> ApiResult<web::Json<RoomPage>> {
    validate(&*query, |_| {})?;
    let limit = query.limit.unwrap_or(50);
    let before = query.cursor.as_deref().map(paging::decode_id).transpose()?;
    let q = query.q.clone().unwrap_or_default();
    let user_id = auth.user_id;
    let rows = state
        .db(move |conn| {
            let orgs = parley_store::repo::orgs::org_ids_for_user(conn, user_id)?;
            let rows =
                parley_store::repo::rooms::search_public(conn, q.trim(), &orgs, before, limit + 1)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let counts: std::collections::HashMap<i64, i64> =
                parley_store::repo::members::counts(conn, &ids)?
                    .into_iter()
                    .collect();
            Ok(rows
                .iter()
                .map(|r| Room::from_row(r, counts.get(&r.id).copied().unwrap_or(0)))
                .collect::<Vec<_>>())
        })
        .await?;
    let (items, next_cursor) = paging::page(rows, limit, |r| r.id);
    Ok(web::Json(RoomPage { items, next_cursor }))
}

/// A room
///
/// Public rooms are visible to every signed-in user (organisation rooms to its members);
/// private rooms and direct chats only to their members.
#[utoipa::path(
    tag = "rooms",
    operation_id = "get_room",
    params(("room_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "The room", body = RoomView), NotFound, Authed)
)]
#[get("/rooms/{room_id}")]
pub async fn get_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<RoomView>> {
    Ok(web::Json(
        service::get(&state, auth.user_id, path.into_inner()).await?,
    ))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"title": "random", "visibility": "private"}))]
pub struct UpdateRoomRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(custom(function = "title_rule"))]
    pub title: Option<String>,
    #[schema(max_length = 1000)]
    #[validate(custom(function = "description_rule"))]
    pub description: Option<String>,
    #[schema(pattern = "^(public|private)$")]
    #[validate(custom(function = "visibility_rule"))]
    pub visibility: Option<String>,
}

/// Update a room (room admins)
#[utoipa::path(
    tag = "rooms",
    operation_id = "update_room",
    params(("room_id" = i64, Path, minimum = 1)),
    request_body = UpdateRoomRequest,
    responses((status = 200, description = "The updated room", body = RoomView), Forbidden, NotFound, JsonBody, Authed)
)]
#[patch("/rooms/{room_id}")]
pub async fn update_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<UpdateRoomRequest>,
) -> ApiResult<web::Json<RoomView>> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    let change = RoomUpdate {
        title: body.title,
        description: body.description,
        visibility: body.visibility.as_deref().and_then(Visibility::parse),
    };
    Ok(web::Json(
        service::update(&state, auth.user_id, path.into_inner(), change).await?,
    ))
}

/// Delete a room (the owner)
#[utoipa::path(
    tag = "rooms",
    operation_id = "delete_room",
    params(("room_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Deleted"), Forbidden, NotFound, Authed)
)]
#[delete("/rooms/{room_id}")]
pub async fn delete_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, auth.user_id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Join a public room
#[utoipa::path(
    tag = "rooms",
    operation_id = "join_room",
    params(("room_id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, description = "Joined", body = RoomView),
        Forbidden, NotFound, Conflict, Authed
    )
)]
#[post("/rooms/{room_id}/join")]
pub async fn join_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<RoomView>> {
    Ok(web::Json(
        service::join(&state, auth.user_id, path.into_inner()).await?,
    ))
}

/// Leave a room
///
/// When the owner leaves, the longest-standing admin (else member) becomes owner; a
/// group room left empty is archived.
#[utoipa::path(
    tag = "rooms",
    operation_id = "leave_room",
    params(("room_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Left"), Forbidden, NotFound, Authed)
)]
#[post("/rooms/{room_id}/leave")]
pub async fn leave_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    service::leave(&state, auth.user_id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"user_id": 2}))]
pub struct UserIdRequest {
    #[schema(minimum = 1)]
    pub user_id: i64,
}

/// Transfer ownership (the owner)
///
/// The new owner must be a member; the old owner becomes an admin.
#[utoipa::path(
    tag = "rooms",
    operation_id = "transfer_room",
    params(("room_id" = i64, Path, minimum = 1)),
    request_body = UserIdRequest,
    responses((status = 200, description = "Transferred", body = RoomView), Forbidden, NotFound, JsonBody, Authed)
)]
#[post("/rooms/{room_id}/transfer")]
pub async fn transfer_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<UserIdRequest>,
) -> ApiResult<web::Json<RoomView>> {
    Ok(web::Json(
        service::transfer(&state, auth.user_id, path.into_inner(), body.user_id).await?,
    ))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"user_id": 2}))]
pub struct DirectRequest {
    /// The other person of a one-on-one chat.
    #[schema(minimum = 1)]
    pub user_id: Option<i64>,
    /// The others of a group direct chat (up to 9, 10 people in all).
    #[schema(max_items = 9)]
    #[validate(length(min = 1, max = 9))]
    pub user_ids: Option<Vec<i64>>,
}

/// Open a direct chat
///
/// With `user_id`: the one direct chat between the caller and that user, created on first
/// use (201) and answered as it is afterwards (200), also under concurrent requests.
/// With `user_ids`: a new group direct chat. A user who blocked the caller cannot be
/// messaged (403).
#[utoipa::path(
    tag = "rooms",
    operation_id = "open_direct_room",
    request_body = DirectRequest,
    responses(
        (status = 200, description = "The existing chat", body = RoomView),
        (status = 201, description = "A new chat", body = RoomView),
        Forbidden, NotFound, JsonBody, Authed
    )
)]
#[post("/rooms/direct")]
pub async fn open_direct_room(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: crate::extract::Json<DirectRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |errors| {
        if body.user_id.is_some() == body.user_ids.is_some() {
            errors.add("user_id", "give exactly one of user_id and user_ids");
        }
    })?;
    let body = body.into_inner();
    if let Some(ids) = body.user_ids {
        let room = service::open_group_direct(&state, auth.user_id, ids).await?;
        return Ok(HttpResponse::Created().json(room));
    }
    let (room, created) =
        service::open_direct(&state, auth.user_id, body.user_id.unwrap_or_default()).await?;
    Ok(if created {
        HttpResponse::Created().json(room)
    } else {
        HttpResponse::Ok().json(room)
    })
}

/// Used by members and bans listings.
pub fn page_params(query: &PageQuery) -> ApiResult<(i64, i64)> {
    validate(query, |_| {})?;
    Ok((query.after_id()?.unwrap_or(0), query.limit()))
}
