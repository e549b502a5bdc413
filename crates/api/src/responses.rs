//! Reusable error responses for the OpenAPI document: every one is a problem document.

use utoipa::IntoResponses;

use crate::error::Problem;

/// Errors of any operation that needs a bearer token.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Authed {
    /// No, malformed, expired (`token_expired`) or revoked token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The database is unreachable; nothing was changed.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Errors of any operation that reads a JSON body.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum JsonBody {
    /// Malformed JSON, or a field of the wrong type.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The body is over 64 KiB.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(Problem),
    /// A field breaks a rule; `errors` names every failing field.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// Authenticated, but not allowed (the caller can see the resource but lacks the role).
#[derive(IntoResponses)]
#[response(status = 403, content_type = "application/problem+json")]
pub struct Forbidden(#[allow(dead_code)] Problem);

/// Does not exist, or is not visible to the caller.
#[derive(IntoResponses)]
#[response(status = 404, content_type = "application/problem+json")]
pub struct NotFound(#[allow(dead_code)] Problem);

/// Conflicts with the current state (already a member, name taken, ...).
#[derive(IntoResponses)]
#[response(status = 409, content_type = "application/problem+json")]
pub struct Conflict(#[allow(dead_code)] Problem);

/// A query parameter breaks a rule.
#[derive(IntoResponses)]
#[response(status = 422, content_type = "application/problem+json")]
pub struct InvalidQuery(#[allow(dead_code)] Problem);

/// A malformed query string or cursor.
#[derive(IntoResponses)]
#[response(status = 400, content_type = "application/problem+json")]
pub struct BadQuery(#[allow(dead_code)] Problem);
