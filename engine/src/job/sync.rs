use std::time::Instant;

use super::{burn_cpu, JobConfig, JobError, JobFailure, JobObserver, JobStats, WrittenBatch};
use crate::engine::Engine;
use crate::io::{SyncReader, SyncWriter};
use crate::record::Record;

/// FR-081-07's proposal: one OS thread, direct calls, `&mut Engine`, no channels.
#[derive(Debug, Clone, Default)]
pub struct SyncJobProcessor {
    config: JobConfig,
}

impl SyncJobProcessor {
    pub fn new(config: JobConfig) -> Self {
        SyncJobProcessor { config }
    }

    pub fn process_job(
        &self,
        reader: &mut dyn SyncReader,
        writer: &mut dyn SyncWriter,
        engine: &mut Engine,
        observer: &mut dyn JobObserver,
    ) -> Result<JobStats, JobFailure> {
        let mut stats = JobStats::default();
        let result = self.run(reader, writer, engine, observer, &mut stats);
        stats.finish(engine.counters(), reader.rejected());
        match result {
            Ok(()) => Ok(stats),
            Err(error) => Err(JobFailure {
                error,
                partial: Box::new(stats),
            }),
        }
    }

    fn run(
        &self,
        reader: &mut dyn SyncReader,
        writer: &mut dyn SyncWriter,
        engine: &mut Engine,
        observer: &mut dyn JobObserver,
        stats: &mut JobStats,
    ) -> Result<(), JobError> {
        let mut out: Vec<Record> = Vec::new();
        // Batches written but not yet flushed: their latency ends at the flush.
        let mut unflushed: Vec<WrittenBatch> = Vec::new();
        let with_positions = observer.wants_positions();
        loop {
            let asked_at = Instant::now();
            let batch = reader.read().map_err(JobError::Read)?;
            let polled_at = Instant::now();
            super::note_slow_read(asked_at, polled_at, batch.len());
            if batch.is_empty() {
                if !reader.has_more().map_err(JobError::Read)? {
                    break;
                }
                continue;
            }
            stats.batches += 1;
            stats.records_read += batch.len() as u64;
            out.clear();
            for record in &batch {
                engine.process_sync(record, &mut out);
                burn_cpu(self.config.synthetic_cost_ns);
            }
            stats.add_output(&out);
            if !out.is_empty() {
                writer.write_batch(&out).map_err(JobError::Write)?;
            }
            unflushed.push(WrittenBatch::new(polled_at, &batch, with_positions));
            if unflushed.len() >= self.config.commit_every_batches as usize {
                Self::flush_and_commit(reader, writer, observer, &mut unflushed)?;
            }
        }
        out.clear();
        engine.flush(&mut out);
        stats.add_output(&out);
        writer.write_batch(&out).map_err(JobError::Write)?;
        Self::flush_and_commit(reader, writer, observer, &mut unflushed)
    }

    /// At-least-once: outputs are durable before the inputs they cover are committed.
    fn flush_and_commit(
        reader: &mut dyn SyncReader,
        writer: &mut dyn SyncWriter,
        observer: &mut dyn JobObserver,
        unflushed: &mut Vec<WrittenBatch>,
    ) -> Result<(), JobError> {
        writer.flush().map_err(JobError::Write)?;
        for batch in unflushed.drain(..) {
            observer.batch_written(&batch);
        }
        reader.commit().map_err(JobError::Commit)
    }
}
