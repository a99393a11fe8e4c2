//! Loads a scenario's generated records into a topic. The embedded broker keeps
//! only a few MiB per partition, so the loader never gets further ahead of the
//! consumer than the topic can hold; loading is done before the clock starts
//! whenever the whole input fits.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio_tax_engine::io::kafka::sync::SyncKafkaWriter;
use tokio_tax_engine::io::kafka::KafkaWriterConfig;
use tokio_tax_engine::Schema;

use crate::datagen::{generate, SourceSpec};
use crate::kafka::broker::PartitionCapacity;

pub struct Loader {
    handle: Option<JoinHandle<anyhow::Result<u64>>>,
    stop: Arc<AtomicBool>,
}

impl Loader {
    /// Starts loading `spec` into `topic`; returns once the initial lead is delivered.
    /// `consumed` is the reader's progress counter. With `open_loop`
    /// (start, records/s) record `i` is sent at `start + i / rate`, never
    /// waiting for the consumer, and the call returns at once.
    pub fn start(
        spec: &SourceSpec,
        bootstrap: &str,
        topic: &str,
        capacity: Option<PartitionCapacity>,
        consumed: Arc<AtomicU64>,
        timeout: Duration,
        open_loop: Option<(Instant, f64)>,
    ) -> anyhow::Result<Loader> {
        let lead = max_lead(spec, capacity);
        let config = KafkaWriterConfig {
            bootstrap: bootstrap.to_string(),
            topic: topic.to_string(),
            flush_timeout: timeout,
            linger_ms: 5,
        };
        let mut writer = SyncKafkaWriter::new(&config, Schema::default())?;
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let spec = spec.clone();
        let stop_flag = Arc::clone(&stop);
        let topic_name = topic.to_string();
        let handle = std::thread::Builder::new().name("tokio-tax-loader".into()).spawn(move || {
            let mut produced = 0u64;
            let mut ready = Some(ready_tx);
            if open_loop.is_some() {
                let _ = ready.take().map(|tx| tx.send(()));
            }
            for record in generate(&spec) {
                if let Some((t0, rate)) = open_loop {
                    let due = t0 + Duration::from_secs_f64(produced as f64 / rate);
                    let now = Instant::now();
                    // Sleeping costs ~60 µs here; only sleep when ahead by more.
                    if due > now + Duration::from_micros(200) {
                        std::thread::sleep(due - now);
                    }
                }
                let mut waited = Instant::now();
                while produced.saturating_sub(consumed.load(Ordering::Relaxed)) >= lead {
                    if let Some(tx) = ready.take() {
                        writer.flush_and_check()?;
                        let _ = tx.send(());
                        waited = Instant::now();
                    }
                    if stop_flag.load(Ordering::Relaxed) {
                        return Ok(produced);
                    }
                    if waited.elapsed() > timeout {
                        bail!("the consumer of {topic_name} made no progress for {timeout:?} (loaded {produced})");
                    }
                    std::thread::sleep(Duration::from_micros(200));
                }
                writer.write_payload(&record.payload, record.partition)?;
                produced += 1;
            }
            writer.flush_and_check().with_context(|| format!("delivering the last records to {topic_name}"))?;
            if let Some(tx) = ready.take() {
                let _ = tx.send(());
            }
            Ok(produced)
        })?;
        let mut loader = Loader {
            handle: Some(handle),
            stop,
        };
        match ready_rx.recv_timeout(timeout + Duration::from_secs(5)) {
            Ok(()) => Ok(loader),
            Err(_) => {
                loader.stop.store(true, Ordering::Relaxed);
                let why = match loader.handle.take().map(JoinHandle::join) {
                    Some(Ok(Err(e))) => format!("{e:#}"),
                    _ => format!("no delivery confirmation within {timeout:?}"),
                };
                bail!("loading topic {topic}: {why}")
            }
        }
    }

    /// Waits for the loader; returns how many records it produced.
    pub fn finish(mut self) -> anyhow::Result<u64> {
        self.join()
    }

    fn join(&mut self) -> anyhow::Result<u64> {
        match self.handle.take() {
            Some(h) => h
                .join()
                .map_err(|_| anyhow::anyhow!("the loader thread panicked"))?,
            None => Ok(0),
        }
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.join();
    }
}

/// How many records may be produced but not yet consumed.
fn max_lead(spec: &SourceSpec, capacity: Option<PartitionCapacity>) -> u64 {
    let Some(cap) = capacity else { return u64::MAX };
    let sample: Vec<usize> = generate(spec)
        .take(1_000)
        .map(|r| r.payload.len() + 64)
        .collect();
    let per_record = (sample.iter().sum::<usize>() / sample.len().max(1)).max(1) as u64;
    let per_partition = cap.messages.min(cap.bytes / per_record);
    per_partition * u64::from(spec.partitions)
}
