//! Moving records in and out of a job: the sync traits FR-081-07 proposes,
//! the async traits it calls current, and in-memory, JSON-lines and Kafka
//! implementations.

pub mod jsonl;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod memory;

use std::time::Duration;

use thiserror::Error;

use crate::record::Record;

#[derive(Debug, Error)]
pub enum IoError {
    #[error("{what}: {source}")]
    File {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("Kafka {what}: {detail}")]
    Kafka { what: String, detail: String },
    #[error("timed out after {after:?}: {what}")]
    Timeout { what: String, after: Duration },
    #[error("{0}")]
    Closed(String),
}

/// A blocking source of records, as FR-081-07 defines it.
pub trait SyncReader: Send {
    /// Up to one batch; empty when nothing arrived within the poll timeout.
    fn read(&mut self) -> Result<Vec<Record>, IoError>;
    /// Marks everything returned so far as processed.
    fn commit(&mut self) -> Result<(), IoError>;
    /// False once a bounded source is exhausted.
    fn has_more(&self) -> Result<bool, IoError>;
    /// Payloads that could not be decoded and were skipped.
    fn rejected(&self) -> u64 {
        0
    }
}

/// A blocking sink of records.
pub trait SyncWriter: Send {
    fn write_batch(&mut self, records: &[Record]) -> Result<(), IoError>;
    /// Returns once everything written is durable (for Kafka: delivered).
    fn flush(&mut self) -> Result<(), IoError>;
}

#[cfg(feature = "tokio")]
pub use async_traits::{AsyncReader, AsyncWriter};

#[cfg(feature = "tokio")]
mod async_traits {
    use super::IoError;
    use crate::record::Record;

    /// The async source the analysis calls current: every call is a boxed future.
    #[async_trait::async_trait]
    pub trait AsyncReader: Send {
        async fn read(&mut self) -> Result<Vec<Record>, IoError>;
        async fn commit(&mut self) -> Result<(), IoError>;
        async fn has_more(&self) -> Result<bool, IoError>;
        fn rejected(&self) -> u64 {
            0
        }
    }

    #[async_trait::async_trait]
    pub trait AsyncWriter: Send {
        async fn write_batch(&mut self, records: Vec<Record>) -> Result<(), IoError>;
        async fn flush(&mut self) -> Result<(), IoError>;
    }
}
