//! The tokio designs. `TokioJobProcessor` is the one FR-081-07 calls current:
//! async traits, `Arc<tokio::sync::Mutex<Engine>>` locked per record, and an
//! mpsc channel to a writer task, on a multi-thread runtime.
//! `NativeTokioJobProcessor` is what a careful async design does instead: one
//! task owns the engine and awaits its reader and writer directly.

use std::sync::Arc;
use std::time::Instant;

use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::{burn_cpu, JobConfig, JobError, JobFailure, JobObserver, JobStats, WrittenBatch};
use crate::engine::Engine;
use crate::io::{AsyncReader, AsyncWriter, IoError};
use crate::record::Record;

fn build_runtime(config: &JobConfig) -> std::io::Result<Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if config.worker_threads > 0 {
        builder.worker_threads(config.worker_threads);
    }
    builder.enable_all().thread_name("tokio-tax-worker").build()
}

fn runtime_error(e: impl std::fmt::Display) -> JobError {
    JobError::Runtime(e.to_string())
}

enum ToWriter {
    Rows {
        rows: Vec<Record>,
        batch: WrittenBatch,
    },
    Flush(oneshot::Sender<Result<(), IoError>>),
}

pub struct TokioJobProcessor {
    config: JobConfig,
    runtime: Runtime,
}

impl TokioJobProcessor {
    pub fn new(config: JobConfig) -> std::io::Result<Self> {
        Ok(TokioJobProcessor {
            runtime: build_runtime(&config)?,
            config,
        })
    }

    /// The runtime jobs run on; async readers that need one are built inside it.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub fn process_job<O: JobObserver + 'static>(
        &self,
        reader: Box<dyn AsyncReader>,
        writer: Box<dyn AsyncWriter>,
        engine: Engine,
        observer: O,
    ) -> Result<(JobStats, O), JobFailure> {
        let config = self.config;
        self.runtime.block_on(async move {
            let engine = Arc::new(Mutex::new(engine));
            let (tx, rx) = mpsc::channel(config.channel_capacity.max(1));
            let with_positions = observer.wants_positions();
            let writer_task = tokio::spawn(write_loop(writer, rx, observer));
            let processing = tokio::spawn(process_loop(
                reader,
                Arc::clone(&engine),
                tx,
                config,
                with_positions,
            ));
            let (mut stats, reader_rejected, processed) = match processing.await {
                Ok(r) => r,
                Err(e) => (JobStats::default(), 0, Err(runtime_error(e))),
            };
            let (observer, written) = match writer_task.await {
                Ok(r) => r,
                Err(e) => {
                    return Err(JobFailure {
                        error: runtime_error(e),
                        partial: Box::new(stats),
                    })
                }
            };
            stats.finish(engine.lock().await.counters(), reader_rejected);
            // A writer failure shows up in the processing task only as a closed channel.
            let result = match (processed, written) {
                (Err(JobError::Runtime(_)), Err(w)) => Err(JobError::Write(w)),
                (Err(e), _) => Err(e),
                (Ok(()), Err(w)) => Err(JobError::Write(w)),
                (Ok(()), Ok(())) => Ok(()),
            };
            match result {
                Ok(()) => Ok((stats, observer)),
                Err(error) => Err(JobFailure {
                    error,
                    partial: Box::new(stats),
                }),
            }
        })
    }
}

async fn process_loop(
    mut reader: Box<dyn AsyncReader>,
    engine: Arc<Mutex<Engine>>,
    tx: mpsc::Sender<ToWriter>,
    config: JobConfig,
    with_positions: bool,
) -> (JobStats, u64, Result<(), JobError>) {
    let mut stats = JobStats::default();
    let result = async {
        let mut unflushed = 0;
        loop {
            let asked_at = Instant::now();
            let batch = reader.read().await.map_err(JobError::Read)?;
            let polled_at = Instant::now();
            super::note_slow_read(asked_at, polled_at, batch.len());
            if batch.is_empty() {
                if !reader.has_more().await.map_err(JobError::Read)? {
                    break;
                }
                continue;
            }
            stats.batches += 1;
            stats.records_read += batch.len() as u64;
            let mut out = Vec::new();
            for record in &batch {
                let mut engine = engine.lock().await;
                engine.execute_with_record(record, &mut out).await;
                burn_cpu(config.synthetic_cost_ns);
            }
            stats.add_output(&out);
            let msg = ToWriter::Rows {
                rows: out,
                batch: WrittenBatch::new(polled_at, &batch, with_positions),
            };
            tx.send(msg).await.map_err(runtime_error)?;
            unflushed += 1;
            if unflushed >= config.commit_every_batches {
                flush_then_commit(&tx, reader.as_mut()).await?;
                unflushed = 0;
            }
        }
        let mut out = Vec::new();
        engine.lock().await.flush(&mut out);
        stats.add_output(&out);
        let msg = ToWriter::Rows {
            rows: out,
            batch: WrittenBatch::new(Instant::now(), &[], false),
        };
        tx.send(msg).await.map_err(runtime_error)?;
        flush_then_commit(&tx, reader.as_mut()).await
    }
    .await;
    (stats, reader.rejected(), result)
}

