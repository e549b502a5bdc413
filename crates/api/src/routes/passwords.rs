//! Email verification and password reset through mailed single-use tokens.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::AuthUser;
use crate::error::{ApiResult, Problem};
use crate::models::utc;
use crate::routes::auth::{email_rule, password_rule};
use crate::service::accounts;
use crate::state::AppState;
use crate::validation::validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"token": "kq3n0cX2Vh1n3m5Qp0YhJ4o2gS0l8wHqgkq4l0Zr5cA"}))]
pub struct VerifyEmailRequest {
    /// The code from the mail.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = 256))]
    pub token: String,
}

/// Confirm an email address
///
/// Marks the address verified (or, for an email change, switches to the new address).
#[utoipa::path(
    tag = "auth",
    operation_id = "verify_email",
    security(()),
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "Verified"),
        (status = 409, description = "The new address was registered by someone else meanwhile", body = Problem, content_type = "application/problem+json"),
        crate::responses::JsonBody,
    )
)]
#[post("/email/verify")]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: crate::extract::Json<VerifyEmailRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    accounts::verify_email(&state, body.into_inner().token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mail a new verification link
#[utoipa::path(
    tag = "auth",
    operation_id = "resend_verification",
    responses(
        (status = 202, description = "A link was mailed (if the address is not verified yet)"),
        crate::responses::Authed,
    )
)]
#[post("/email/verify/resend")]
pub async fn resend_verification(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> ApiResult<HttpResponse> {
    let user_id = auth.user_id;
    let user = state
        .db(move |conn| Ok(parley_store::repo::users::find(conn, user_id)?))
        .await?;
    if user.email_verified_at.is_none() {
        accounts::send_verification(&state, &user, &user.email).await;
    }
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"email": "alice@example.com"}))]
pub struct ForgotPasswordRequest {
    #[serde(default)]
    #[schema(required = true, max_length = 254, format = "email")]
    #[validate(custom(function = "email_rule"))]
    pub email: String,
}

/// Ask for a password reset link
///
/// Always `202`, whether or not the address is registered. When it is, a link valid
/// for 30 minutes is mailed.
#[utoipa::path(
    tag = "auth",
    operation_id = "forgot_password",
    security(()),
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "Accepted"),
        crate::responses::JsonBody,
    )
)]
#[post("/password/forgot")]
pub async fn forgot_password(
    state: web::Data<AppState>,
    body: crate::extract::Json<ForgotPasswordRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    accounts::forgot_password(&state, body.into_inner().email).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"token": "kq3n0cX2Vh1n3m5Qp0YhJ4o2gS0l8wHqgkq4l0Zr5cA",
    "new_password": "another long passphrase"}))]
pub struct ResetPasswordRequest {
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = 256))]
    pub token: String,
    #[serde(default)]
    #[schema(required = true, min_length = 8, max_length = 128)]
    #[validate(custom(function = "password_rule"))]
    pub new_password: String,
}

/// Set a new password with a reset token
///
/// The token works once; every session of the user ends.
#[utoipa::path(
    tag = "auth",
    operation_id = "reset_password",
    security(()),
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "Password changed; all sessions ended"),
        crate::responses::JsonBody,
    )
)]
#[post("/password/reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    body: crate::extract::Json<ResetPasswordRequest>,
) -> ApiResult<HttpResponse> {
    validate(&*body, |_| {})?;
    let body = body.into_inner();
    accounts::reset_password(&state, body.token, body.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A password reset link made by an administrator.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"url": "https://chat.example.com/reset-password#token=kq3n0cX2Vh1n3m5Qp0YhJ4o2gS0l8wHqgkq4l0Zr5cA", "expires_at": "2026-11-22T10:30:00Z"}))]
pub struct ResetLink {
    /// Hand this to the user; it works once.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Make a password reset link for a user (administrators)
///
/// For deployments without SMTP: the link is answered instead of mailed.
#[utoipa::path(
    tag = "admin",
    operation_id = "create_password_reset_link",
    params(("user_id" = i64, Path, description = "User id", minimum = 1)),
    responses(
        (status = 201, description = "The link", body = ResetLink),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        crate::responses::Authed,
    )
)]
#[post("/admin/users/{user_id}/password-reset")]
pub async fn create_password_reset_link(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let (url, expires_at) =
        accounts::admin_reset_link_by(&state, Some(auth.user_id), path.into_inner()).await?;
    Ok(
        crate::routes::auth::no_store(HttpResponse::Created()).json(ResetLink {
            url,
            expires_at: utc(expires_at),
        }),
    )
}
