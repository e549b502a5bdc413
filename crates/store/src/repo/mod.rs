//! Repositories: one module per aggregate, plain functions over `&mut DbConn`.

pub mod messages;
pub mod rooms;
pub mod secrets;
pub mod sessions;
pub mod user_tokens;
pub mod users;
