//! Job processors: the same read -> engine -> write loop in the sync design
//! FR-081-07 proposes and in the tokio designs it compares against.

mod stats;
mod sync;
#[cfg(feature = "tokio")]
mod tokio;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use self::stats::JobStats;
pub use self::sync::SyncJobProcessor;
#[cfg(feature = "tokio")]
pub use self::tokio::{NativeTokioJobProcessor, TokioJobProcessor};

use crate::io::IoError;

/// Settings shared by every processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobConfig {
    /// Busy work added per record, in ns, to model a costlier engine (the cost sweep).
    pub synthetic_cost_ns: u64,
    /// Offsets are committed after the writer flushed, every this many batches.
    pub commit_every_batches: u32,
    /// Capacity of the tokio design's result channel, in batches.
    pub channel_capacity: usize,
    /// Worker threads of the tokio runtime (0: one per core).
    pub worker_threads: usize,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            synthetic_cost_ns: 0,
            commit_every_batches: 1,
            channel_capacity: 64,
            worker_threads: 0,
        }
    }
}

/// A batch whose outputs are durably written.
#[derive(Debug, Clone)]
pub struct WrittenBatch {
    /// When the batch came back from the reader.
    pub polled_at: Instant,
    /// Input records in the batch (0 for the final flush of open windows).
    pub records: usize,
    /// (partition, offset) of each input record, when the observer asked for them.
    pub positions: Vec<(i32, i64)>,
}

impl WrittenBatch {
    pub(crate) fn new(
        polled_at: Instant,
        batch: &[crate::record::Record],
        with_positions: bool,
    ) -> Self {
        let positions = if with_positions {
            batch.iter().map(|r| (r.partition, r.offset)).collect()
        } else {
            Vec::new()
        };
        WrittenBatch {
            polled_at,
            records: batch.len(),
            positions,
        }
    }
}

/// Told when a batch's outputs have been written, to measure latency.
pub trait JobObserver: Send {
    fn batch_written(&mut self, batch: &WrittenBatch);

    /// Whether `batch_written` needs each record's position (costs a Vec per batch).
    fn wants_positions(&self) -> bool {
        false
    }
}

/// Observes nothing.
impl JobObserver for () {
    fn batch_written(&mut self, _: &WrittenBatch) {}
}

#[derive(Debug, Error)]
pub enum JobError {
    #[error("reading input: {0}")]
    Read(#[source] IoError),
    #[error("writing output: {0}")]
    Write(#[source] IoError),
    #[error("committing offsets: {0}")]
    Commit(#[source] IoError),
    #[error("runtime: {0}")]
    Runtime(String),
}

/// A failed job, with what it had done before it failed (marked incomplete by callers).
#[derive(Debug, Error)]
#[error("{error} (after {} records read)", partial.records_read)]
pub struct JobFailure {
    #[source]
    pub error: JobError,
    pub partial: Box<JobStats>,
}

/// Reads that stall are logged (at debug level), since a stall looks like a
/// slow engine in every throughput figure.
fn note_slow_read(asked_at: Instant, polled_at: Instant, records: usize) {
    let waited = polled_at - asked_at;
    if waited > Duration::from_millis(20) {
        tracing::debug!(waited_ms = waited.as_millis() as u64, records, "slow read");
    }
}

/// Spins for `ns` nanoseconds: stands in for engine work the analysis assumes.
#[inline]
pub fn burn_cpu(ns: u64) {
    if ns == 0 {
        return;
    }
    let until = Instant::now() + Duration::from_nanos(ns);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}
