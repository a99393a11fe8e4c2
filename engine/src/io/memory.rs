//! In-memory source and sink: the pipeline without a broker, for benches and tests.

use std::sync::Arc;

use super::{IoError, SyncReader, SyncWriter};
use crate::digest::OutputDigest;
use crate::record::Record;

/// Serves a fixed set of records in batches. Records are cloned on read, as a
/// real source would produce fresh ones.
#[derive(Debug, Clone)]
pub struct MemoryReader {
    records: Arc<[Record]>,
    position: usize,
    batch_size: usize,
}

impl MemoryReader {
    pub fn new(records: impl Into<Arc<[Record]>>, batch_size: usize) -> Self {
        MemoryReader {
            records: records.into(),
            position: 0,
            batch_size: batch_size.max(1),
        }
    }

    fn next_batch(&mut self) -> Vec<Record> {
        let end = (self.position + self.batch_size).min(self.records.len());
        let batch = self.records[self.position..end].to_vec();
        self.position = end;
        batch
    }
}

impl SyncReader for MemoryReader {
    fn read(&mut self) -> Result<Vec<Record>, IoError> {
        Ok(self.next_batch())
    }

    fn commit(&mut self) -> Result<(), IoError> {
        Ok(())
    }

    fn has_more(&self) -> Result<bool, IoError> {
        Ok(self.position < self.records.len())
    }
}

/// Keeps what it is given, or only counts and digests it when `keep` is off.
#[derive(Debug, Clone, Default)]
pub struct MemoryWriter {
    pub keep: bool,
    pub rows: Vec<Record>,
    pub digest: OutputDigest,
    pub flushes: u64,
}

impl MemoryWriter {
    pub fn keeping() -> Self {
        MemoryWriter {
            keep: true,
            ..Self::default()
        }
    }

    pub fn counting() -> Self {
        Self::default()
    }

    fn take(&mut self, records: &[Record]) {
        for r in records {
            self.digest.add_row(&r.values);
        }
        if self.keep {
            self.rows.extend_from_slice(records);
        }
    }
}

impl SyncWriter for MemoryWriter {
    fn write_batch(&mut self, records: &[Record]) -> Result<(), IoError> {
        self.take(records);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.flushes += 1;
        Ok(())
    }
}

#[cfg(feature = "tokio")]
mod async_impls {
    use super::*;
    use crate::io::{AsyncReader, AsyncWriter};

    #[async_trait::async_trait]
    impl AsyncReader for MemoryReader {
        async fn read(&mut self) -> Result<Vec<Record>, IoError> {
            Ok(self.next_batch())
        }

        async fn commit(&mut self) -> Result<(), IoError> {
            Ok(())
        }

        async fn has_more(&self) -> Result<bool, IoError> {
            Ok(self.position < self.records.len())
        }
    }

    #[async_trait::async_trait]
    impl AsyncWriter for MemoryWriter {
        async fn write_batch(&mut self, records: Vec<Record>) -> Result<(), IoError> {
            self.take(&records);
            Ok(())
        }

        async fn flush(&mut self) -> Result<(), IoError> {
            self.flushes += 1;
            Ok(())
        }
    }
}
