//! The service layer: what a request means, independent of how it arrived.
//! Handlers (REST) and the gateway (WebSocket) both call these.

pub mod accounts;
pub mod admin;
pub mod invites;
pub mod messages;
pub mod orgs;
pub mod rooms;
