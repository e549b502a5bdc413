//! Repositories: one module per aggregate, plain functions over `&mut DbConn`.

pub mod admin;
pub mod announcements;
pub mod bans;
pub mod events;
pub mod invites;
pub mod members;
pub mod messages;
pub mod notifications;
pub mod orgs;
pub mod reports;
pub mod rooms;
pub mod search;
pub mod secrets;
pub mod sessions;
pub mod user_tokens;
pub mod users;
