//! One measured run: a fresh topic, loaded with the scenario's records, read by
//! one mode's job through the engine into a sink, with every cost recorded.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rdkafka::consumer::BaseConsumer;
use tokio_tax_engine::io::jsonl::JsonlWriter;
use tokio_tax_engine::io::kafka::native::{NativeKafkaReader, NativeKafkaWriter};
use tokio_tax_engine::io::kafka::shim::{ShimKafkaReader, ShimKafkaWriter};
use tokio_tax_engine::io::kafka::sync::{SyncKafkaReader, SyncKafkaWriter};
use tokio_tax_engine::io::kafka::{create_base_consumer, KafkaReaderConfig, KafkaWriterConfig};
use tokio_tax_engine::io::memory::MemoryWriter;
use tokio_tax_engine::io::{AsyncReader, AsyncWriter, IoError, SyncWriter};
use tokio_tax_engine::job::{
    JobConfig, JobStats, NativeTokioJobProcessor, SyncJobProcessor, TokioJobProcessor,
};
use tokio_tax_engine::{Engine, Schema};

use crate::kafka::load::Loader;
use crate::kafka::topics::unique_name;
use crate::kafka::Broker;
use crate::measure::alloc::{self, AllocSnapshot};
use crate::measure::latency::{LatencyRecorder, OpenLoop};
use crate::measure::rusage::{self, CpuTimes};
use crate::mode::Mode;
use crate::profile::{shielded, Captured, Sampler};
use crate::report::results::Percentiles;
use crate::scenario::Scenario;

/// Where emitted rows go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// A fresh output topic on the same broker.
    Kafka,
    /// JSON lines, each row with its window start and end as plain columns.
    File(PathBuf),
    /// Counted and digested only.
    Discard,
}