/// At-least-once: the writer task confirms its flush before offsets are committed.
async fn flush_then_commit(
    tx: &mpsc::Sender<ToWriter>,
    reader: &mut dyn AsyncReader,
) -> Result<(), JobError> {
    let (ack, flushed) = oneshot::channel();
    tx.send(ToWriter::Flush(ack)).await.map_err(runtime_error)?;
    flushed
        .await
        .map_err(runtime_error)?
        .map_err(JobError::Write)?;
    reader.commit().await.map_err(JobError::Commit)
}

async fn write_loop<O: JobObserver>(
    mut writer: Box<dyn AsyncWriter>,
    mut rx: mpsc::Receiver<ToWriter>,
    mut observer: O,
) -> (O, Result<(), IoError>) {
    let mut unflushed: Vec<WrittenBatch> = Vec::new();
    while let Some(msg) = rx.recv().await {
        match msg {
            ToWriter::Rows { rows, batch } => {
                if !rows.is_empty() {
                    if let Err(e) = writer.write_batch(rows).await {
                        return (observer, Err(e));
                    }
                }
                unflushed.push(batch);
            }
            ToWriter::Flush(ack) => {
                let flushed = writer.flush().await;
                let failed = flushed
                    .as_ref()
                    .err()
                    .map(|e| IoError::Closed(e.to_string()));
                if flushed.is_ok() {
                    for batch in unflushed.drain(..) {
                        observer.batch_written(&batch);
                    }
                }
                // The processing task may be gone already; its own error then explains why.
                let _ = ack.send(flushed);
                if let Some(e) = failed {
                    return (observer, Err(e));
                }
            }
        }
    }
    (observer, Ok(()))
}

pub struct NativeTokioJobProcessor {
    config: JobConfig,
    runtime: Runtime,
}

impl NativeTokioJobProcessor {
    pub fn new(config: JobConfig) -> std::io::Result<Self> {
        Ok(NativeTokioJobProcessor {
            runtime: build_runtime(&config)?,
            config,
        })
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub fn process_job<O: JobObserver + 'static>(
        &self,
        mut reader: Box<dyn AsyncReader>,
        mut writer: Box<dyn AsyncWriter>,
        mut engine: Engine,
        mut observer: O,
    ) -> Result<(JobStats, O), JobFailure> {
        let config = self.config;
        let task = self.runtime.spawn(async move {
            let mut stats = JobStats::default();
            let result = native_loop(
                reader.as_mut(),
                writer.as_mut(),
                &mut engine,
                &mut observer,
                &mut stats,
                config,
            )
            .await;
            stats.finish(engine.counters(), reader.rejected());
            (stats, observer, result)
        });
        match self.runtime.block_on(task) {
            Ok((stats, observer, Ok(()))) => Ok((stats, observer)),
            Ok((stats, _, Err(error))) => Err(JobFailure {
                error,
                partial: Box::new(stats),
            }),
            Err(e) => Err(JobFailure {
                error: runtime_error(e),
                partial: Box::default(),
            }),
        }
    }
}

async fn native_loop<O: JobObserver>(
    reader: &mut dyn AsyncReader,
    writer: &mut dyn AsyncWriter,
    engine: &mut Engine,
    observer: &mut O,
    stats: &mut JobStats,
    config: JobConfig,
) -> Result<(), JobError> {
    let mut unflushed: Vec<WrittenBatch> = Vec::new();
    let with_positions = observer.wants_positions();
    loop {
        let asked_at = Instant::now();
        let batch = reader.read().await.map_err(JobError::Read)?;
        let polled_at = Instant::now();
        super::note_slow_read(asked_at, polled_at, batch.len());
        if batch.is_empty() {
            if !reader.has_more().await.map_err(JobError::Read)? {
                break;
            }
            continue;
        }
        stats.batches += 1;
        stats.records_read += batch.len() as u64;
        let mut out = Vec::new();
        for record in &batch {
            engine.process_sync(record, &mut out);
            burn_cpu(config.synthetic_cost_ns);
        }
        stats.add_output(&out);
        if !out.is_empty() {
            writer.write_batch(out).await.map_err(JobError::Write)?;
        }
        unflushed.push(WrittenBatch::new(polled_at, &batch, with_positions));
        if unflushed.len() >= config.commit_every_batches as usize {
            writer.flush().await.map_err(JobError::Write)?;
            for batch in unflushed.drain(..) {
                observer.batch_written(&batch);
            }
            reader.commit().await.map_err(JobError::Commit)?;
        }
    }
    let mut out = Vec::new();
    engine.flush(&mut out);
    stats.add_output(&out);
    writer.write_batch(out).await.map_err(JobError::Write)?;
    writer.flush().await.map_err(JobError::Write)?;
    for batch in unflushed.drain(..) {
        observer.batch_written(&batch);
    }
    reader.commit().await.map_err(JobError::Commit)
}
