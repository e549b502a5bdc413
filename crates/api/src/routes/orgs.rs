//! Organisations (workspaces), their members, invites and announcements.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use parley_domain::room::Role;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::models::{
    Announcement, AnnouncementPage, Invite, InviteList, Org, OrgList, OrgMember, OrgMemberPage,
};
use crate::paging::{self, PageQuery};
use crate::responses::{Authed, BadQuery, Conflict, Forbidden, InvalidQuery, JsonBody, NotFound};
use crate::routes::members::{CreateInviteRequest, RoleRequest};
use crate::routes::rooms::{UserIdRequest, description_rule, page_params, title_rule};
use crate::service::invites::{self as invites, Target};
use crate::service::orgs as service;
use crate::state::AppState;
use crate::validation::{rule, validate};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "Acme", "description": "Acme's workspace"}))]
pub struct CreateOrgRequest {
    /// 1–100 characters after trimming.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 100)]
    #[validate(custom(function = "title_rule"))]
    pub name: String,
    #[schema(max_length = 1000)]
    #[validate(custom(function = "description_rule"))]
    pub description: Option<String>,
}

/// Create an organisation
///
/// The caller becomes its owner.
#[utoipa::path(tag = "orgs", operation_id = "create_org", request_body = CreateOrgRequest,
    responses((status = 201, description = "Created", body = Org), JsonBody, Authed))]
#[post("/orgs")]
pub async fn create_org(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: crate::extract::Json<CreateOrgRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    let org = service::create(
        &state,
        auth.user_id,
        body.name,
        body.description.unwrap_or_default(),
    )
    .await?;
    Ok(HttpResponse::Created().json(org))
}

/// The caller's organisations
#[utoipa::path(tag = "orgs", operation_id = "list_orgs", responses((status = 200, description = "Organisations", body = OrgList), Authed))]
#[get("/orgs")]
pub async fn list_orgs(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> ApiResult<web::Json<OrgList>> {
    Ok(web::Json(OrgList {
        items: service::list(&state, auth.user_id).await?,
    }))
}

/// An organisation (members only)
#[utoipa::path(tag = "orgs", operation_id = "get_org", params(("org_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "The organisation", body = Org), NotFound, Authed))]
#[get("/orgs/{org_id}")]
pub async fn get_org(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<Org>> {
    Ok(web::Json(
        service::get(&state, auth.user_id, path.into_inner()).await?,
    ))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "Acme Inc.", "description": "Acme's workspace"}))]
pub struct UpdateOrgRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(custom(function = "title_rule"))]
    pub name: Option<String>,
    #[schema(max_length = 1000)]
    #[validate(custom(function = "description_rule"))]
    pub description: Option<String>,
}

/// Update an organisation (its admins)
#[utoipa::path(tag = "orgs", operation_id = "update_org", params(("org_id" = i64, Path, minimum = 1)), request_body = UpdateOrgRequest,
    responses((status = 200, description = "Updated", body = Org), Forbidden, NotFound, JsonBody, Authed))]
#[patch("/orgs/{org_id}")]
pub async fn update_org(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<UpdateOrgRequest>,
) -> ApiResult<web::Json<Org>> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    let changes = parley_store::repo::orgs::OrgChanges {
        name: body.name.map(|n| n.trim().to_owned()),
        description: body.description.map(|d| d.trim().to_owned()),
    };
    Ok(web::Json(
        service::update(&state, auth.user_id, path.into_inner(), changes).await?,
    ))
}

/// Delete an organisation and all its rooms (the owner)
#[utoipa::path(tag = "orgs", operation_id = "delete_org", params(("org_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Deleted"), Forbidden, NotFound, Authed))]
#[delete("/orgs/{org_id}")]
pub async fn delete_org(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, auth.user_id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An organisation's members (members only)
#[utoipa::path(tag = "orgs", operation_id = "list_org_members", params(("org_id" = i64, Path, minimum = 1), PageQuery),
    responses((status = 200, description = "A page of members", body = OrgMemberPage), NotFound, BadQuery, InvalidQuery, Authed))]
#[get("/orgs/{org_id}/members")]
pub async fn list_org_members(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<OrgMemberPage>> {
    let (after, limit) = page_params(&query)?;
    let rows =
        service::list_members(&state, auth.user_id, path.into_inner(), after, limit + 1).await?;
    let (items, next_cursor) = paging::page(rows, limit, |m| m.user.id);
    Ok(web::Json(OrgMemberPage { items, next_cursor }))
}

/// Add a member (organisation admins)
#[utoipa::path(tag = "orgs", operation_id = "add_org_member", params(("org_id" = i64, Path, minimum = 1)), request_body = UserIdRequest,
    responses((status = 201, description = "Added", body = OrgMember), Forbidden, NotFound, Conflict, JsonBody, Authed))]
