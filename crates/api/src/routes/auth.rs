//! Registration, login, token refresh and logout.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::models::TokenPair;
use crate::service::accounts::{self, ClientMeta, Registration};
use crate::state::AppState;
use crate::validation::{rule, validate};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"username": "alice", "email": "alice@example.com",
    "password": "correct horse battery staple", "display_name": "Alice"}))]
pub struct RegisterRequest {
    /// 3–32 of `[A-Za-z0-9_.-]`, unique ignoring case.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z0-9_.-]{3,32}$"
    )]
    #[validate(custom(function = "username_rule"))]
    pub username: String,
    /// A valid address, unique ignoring case.
    #[serde(default)]
    #[schema(required = true, max_length = 254, format = "email")]
    #[validate(custom(function = "email_rule"))]
    pub email: String,
    /// 8–128 characters; very common passwords are refused.
    #[serde(default)]
    #[schema(required = true, min_length = 8, max_length = 128)]
    #[validate(custom(function = "password_rule"))]
    pub password: String,
    /// 1–64 characters; defaults to the username.
    #[schema(min_length = 1, max_length = 64)]
    #[validate(custom(function = "display_name_rule"))]
    pub display_name: Option<String>,
}

pub(crate) fn username_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(parley_domain::validate::username(v))
}
pub(crate) fn email_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(parley_domain::validate::email(v))
}
pub(crate) fn password_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(parley_domain::password::check(v))
}
pub(crate) fn display_name_rule(v: &str) -> Result<(), validator::ValidationError> {
    rule(parley_domain::validate::display_name(v))
}

/// Create an account
///
/// Answers the new user with a token pair, and mails a link to verify the address.
#[utoipa::path(
    tag = "auth",
    operation_id = "register_user",
    security(()),
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in", body = TokenPair),
        (status = 409, description = "Username or email taken", body = Problem, content_type = "application/problem+json"),
        crate::responses::JsonBody,
    )
)]
#[post("/register")]
pub async fn register_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: crate::extract::Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    let meta = ClientMeta::from_request(&req, &state.settings);
    let input = Registration {
        username: body.username,
        email: body.email,
        password: body.password,
        display_name: body.display_name,
    };
    let pair = accounts::register(&state, input, meta).await?;
    Ok(no_store(HttpResponse::Created()).json(pair))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"username": "alice", "password": "correct horse battery staple"}))]
pub struct LoginRequest {
    /// Username or email.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 254)]
    #[validate(length(min = 1, max = 254))]
    pub username: String,
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 128)]
    #[validate(length(min = 1, max = 128))]
    pub password: String,
}

/// Sign in
///
/// `username` may also be the email. A wrong name and a wrong password answer the
/// same `401 invalid_credentials`; repeated failures answer `429` with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    operation_id = "login_user",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong username or password (`invalid_credentials`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        crate::responses::JsonBody,
    )
)]
#[post("/login")]
pub async fn login_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: crate::extract::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    let meta = ClientMeta::from_request(&req, &state.settings);
    let pair = accounts::login(&state, body.username, body.password, meta).await?;
    Ok(no_store(HttpResponse::Ok()).json(pair))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"refresh_token": "kq3n0cX2Vh1n3m5Qp0YhJ4o2gS0l8wHqgkq4l0Zr5cA"}))]
pub struct RefreshRequest {
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = 256))]
    pub refresh_token: String,
}

/// Rotate the refresh token
///
/// Answers a new pair; the presented refresh token stops working. Presenting a refresh
/// token that was already used revokes its whole session.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh_token",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New token pair", body = TokenPair),
        (status = 401, description = "Unknown, spent or expired refresh token", body = Problem, content_type = "application/problem+json"),
        crate::responses::JsonBody,
    )
)]
#[post("/token/refresh")]
pub async fn rotate_refresh_token(
    state: web::Data<AppState>,
    body: crate::extract::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let pair = accounts::refresh(&state, body.into_inner().refresh_token).await?;
    Ok(no_store(HttpResponse::Ok()).json(pair))
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"refresh_token": "kq3n0cX2Vh1n3m5Qp0YhJ4o2gS0l8wHqgkq4l0Zr5cA"}))]
pub struct LogoutRequest {
    /// Also end the session of this refresh token (if it is the caller's).
    #[schema(max_length = 256)]
    #[validate(length(max = 256))]
    pub refresh_token: Option<String>,
}

/// Sign out
///
/// Ends the session of the access token (and of `refresh_token`, if given): its refresh
/// token stops working and its access tokens are refused from now on.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout_user",
    request_body(content = Option<LogoutRequest>, description = "Optional"),
    responses(
        (status = 204, description = "Signed out"),
        crate::responses::JsonBody,
        crate::responses::Authed,
    )
)]
#[post("/logout")]
pub async fn logout_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body: LogoutRequest = optional_json(&req, &body)?.unwrap_or_default();
    validate(&body, |_| {})?;
    accounts::logout(&state, &auth, body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sign out everywhere
///
/// Ends every session of the caller, this one included.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout_all_sessions",
    responses(
        (status = 204, description = "Every session ended"),
        crate::responses::Authed,
    )
)]
#[post("/logout/all")]
pub async fn logout_all_sessions(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> ApiResult<HttpResponse> {
    accounts::revoke_sessions(&state, &auth, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Parses an optional JSON body: empty means none; anything else must be JSON.
pub fn optional_json<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
) -> ApiResult<Option<T>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let is_json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "the body must be application/json".into(),
        ));
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

/// Credentials must not be cached by browsers or proxies.
pub fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    builder
}
