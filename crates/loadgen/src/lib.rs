//! `parley-loadgen`: a WebSocket load generator for Parley, and the in-memory
//! reference ceiling it is compared with (docs/BENCHMARKS.md), and the bounded soak with
//! reconnect churn across instances and its reconciliation (`soak`, scripts/soak).

pub mod ceiling;
pub mod driver;
pub mod hist;
pub mod http;
pub mod procfs;
pub mod scenario;
pub mod soak;
pub mod ws;

pub use driver::{Report, compare, drive, table};
pub use scenario::Scenario;