#[post("/orgs/{org_id}/members")]
pub async fn add_org_member(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<UserIdRequest>,
) -> ApiResult<HttpResponse> {
    let member = service::add_member(&state, auth.user_id, path.into_inner(), body.user_id).await?;
    Ok(HttpResponse::Created().json(member))
}

/// Remove a member, or leave (your own id)
///
/// Also removes them from every room of the organisation.
#[utoipa::path(tag = "orgs", operation_id = "remove_org_member",
    params(("org_id" = i64, Path, minimum = 1), ("user_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Removed"), Forbidden, NotFound, Authed))]
#[delete("/orgs/{org_id}/members/{user_id}")]
pub async fn remove_org_member(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (org_id, target) = path.into_inner();
    service::remove_member_from_org(&state, auth.user_id, org_id, target).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change a member's role (organisation admins, not above their own)
#[utoipa::path(tag = "orgs", operation_id = "update_org_member",
    params(("org_id" = i64, Path, minimum = 1), ("user_id" = i64, Path, minimum = 1)), request_body = RoleRequest,
    responses((status = 200, description = "Updated", body = OrgMember), Forbidden, NotFound, JsonBody, Authed))]
#[patch("/orgs/{org_id}/members/{user_id}")]
pub async fn update_org_member(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
    body: crate::extract::Json<RoleRequest>,
) -> ApiResult<web::Json<OrgMember>> {
    validate(&*body, |_| {})?;
    let (org_id, target) = path.into_inner();
    let role = Role::parse(&body.role).unwrap_or(Role::Member);
    Ok(web::Json(
        service::set_role(&state, auth.user_id, org_id, target, role).await?,
    ))
}

/// Create an invite link to the organisation (its admins)
#[utoipa::path(tag = "invites", operation_id = "create_org_invite", params(("org_id" = i64, Path, minimum = 1)),
    request_body = CreateInviteRequest,
    responses((status = 201, description = "Created", body = Invite), Forbidden, NotFound, JsonBody, Authed))]
#[post("/orgs/{org_id}/invites")]
pub async fn create_org_invite(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<CreateInviteRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let invite = invites::create(
        &state,
        auth.user_id,
        Target::Org(path.into_inner()),
        body.expires_in_secs,
        body.max_uses,
    )
    .await?;
    Ok(HttpResponse::Created().json(invite))
}

/// The organisation's live invites (its admins)
#[utoipa::path(tag = "invites", operation_id = "list_org_invites", params(("org_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "Live invites", body = InviteList), Forbidden, NotFound, Authed))]
#[get("/orgs/{org_id}/invites")]
pub async fn list_org_invites(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<InviteList>> {
    Ok(web::Json(InviteList {
        items: invites::list(&state, auth.user_id, Target::Org(path.into_inner())).await?,
    }))
}

fn body_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(
        parley_domain::validate::length(v.trim(), 1, 4000)
            .and_then(|_| parley_domain::validate::no_control_chars(v)),
    )
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"body": "The office is closed on Friday."}))]
pub struct AnnouncementRequest {
    /// 1–4000 characters after trimming.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 4000)]
    #[validate(custom(function = "body_rule"))]
    pub body: String,
}

/// Post an announcement (organisation admins)
///
/// Stored, and delivered to every member's open sockets as an `announcement` event.
#[utoipa::path(tag = "orgs", operation_id = "create_announcement", params(("org_id" = i64, Path, minimum = 1)),
    request_body = AnnouncementRequest,
    responses((status = 201, description = "Posted", body = Announcement), Forbidden, NotFound, JsonBody, Authed))]
#[post("/orgs/{org_id}/announcements")]
pub async fn create_announcement(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: crate::extract::Json<AnnouncementRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let posted = service::announce(
        &state,
        auth.user_id,
        path.into_inner(),
        body.into_inner().body,
    )
    .await?;
    Ok(HttpResponse::Created().json(posted))
}

/// The organisation's announcements, newest first (members)
#[utoipa::path(tag = "orgs", operation_id = "list_announcements", params(("org_id" = i64, Path, minimum = 1), PageQuery),
    responses((status = 200, description = "A page of announcements", body = AnnouncementPage), NotFound, BadQuery, InvalidQuery, Authed))]
#[get("/orgs/{org_id}/announcements")]
pub async fn list_announcements(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<AnnouncementPage>> {
    validate(&*query, |_| {})?;
    let limit = query.limit();
    let rows = service::list_announcements(
        &state,
        auth.user_id,
        path.into_inner(),
        query.after_id()?,
        limit + 1,
    )
    .await?;
    let (items, next_cursor) = paging::page(rows, limit, |a| a.id);
    Ok(web::Json(AnnouncementPage { items, next_cursor }))
}
