//! Profiles: the caller's own account and other users' public ones.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::models::{PublicUser, PublicUserPage, User};
use crate::routes::auth::{display_name_rule, email_rule, password_rule};
use crate::service::accounts;
use crate::state::AppState;
use crate::validation::{rule, validate};
use parley_store::repo::users;

/// The caller's account
#[utoipa::path(
    tag = "users",
    operation_id = "get_me",
    responses(
        (status = 200, description = "The caller's account", body = User),
        crate::responses::Authed,
    )
)]
#[get("/users/me")]
pub async fn get_me(state: web::Data<AppState>, auth: AuthUser) -> ApiResult<web::Json<User>> {
    let user_id = auth.user_id;
    let row = state
        .db(move |conn| Ok(users::find(conn, user_id)?))
        .await?;
    Ok(web::Json(User::from(&row)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"display_name": "Alice L.", "bio": "Here for the chat."}))]
pub struct UpdateMeRequest {
    #[schema(min_length = 1, max_length = 64)]
    #[validate(custom(function = "display_name_rule"))]
    pub display_name: Option<String>,
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    pub bio: Option<String>,
    /// An `https://` or `http://` URL; `null` or `""` removes it.
    #[schema(max_length = 2048)]
    #[validate(custom(function = "avatar_rule"))]
    pub avatar_url: Option<String>,
    /// A new address: it replaces the current one once confirmed through the mailed link.
    /// Needs `current_password`.
    #[schema(max_length = 254, format = "email")]
    #[validate(custom(function = "email_rule"))]
    pub email: Option<String>,
    #[schema(max_length = 128)]
    #[validate(length(max = 128))]
    pub current_password: Option<String>,
}

fn avatar_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(if v.is_empty() {
        Ok(())
    } else if v.chars().count() > 2048 {
        Err("must be at most 2048 characters".to_owned())
    } else {
        match url::Url::parse(v) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
            _ => Err("must be an http(s) URL".to_owned()),
        }
    })
}

/// Update the caller's profile
///
/// Changing `email` needs `current_password`; the new address takes effect once the
/// link mailed to it is used (`POST /api/email/verify`).
#[utoipa::path(
    tag = "users",
    operation_id = "update_me",
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated account", body = User),
        (status = 409, description = "Email taken", body = Problem, content_type = "application/problem+json"),
        crate::responses::JsonBody,
        crate::responses::Authed,
    )
)]
#[patch("/users/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: crate::extract::Json<UpdateMeRequest>,
) -> ApiResult<web::Json<User>> {
    validate(&*body, |errors| {
        if body.email.is_some() && body.current_password.as_deref().is_none_or(str::is_empty) {
            errors.add("current_password", "is required to change the email");
        }
    })?;
    let body = body.into_inner();
    if let (Some(email), Some(password)) = (body.email.clone(), body.current_password.clone()) {
        accounts::request_email_change(&state, &auth, email, password).await?;
    }
    let changes = users::ProfileChanges {
        display_name: body.display_name.map(|d| d.trim().to_owned()),
        bio: body.bio.map(|b| b.trim().to_owned()),
        avatar_url: body.avatar_url.map(|a| Some(a).filter(|a| !a.is_empty())),
    };
    let user_id = auth.user_id;
    let row = state
        .db(move |conn| Ok(users::update_profile(conn, user_id, &changes)?))
        .await?;
    Ok(web::Json(User::from(&row)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"current_password": "correct horse battery staple",
    "new_password": "another long passphrase"}))]
pub struct ChangePasswordRequest {
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 128)]
    #[validate(length(min = 1, max = 128))]
    pub current_password: String,
    #[serde(default)]
    #[schema(required = true, min_length = 8, max_length = 128)]
    #[validate(custom(function = "password_rule"))]
    pub new_password: String,
}

