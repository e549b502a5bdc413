//! Parley's HTTP and WebSocket surface: thin actix-web handlers over the store,
//! problem+json errors, and the OpenAPI document collected from the handlers.

pub mod app;
pub mod auth;
pub mod client_ip;
pub mod error;
pub mod extract;
pub mod fallback;
pub mod gateway;
pub mod listener;
pub mod mail;
pub mod metrics;
pub mod middleware;
pub mod models;
pub mod openapi;
pub mod paging;
pub mod rate_limit;
pub mod responses;
pub mod routes;
pub mod service;
pub mod settings;
pub mod spa;
pub mod state;
pub mod throttle;
pub mod validation;

pub use error::{ApiError, ApiResult, Problem};
pub use settings::Settings;
pub use state::AppState;
