//! tokio-tax-engine: a minimal streaming SQL window engine, runnable with and
//! without tokio, so that what the runtime costs can be measured.
//!
//! `record` holds the data model, `sql` compiles queries, `window` keeps
//! incremental window state, `engine` ties them together, `io` moves records in
//! and out, and `job` runs a pipeline in the sync or the tokio design.

pub mod decode;
pub mod digest;
pub mod engine;
pub mod io;
pub mod job;
pub mod record;
pub mod sql;
pub mod window;

pub use digest::OutputDigest;
pub use engine::{Engine, EngineConfig, EngineCounters};
pub use record::{DataType, Record, Schema, Value};
