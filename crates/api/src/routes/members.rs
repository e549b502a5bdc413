//! Room members, roles, bans and invites to a room.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use parley_domain::room::Role;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::models::{Ban, BanList, Invite, InviteList, Member, MemberPage, PublicUser, utc};
use crate::paging::{self, PageQuery};
use crate::responses::{Authed, BadQuery, Conflict, Forbidden, InvalidQuery, JsonBody, NotFound};
use crate::routes::rooms::{UserIdRequest, page_params};
use crate::service::invites::{self as invites, Target};
use crate::service::rooms as service;
use crate::state::AppState;
use crate::validation::{rule, validate};

/// A room's members
///
/// Paged by user id. Visible to whoever can see the room.
#[utoipa::path(
    tag = "members",
    operation_id = "list_room_members",
    params(("room_id" = i64, Path, minimum = 1), PageQuery),
    responses((status = 200, description = "A page of members", body = MemberPage), NotFound, BadQuery, InvalidQuery, Authed)
)]
#[get("/rooms/{room_id}/members")]
pub async fn list_room_members(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<MemberPage>> {
    let (after, limit) = page_params(&query)?;
    let (room_id, user_id) = (path.into_inner(), auth.user_id);
    let rows = state
        .db(move |conn| {
            service::authorize(
                conn,
                room_id,
                user_id,
                parley_domain::room::RoomAction::View,
            )?;
            Ok(parley_store::repo::members::list(
                conn,
                room_id,
                after,
                limit + 1,
            )?)
        })
        .await?;
    let (rows, next_cursor) = paging::page(rows, limit, |(m, _)| m.user_id);
    let mut items: Vec<Member> = rows.iter().map(|(m, u)| Member::from_rows(m, u)).collect();
    for member in &mut items {
        member.user.online = Some(crate::gateway::is_online(&state, member.user.id).await);
    }
    Ok(web::Json(MemberPage { items, next_cursor }))
}

/// Add a member (room admins)
#[utoipa::path(
    tag = "members",
    operation_id = "add_room_member",
    params(("room_id" = i64, Path, minimum = 1)),
    request_body = UserIdRequest,
    responses((status = 201, description = "Added", body = Member), Forbidden, NotFound, Conflict, JsonBody, Authed)
)]
#[post("/rooms/{room_id}/members")]
pub async fn add_room_member(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<UserIdRequest>,
) -> ApiResult<HttpResponse> {
    let member = service::add(&state, auth.user_id, path.into_inner(), body.user_id).await?;
    Ok(HttpResponse::Created().json(member))
}

/// Remove (kick) a member (room admins, for members below their role)
#[utoipa::path(
    tag = "members",
    operation_id = "remove_room_member",
    params(("room_id" = i64, Path, minimum = 1), ("user_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Removed"), Forbidden, NotFound, Authed)
)]
#[delete("/rooms/{room_id}/members/{user_id}")]
pub async fn remove_room_member(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (room_id, target) = path.into_inner();
    service::remove(&state, auth.user_id, room_id, target, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn role_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(match Role::parse(v) {
        Some(Role::Member | Role::Admin) => Ok(()),
        _ => Err("must be member or admin".to_owned()),
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"role": "admin"}))]
pub struct RoleRequest {
    /// `member` or `admin` (ownership moves with the transfer endpoint).
    #[serde(default)]
    #[schema(required = true, pattern = "^(member|admin)$")]
    #[validate(custom(function = "role_rule"))]
    pub role: String,
}

/// Change a member's role (room admins, not above their own)
#[utoipa::path(
    tag = "members",
    operation_id = "update_room_member",
    params(("room_id" = i64, Path, minimum = 1), ("user_id" = i64, Path, minimum = 1)),
    request_body = RoleRequest,
    responses((status = 200, description = "Updated", body = Member), Forbidden, NotFound, JsonBody, Authed)
)]
#[patch("/rooms/{room_id}/members/{user_id}")]
pub async fn update_room_member(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
    body: crate::extract::Json<RoleRequest>,
) -> ApiResult<web::Json<Member>> {
    validate(&*body, |_| {})?;
    let (room_id, target) = path.into_inner();
    let role = Role::parse(&body.role).unwrap_or(Role::Member);
    Ok(web::Json(
        service::set_role(&state, auth.user_id, room_id, target, role).await?,
    ))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"user_id": 3, "reason": "spam"}))]