impl Sink {
    pub fn parse(s: &str) -> anyhow::Result<Sink> {
        match s {
            "kafka" => Ok(Sink::Kafka),
            "discard" => Ok(Sink::Discard),
            _ => match s.strip_prefix("file:") {
                Some(path) if !path.is_empty() => Ok(Sink::File(PathBuf::from(path))),
                _ => bail!("unknown sink '{s}'; use kafka, discard or file:PATH"),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Every wait on the broker gives up after this long.
    pub timeout: Duration,
    pub profile: bool,
    pub synthetic_cost_ns: u64,
    pub sink: Sink,
    /// Open-loop producer rate (records/s): latency is then end to end, from
    /// each record's due time to its durable write.
    pub latency_rate: Option<u64>,
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub stats: JobStats,
    /// From the first batch polled to the last output durably written.
    pub wall: Duration,
    /// Process CPU time over (about) the same stretch as `wall`.
    pub cpu: CpuTimes,
    pub allocs: Option<AllocSnapshot>,
    pub peak_rss_kib: u64,
    pub latency: Percentiles,
    pub profile: Option<Captured>,
}

impl Measured {
    pub fn throughput_rps(&self) -> f64 {
        self.stats.records_read as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Clocks and counters around the measured stretch of a run.
struct Meter {
    started: Instant,
    cpu: CpuTimes,
    allocs: Option<AllocSnapshot>,
    sampler: Option<Sampler>,
}

impl Meter {
    fn start(profile: bool) -> anyhow::Result<Meter> {
        rusage::reset_peak_rss();
        let sampler = if profile {
            Some(Sampler::start()?)
        } else {
            None
        };
        Ok(Meter {
            started: Instant::now(),
            cpu: rusage::cpu_times(),
            allocs: alloc::snapshot(),
            sampler,
        })
    }

    fn stop(self, stats: JobStats, latency: &LatencyRecorder) -> anyhow::Result<Measured> {
        let now = Instant::now();
        let started = latency
            .first_poll()
            .map_or(self.started, |first| first.max(self.started));
        let ended = latency.last_written().map_or(now, |last| last.min(now));
        let wall = ended.saturating_duration_since(started);
        let cpu = rusage::cpu_times().since(&latency.cpu_at_first().unwrap_or(self.cpu));
        let allocs = alloc::snapshot()
            .zip(self.allocs)
            .map(|(now, then)| now.since(&then));
        let profile = self.sampler.map(Sampler::finish).transpose()?;
        Ok(Measured {
            stats,
            wall,
            cpu,
            allocs,
            peak_rss_kib: rusage::peak_rss_kib(),
            latency: latency.percentiles(),
            profile,
        })
    }
}

/// Runs `scenario` once in `mode` over `broker`.
pub fn run_mode(
    scenario: &Scenario,
    mode: Mode,
    broker: &Broker,
    opts: &RunOptions,
) -> anyhow::Result<Measured> {
    let input = unique_name(&scenario.name, "in");
    let output = unique_name(&scenario.name, mode.name());
    let partitions = scenario.source.partitions as i32;
    broker.create_topic(&input, partitions)?;
    let result = (|| {
        if opts.sink == Sink::Kafka {
            broker.create_topic(&output, partitions)?;
        }
        let progress = Arc::new(AtomicU64::new(0));
        // In an open-loop run the first record is due a moment after the consumer is set up.
        let schedule = opts.latency_rate.map(|rate| OpenLoop {
            t0: Instant::now() + Duration::from_millis(300),
            rate: rate.max(1) as f64,
            partitions: scenario.source.partitions,
        });
        let loader = shielded(|| {
            Loader::start(
                &scenario.source,
                &broker.bootstrap,
                &input,
                broker.partition_capacity,
                Arc::clone(&progress),
                opts.timeout,
                schedule.map(|s| (s.t0, s.rate)),
            )
        })?;
        let reader = reader_config(scenario, broker, &input, mode, progress, opts);
        let writer = KafkaWriterConfig {
            bootstrap: broker.bootstrap.clone(),
            topic: output.clone(),
            flush_timeout: opts.timeout,
            linger_ms: 0,
        };
        let latency = schedule.map_or_else(LatencyRecorder::default, LatencyRecorder::open_loop);
        let measured = run_job(scenario, mode, &reader, &writer, opts, latency)?;
        let produced = loader
            .finish()
            .with_context(|| format!("loading topic {input}"))?;
        let consumed = measured.stats.records_read + measured.stats.undecodable;
        if consumed != produced {
            bail!("{mode} consumed {consumed} of the {produced} records produced to {input}: records were lost");
        }
        Ok(measured)
    })();
    broker.delete_topics(&[&input, &output]);
    result.with_context(|| format!("scenario {} in mode {mode}", scenario.name))
}

fn reader_config(
    scenario: &Scenario,
    broker: &Broker,
    topic: &str,
    mode: Mode,
    progress: Arc<AtomicU64>,
    opts: &RunOptions,
) -> KafkaReaderConfig {
    KafkaReaderConfig {
        bootstrap: broker.bootstrap.clone(),
        topic: topic.to_string(),
        partitions: scenario.source.partitions as i32,
        group_id: format!("{topic}.{mode}"),
        batch_size: scenario.run.batch_size,
        poll_timeout: Duration::from_millis(10),
        idle_timeout: opts.timeout,
        expected_records: scenario.source.records,
        progress,
    }
}

fn engine(scenario: &Scenario) -> anyhow::Result<Engine> {
    Engine::from_sql(&scenario.sql, &scenario.schema(), scenario.engine_config())
        .with_context(|| format!("scenario {}: invalid SQL", scenario.name))
}

fn run_job(
    scenario: &Scenario,
    mode: Mode,
    reader: &KafkaReaderConfig,
    writer: &KafkaWriterConfig,
    opts: &RunOptions,
    mut latency: LatencyRecorder,
) -> anyhow::Result<Measured> {
    let config = JobConfig {
        synthetic_cost_ns: opts.synthetic_cost_ns,
        ..JobConfig::default()
    };
    let mut engine = engine(scenario)?;
    let out_schema = engine.output_schema().clone();
    match mode {
        Mode::Sync => {
            let (mut source, mut sink) = shielded(|| -> anyhow::Result<_> {
                let source = SyncKafkaReader::new(reader, scenario.schema())?;
                let sink: Box<dyn SyncWriter> = match &opts.sink {
                    Sink::Kafka => Box::new(SyncKafkaWriter::new(writer, out_schema)?),
                    Sink::File(path) => Box::new(JsonlWriter::create(path, out_schema)?),
                    Sink::Discard => Box::new(MemoryWriter::counting()),
                };
                Ok((source, sink))
            })?;
            let meter = Meter::start(opts.profile)?;
            let stats = SyncJobProcessor::new(config).process_job(
                &mut source,
                sink.as_mut(),
                &mut engine,
                &mut latency,
            );
            finish(
                meter,
                stats.map_err(|f| failed(f.error, &f.partial)),
                &latency,
            )
        }
        Mode::Tokio => {
            let processor = TokioJobProcessor::new(config).context("starting the tokio runtime")?;
            let (source, sink) = async_clients(
                processor.runtime(),
                || ShimKafkaReader::new(reader, scenario.schema()),
                |schema| ShimKafkaWriter::new(writer, schema),
                &opts.sink,
                out_schema,
            )?;
            let meter = Meter::start(opts.profile)?;
            finish_async(meter, processor.process_job(source, sink, engine, latency))
        }
        Mode::TokioNative => {
            let processor =
                NativeTokioJobProcessor::new(config).context("starting the tokio runtime")?;
            let (source, sink) = async_clients(
                processor.runtime(),
                || NativeKafkaReader::new(reader, scenario.schema()),
                |schema| NativeKafkaWriter::new(writer, schema),
                &opts.sink,
                out_schema,
            )?;
            let meter = Meter::start(opts.profile)?;
            finish_async(meter, processor.process_job(source, sink, engine, latency))
        }
    }
}

/// Builds a tokio mode's clients inside its runtime (native clients need one),
/// with SIGPROF blocked for librdkafka's threads.
fn async_clients<R: AsyncReader + 'static, W: AsyncWriter + 'static>(
    runtime: &tokio::runtime::Runtime,
    kafka_reader: impl FnOnce() -> Result<R, IoError>,
    kafka_writer: impl FnOnce(Schema) -> Result<W, IoError>,
    sink: &Sink,
    out_schema: Schema,
) -> anyhow::Result<(Box<dyn AsyncReader>, Box<dyn AsyncWriter>)> {
    shielded(|| {
        let _inside = runtime.enter();
        let source: Box<dyn AsyncReader> = Box::new(kafka_reader()?);
        let sink: Box<dyn AsyncWriter> = match sink {
            Sink::Kafka => Box::new(kafka_writer(out_schema)?),
            Sink::File(path) => Box::new(JsonlWriter::create(path, out_schema)?),
            Sink::Discard => Box::new(MemoryWriter::counting()),
        };
        Ok((source, sink))
    })
}

fn failed(error: impl std::fmt::Display, partial: &JobStats) -> anyhow::Error {
    anyhow::anyhow!(
        "{error} (incomplete: {} records read, {} emitted before the failure)",
        partial.records_read,
        partial.emitted
    )
}

fn finish(
    meter: Meter,
    stats: anyhow::Result<JobStats>,
    latency: &LatencyRecorder,
) -> anyhow::Result<Measured> {
    let stats = stats?;
    meter.stop(stats, latency)
}

fn finish_async(
    meter: Meter,
    result: Result<(JobStats, LatencyRecorder), tokio_tax_engine::job::JobFailure>,
) -> anyhow::Result<Measured> {
    match result {
        Ok((stats, latency)) => meter.stop(stats, &latency),
        Err(f) => Err(failed(&f.error, &f.partial)),
    }
}

/// The broker ceiling: poll and drop, no engine, same topic shape and loader.
pub fn run_ceiling(scenario: &Scenario, broker: &Broker, opts: &RunOptions) -> anyhow::Result<f64> {
    let input = unique_name(&scenario.name, "ceiling");
    broker.create_topic(&input, scenario.source.partitions as i32)?;
    let result = (|| {
        let progress = Arc::new(AtomicU64::new(0));
        let loader = shielded(|| {
            Loader::start(
                &scenario.source,
                &broker.bootstrap,
                &input,
                broker.partition_capacity,
                Arc::clone(&progress),
                opts.timeout,
                None,
            )
        })?;
        let config = reader_config(
            scenario,
            broker,
            &input,
            Mode::Sync,
            Arc::clone(&progress),
            opts,
        );
        let consumer: BaseConsumer = shielded(|| create_base_consumer(&config))?;
        // As in every mode, the clock starts at the first record.
        let mut started = None;
        let mut last = Instant::now();
        let mut consumed = 0u64;
        while consumed < scenario.source.records {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(_)) => {
                    started.get_or_insert_with(Instant::now);
                    consumed += 1;
                    progress.store(consumed, std::sync::atomic::Ordering::Relaxed);
                    last = Instant::now();
                }
                Some(Err(e)) => bail!("polling {input}: {e}"),
                None if last.elapsed() > opts.timeout => {
                    bail!(
                        "no message from {input} for {:?} (consumed {consumed} of {})",
                        opts.timeout,
                        scenario.source.records
                    )
                }
                None => {}
            }
        }
        let rps = consumed as f64 / started.map_or(0.0, |s| s.elapsed().as_secs_f64()).max(1e-9);
        loader.finish()?;
        Ok(rps)
    })();
    broker.delete_topics(&[&input]);
    result.with_context(|| format!("scenario {}: broker ceiling", scenario.name))
}

/// The output schema a scenario's rows have (for `run --sink file:`).
pub fn output_schema(scenario: &Scenario) -> anyhow::Result<Schema> {
    Ok(engine(scenario)?.output_schema().clone())
}
