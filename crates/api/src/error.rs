//! `ApiError`: every failure the HTTP surface answers, as an RFC 9457 problem document.

use std::collections::BTreeMap;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use parley_domain::{DomainError, FieldErrors};
use parley_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document. `code` is the stable machine-readable part.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:parley:problem:validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "One or more fields are invalid.",
    "code": "validation_failed",
    "errors": {"username": ["must be between 3 and 32 characters"]}
}))]
pub struct Problem {
    /// `urn:parley:problem:{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case error code: `bad_request`, `unauthorized`, `invalid_credentials`,
    /// `token_expired`, `forbidden`, `not_found`, `method_not_allowed`, `conflict`,
    /// `payload_too_large`, `unsupported_media_type`, `validation_failed`, `rate_limited`,
    /// `service_unavailable`, `internal_error`.
    pub code: String,
    /// Validation errors only: every failing field with its messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("the access token has expired")]
    TokenExpired,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed(Vec<Method>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("the database is unreachable")]
    ServiceUnavailable,
    /// Logged where it is created; the client sees only a generic message.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::TokenExpired => "token_expired",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::ServiceUnavailable => "service_unavailable",
            ApiError::Internal => "internal_error",
        }
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    /// Wraps an unexpected failure: logs it, answers 500 without details.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "{context}");
        ApiError::Internal
    }

    /// The error a bare framework status stands for (see `app::problemize`).
    pub fn for_status(status: StatusCode) -> Option<ApiError> {
        Some(match status.as_u16() {
            400 => ApiError::BadRequest("the request could not be understood".into()),
            401 => ApiError::Unauthorized("authentication required".into()),
            403 => ApiError::Forbidden("not allowed".into()),
            404 => ApiError::NotFound("not found".into()),
            409 => ApiError::Conflict("conflict".into()),
            413 => ApiError::PayloadTooLarge("the body is too large".into()),
            415 => ApiError::UnsupportedMediaType("unsupported body type".into()),
            503 => ApiError::ServiceUnavailable,
            500..=599 => ApiError::Internal,
            _ => return None,
        })
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let detail = match self {
            ApiError::Validation(_) => "One or more fields are invalid.".to_owned(),
            ApiError::MethodNotAllowed(_) => "This path does not accept that method.".to_owned(),
            ApiError::RateLimited { retry_after_secs } => {
                format!("Too many requests; retry after {retry_after_secs} seconds.")
            }
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("urn:parley:problem:{}", self.code()),
            title,
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            errors: match self {
                ApiError::Validation(fields) => Some(fields.0.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::InvalidCredentials | ApiError::TokenExpired => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            ApiError::MethodNotAllowed(methods) => {
                let allow = methods
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                response.insert_header((header::ALLOW, allow));
            }
            ApiError::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unauthorized(_) | ApiError::TokenExpired => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Validation(fields) => ApiError::Validation(fields),
            DomainError::NotFound(what) => ApiError::not_found(what),
            DomainError::Forbidden(msg) => ApiError::Forbidden(msg),
            DomainError::Conflict(msg) => ApiError::Conflict(msg),
            DomainError::Unauthorized => ApiError::Unauthorized("authentication required".into()),
            DomainError::InvalidCredentials => ApiError::InvalidCredentials,
            DomainError::TokenExpired => ApiError::TokenExpired,
            DomainError::RateLimited { retry_after_secs } => {
                ApiError::RateLimited { retry_after_secs }
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound("not found".into()),
            StoreError::UniqueViolation(_) => ApiError::Conflict("already exists".into()),
            StoreError::Unavailable(reason) => {
                tracing::warn!(%reason, "database unavailable");
                ApiError::ServiceUnavailable
            }
            other => ApiError::internal("database error", other),
        }
    }
}

impl From<parley_store::diesel::result::Error> for ApiError {
    fn from(err: parley_store::diesel::result::Error) -> Self {
        StoreError::from(err).into()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::internal("blocking task failed", err)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