pub struct BanRequest {
    #[schema(minimum = 1)]
    pub user_id: i64,
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    pub reason: Option<String>,
}

/// Ban a user (room admins)
///
/// Removes them if they are a member; banned users cannot join or accept invites.
#[utoipa::path(
    tag = "members",
    operation_id = "ban_room_member",
    params(("room_id" = i64, Path, minimum = 1)),
    request_body = BanRequest,
    responses((status = 204, description = "Banned"), Forbidden, NotFound, Conflict, JsonBody, Authed)
)]
#[post("/rooms/{room_id}/bans")]
pub async fn ban_room_member(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<BanRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    let reason = body.reason.unwrap_or_default().trim().to_owned();
    service::remove(
        &state,
        auth.user_id,
        path.into_inner(),
        body.user_id,
        Some(reason),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A room's bans (room admins)
#[utoipa::path(
    tag = "members",
    operation_id = "list_room_bans",
    params(("room_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "The bans", body = BanList), Forbidden, NotFound, Authed)
)]
#[get("/rooms/{room_id}/bans")]
pub async fn list_room_bans(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<BanList>> {
    let (room_id, user_id) = (path.into_inner(), auth.user_id);
    let rows = state
        .db(move |conn| {
            service::authorize(
                conn,
                room_id,
                user_id,
                parley_domain::room::RoomAction::Moderate,
            )?;
            Ok(parley_store::repo::bans::list(conn, room_id)?)
        })
        .await?;
    Ok(web::Json(BanList {
        items: rows
            .iter()
            .map(|(b, u)| Ban {
                user: PublicUser::from(u),
                banned_by: b.banned_by,
                reason: b.reason.clone(),
                created_at: utc(b.created_at),
            })
            .collect(),
    }))
}

/// Lift a ban (room admins)
#[utoipa::path(
    tag = "members",
    operation_id = "unban_room_member",
    params(("room_id" = i64, Path, minimum = 1), ("user_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Unbanned"), Forbidden, NotFound, Authed)
)]
#[delete("/rooms/{room_id}/bans/{user_id}")]
pub async fn unban_room_member(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (room_id, target) = path.into_inner();
    service::unban(&state, auth.user_id, room_id, target).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"expires_in_secs": 86400, "max_uses": 10}))]
pub struct CreateInviteRequest {
    /// Lifetime in seconds (1 minute to 30 days); none: never expires.
    #[schema(minimum = 60, maximum = 2592000)]
    #[validate(range(min = 60, max = 2_592_000))]
    pub expires_in_secs: Option<i64>,
    /// How many times it may be accepted (1–1000); none: unlimited.
    #[schema(minimum = 1, maximum = 1000)]
    #[validate(range(min = 1, max = 1000))]
    pub max_uses: Option<i64>,
}

/// Create an invite link to a room (room admins)
#[utoipa::path(
    tag = "invites",
    operation_id = "create_room_invite",
    params(("room_id" = i64, Path, minimum = 1)),
    request_body = CreateInviteRequest,
    responses((status = 201, description = "Created", body = Invite), Forbidden, NotFound, JsonBody, Authed)
)]
#[post("/rooms/{room_id}/invites")]
pub async fn create_room_invite(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<CreateInviteRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let invite = invites::create(
        &state,
        auth.user_id,
        Target::Room(path.into_inner()),
        body.expires_in_secs,
        body.max_uses,
    )
    .await?;
    Ok(HttpResponse::Created().json(invite))
}

/// A room's live invites (room admins)
#[utoipa::path(
    tag = "invites",
    operation_id = "list_room_invites",
    params(("room_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "Live invites", body = InviteList), Forbidden, NotFound, Authed)
)]
#[get("/rooms/{room_id}/invites")]
pub async fn list_room_invites(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<InviteList>> {
    let items = invites::list(&state, auth.user_id, Target::Room(path.into_inner())).await?;
    Ok(web::Json(InviteList { items }))
}
