//! The pieces of the `parley` binary, as a library so tests can start real servers.

pub mod admin;
pub mod config;
pub mod serve;
pub mod telemetry;
