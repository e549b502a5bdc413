//! Response schemas shared by several resources.

use chrono::{DateTime, NaiveDateTime, Utc};
use parley_store::models::{SessionRow, UserRow};
use serde::Serialize;
use utoipa::ToSchema;

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// The caller's own account (the only schema that carries `email`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "username": "alice", "display_name": "Alice", "email": "alice@example.com",
    "email_verified": false, "bio": "", "avatar_url": null, "is_admin": false,
    "created_at": "2026-11-22T10:00:00Z"
}))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub email_verified: bool,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&UserRow> for User {
    fn from(row: &UserRow) -> Self {
        User {
            id: row.id,
            username: row.username.clone(),
            display_name: row.display_name.clone(),
            email: row.email.clone(),
            email_verified: row.email_verified_at.is_some(),
            bio: row.bio.clone(),
            avatar_url: row.avatar_url.clone(),
            is_admin: row.is_admin,
            created_at: utc(row.created_at),
        }
    }
}

/// Anyone else's account: never the email.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null,
    "created_at": "2026-11-22T10:00:00Z"
}))]
pub struct PublicUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&UserRow> for PublicUser {
    fn from(row: &UserRow) -> Self {
        PublicUser {
            id: row.id,
            username: row.username.clone(),
            display_name: row.display_name.clone(),
            bio: row.bio.clone(),
            avatar_url: row.avatar_url.clone(),
            created_at: utc(row.created_at),
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicUserPage {
    pub items: Vec<PublicUser>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Credentials answered by register, login and refresh.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "user": {"id": 1, "username": "alice", "display_name": "Alice", "email": "alice@example.com",
             "email_verified": false, "bio": "", "avatar_url": null, "is_admin": false,
             "created_at": "2026-11-22T10:00:00Z"},
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
    "refresh_token": "kq3n0cX2Vh1n3m5Qp0YhJ4o2gS0l8wHqgkq4l0Zr5cA",
    "token_type": "Bearer",
    "expires_in": 900
}))]
pub struct TokenPair {
    pub user: User,
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single use: each refresh answers a new one and spends this one.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
}

/// One signed-in device or browser.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// Last login or token refresh in this session.
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// True for the session of the token making this request.
    pub current: bool,
}

impl Session {
    pub fn from_row(row: &SessionRow, current_session: i64) -> Self {
        Session {
            id: row.id,
            created_at: utc(row.created_at),
            last_used_at: utc(row.last_used_at),
            expires_at: utc(row.expires_at),
            user_agent: row.user_agent.clone(),
            ip: row.ip.clone(),
            current: row.id == current_session,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
}