/// Change the caller's password
///
/// Ends every other session of the caller; this one stays signed in.
#[utoipa::path(
    tag = "users",
    operation_id = "change_password",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        crate::responses::JsonBody,
        crate::responses::Authed,
    )
)]
#[post("/users/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: crate::extract::Json<ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    accounts::change_password(&state, &auth, body.current_password, body.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A user's public profile
#[utoipa::path(
    tag = "users",
    operation_id = "get_user",
    params(("user_id" = i64, Path, description = "User id", minimum = 1)),
    responses(
        (status = 200, description = "The user", body = PublicUser),
        (status = 404, description = "No such active user", body = Problem, content_type = "application/problem+json"),
        crate::responses::Authed,
    )
)]
#[get("/users/{user_id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    _auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<web::Json<PublicUser>> {
    let user_id = path.into_inner();
    let row = state
        .db(move |conn| match users::find(conn, user_id) {
            Ok(row) if row.is_active => Ok(row),
            Ok(_) | Err(parley_store::StoreError::NotFound) => Err(ApiError::not_found("user")),
            Err(e) => Err(e.into()),
        })
        .await?;
    let mut user = PublicUser::from(&row);
    user.online = Some(crate::gateway::is_online(&state, user.id).await);
    Ok(web::Json(user))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchUsersQuery {
    /// Prefix of the username or display name, ignoring case.
    #[param(max_length = 64)]
    #[validate(length(max = 64))]
    pub q: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 200)]
    #[validate(length(max = 200))]
    pub cursor: Option<String>,
}

/// Search users
///
/// Active users whose username or display name starts with `q`, by username.
#[utoipa::path(
    tag = "users",
    operation_id = "search_users",
    params(SearchUsersQuery),
    responses(
        (status = 200, description = "A page of users", body = PublicUserPage),
        (status = 400, description = "Malformed cursor or query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
        crate::responses::Authed,
    )
)]
#[get("/users")]
pub async fn search_users(
    state: web::Data<AppState>,
    _auth: AuthUser,
    query: web::Query<SearchUsersQuery>,
) -> ApiResult<web::Json<PublicUserPage>> {
    validate(&*query, |_| {})?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(20);
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let prefix = query.q.unwrap_or_default().trim().to_owned();
    let rows = state
        .db(move |conn| Ok(users::search(conn, &prefix, after.as_deref(), limit + 1)?))
        .await?;
    let has_more = rows.len() as i64 > limit;
    let items: Vec<PublicUser> = rows
        .iter()
        .take(limit as usize)
        .map(PublicUser::from)
        .collect();
    let next_cursor = has_more
        .then(|| {
            rows.get(limit as usize - 1)
                .map(|r| URL_SAFE_NO_PAD.encode(&r.username_lower))
        })
        .flatten();
    Ok(web::Json(PublicUserPage { items, next_cursor }))
}

fn decode_cursor(cursor: &str) -> ApiResult<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::BadRequest("malformed cursor".into()))
}

/// Block a user
///
/// A blocked user cannot open a direct chat with the caller, and their mentions do not
/// notify the caller.
#[utoipa::path(
    tag = "users",
    operation_id = "block_user",
    params(("user_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Blocked"), crate::responses::NotFound, crate::responses::InvalidQuery, crate::responses::Authed)
)]
#[post("/users/{user_id}/block")]
pub async fn block_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    crate::service::invites::block(&state, auth.user_id, path.into_inner(), true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unblock a user
#[utoipa::path(
    tag = "users",
    operation_id = "unblock_user",
    params(("user_id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Unblocked"), crate::responses::NotFound, crate::responses::InvalidQuery, crate::responses::Authed)
)]
#[delete("/users/{user_id}/block")]
pub async fn unblock_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    crate::service::invites::block(&state, auth.user_id, path.into_inner(), false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Users the caller blocked
#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null, "created_at": "2026-11-22T10:00:00Z", "online": true}]}))]
pub struct BlockList {
    pub items: Vec<PublicUser>,
}

/// The users the caller blocked
#[utoipa::path(tag = "users", operation_id = "list_blocks", responses((status = 200, description = "Blocked users", body = BlockList), crate::responses::Authed))]
#[get("/users/me/blocks")]
pub async fn list_blocks(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> ApiResult<web::Json<BlockList>> {
    Ok(web::Json(BlockList {
        items: crate::service::invites::blocked(&state, auth.user_id).await?,
    }))
}
