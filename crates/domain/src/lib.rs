//! Parley's domain: the rules that hold whatever stores or serves the data.
//! No database and no HTTP here.

pub mod error;
pub mod message;
pub mod password;
pub mod room;
pub mod validate;

pub use error::{DomainError, FieldErrors};
