use serde::{Deserialize, Serialize};

use crate::digest::OutputDigest;
use crate::engine::EngineCounters;
use crate::record::Record;

/// What one job did; every processor returns the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobStats {
    pub records_read: u64,
    pub processed: u64,
    pub emitted: u64,
    /// Undecodable payloads plus records without an event time.
    pub rejected: u64,
    /// Payloads the reader could not decode (part of `rejected`): messages
    /// consumed are `records_read + undecodable`.
    pub undecodable: u64,
    pub late: u64,
    pub filtered: u64,
    pub batches: u64,
    /// Order-independent digest of every emitted row.
    pub digest: OutputDigest,
}

impl JobStats {
    pub(crate) fn add_output(&mut self, rows: &[Record]) {
        for r in rows {
            self.digest.add_row(&r.values);
        }
    }

    pub(crate) fn finish(&mut self, engine: EngineCounters, reader_rejected: u64) {
        self.processed = engine.processed;
        self.emitted = engine.emitted;
        self.late = engine.late;
        self.filtered = engine.filtered;
        self.rejected = engine.rejected + reader_rejected;
        self.undecodable = reader_rejected;
    }
}
