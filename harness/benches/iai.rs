//! Instructions per job of the in-memory pipeline (memory reader -> engine ->
//! counting writer) in each mode: exact enough for CI to gate on, and the
//! per-record difference between the modes is the tokio tax in instructions.
//! Run with `scripts/ci-gate.sh`, or `cargo bench -p tokio-tax --bench iai`
//! after `scripts/setup-iai.sh`.
//!
//! Worker threads: callgrind switches collection on and off per thread, and
//! the default entry point switches it on only in the thread that calls the
//! bench function. In the tokio modes that thread just parks in `block_on`
//! while the runtime's workers do the job, so the toggle below also counts
//! each worker from entering tokio's worker loop to leaving it: the job plus
//! a small fixed cost for the workers' first park and their shutdown.
//! `--separate-threads=yes` (iai-callgrind's default) keeps one profile per
//! thread and the summary's total, which the gate reads, adds them up.

use std::path::Path;
use std::sync::Arc;

use iai_callgrind::{
    library_benchmark, library_benchmark_group, main, Callgrind, LibraryBenchmarkConfig,
};
use tokio_tax::datagen::generate;
use tokio_tax::scenario::{load_dir, select, Scenario};
use tokio_tax_engine::decode::decode_json;
use tokio_tax_engine::io::memory::{MemoryReader, MemoryWriter};
use tokio_tax_engine::job::{
    JobConfig, JobStats, NativeTokioJobProcessor, SyncJobProcessor, TokioJobProcessor,
};
use tokio_tax_engine::{Engine, Record};

/// Small, so a job stays a few seconds under valgrind.
const RECORDS: u64 = 5_000;

/// Fixed rather than one per core, so the counts don't depend on the CI machine.
const WORKERS: usize = 2;

const WORKER_LOOP: &str = "--toggle-collect=tokio::runtime::scheduler::multi_thread::worker::run";

/// A fresh reader over pre-decoded records and a fresh engine for one job.
struct Job {
    reader: MemoryReader,
    engine: Engine,
}

/// `RECORDS` records of a scenario in scenarios/, decoded once, outside the measurement.
fn job(name: &str) -> Job {
    // glibc's malloc skips its locking paths until a process starts a second
    // thread; a real sync pipeline has librdkafka's threads, so don't let the
    // sync bench alone run single-threaded.
    std::thread::spawn(|| ()).join().expect("a thread starts");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let scenario: Scenario = select(load_dir(&dir).expect("scenarios load"), &[name.into()])
        .expect("scenario exists")
        .remove(0)
        .with_records(RECORDS);
    let schema = scenario.schema();
    let mut offsets = vec![0i64; scenario.source.partitions.max(1) as usize];
    let records: Arc<[Record]> = generate(&scenario.source)
        .map(|g| {
            let offset = &mut offsets[g.partition as usize];
            *offset += 1;
            decode_json(&g.payload, &schema, g.partition, *offset - 1).expect("payload decodes")
        })
        .collect();
    let engine = Engine::from_sql(&scenario.sql, &schema, scenario.engine_config())
        .expect("scenario SQL is valid");
    Job {
        reader: MemoryReader::new(records, scenario.run.batch_size),
        engine,
    }
}

fn tokio_config() -> JobConfig {
    JobConfig {
        worker_threads: WORKERS,
        ..JobConfig::default()
    }
}

/// The runtime is built here; the bench returns it so it is dropped after the measurement.
fn with_tokio(name: &str) -> (TokioJobProcessor, Job) {
    let processor = TokioJobProcessor::new(tokio_config()).expect("tokio runtime");
    (processor, job(name))
}

fn with_tokio_native(name: &str) -> (NativeTokioJobProcessor, Job) {
    let processor = NativeTokioJobProcessor::new(tokio_config()).expect("tokio runtime");
    (processor, job(name))
}

#[library_benchmark]
#[bench::nexmark_q5(job("nexmark-q5"))]
#[bench::fr081_tumbling(job("fr081-tumbling"))]
fn sync_job(job: Job) -> JobStats {
    let Job {
        mut reader,
        mut engine,
    } = job;
    SyncJobProcessor::new(JobConfig::default())
        .process_job(
            &mut reader,
            &mut MemoryWriter::counting(),
            &mut engine,
            &mut (),
        )
        .expect("in-memory job")
}

#[library_benchmark]
#[bench::nexmark_q5(with_tokio("nexmark-q5"))]
#[bench::fr081_tumbling(with_tokio("fr081-tumbling"))]
fn tokio_job(input: (TokioJobProcessor, Job)) -> (TokioJobProcessor, JobStats) {
    let (processor, job) = input;
    let (stats, ()) = processor
        .process_job(
            Box::new(job.reader),
            Box::new(MemoryWriter::counting()),
            job.engine,
            (),
        )
        .expect("in-memory job");
    (processor, stats)
}

#[library_benchmark]
#[bench::nexmark_q5(with_tokio_native("nexmark-q5"))]
#[bench::fr081_tumbling(with_tokio_native("fr081-tumbling"))]
fn tokio_native_job(input: (NativeTokioJobProcessor, Job)) -> (NativeTokioJobProcessor, JobStats) {
    let (processor, job) = input;
    let (stats, ()) = processor
        .process_job(
            Box::new(job.reader),
            Box::new(MemoryWriter::counting()),
            job.engine,
            (),
        )
        .expect("in-memory job");
    (processor, stats)
}

library_benchmark_group!(
    name = pipeline;
    config = LibraryBenchmarkConfig::default().tool(Callgrind::with_args([WORKER_LOOP]));
    benchmarks = sync_job, tokio_job, tokio_native_job
);
main!(library_benchmark_groups = pipeline);
