//! The whole pipeline without a broker (memory reader -> engine -> counting
//! writer) in each mode, one group per scenario, ids `<scenario>/<mode>`.
//! Records are decoded once up front and runtimes built once per mode, so an
//! iteration is one job: what differs between modes is only the plumbing.
//!
//! `cargo bench -p tokio-tax --bench pipeline -- --profile-time 5 nexmark-q5/tokio`
//! writes a flamegraph under `target/criterion/nexmark-q5/tokio/profile/`.

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use tokio_tax::datagen::generate;
use tokio_tax::profile::criterion_hook::PprofProfiler;
use tokio_tax::scenario::{load_dir, select, Scenario};
use tokio_tax_engine::decode::decode_json;
use tokio_tax_engine::io::memory::{MemoryReader, MemoryWriter};
use tokio_tax_engine::job::{
    JobConfig, NativeTokioJobProcessor, SyncJobProcessor, TokioJobProcessor,
};
use tokio_tax_engine::{Engine, Record};

const SCENARIOS: [&str; 3] = ["nexmark-q0", "nexmark-q5", "fr081-tumbling"];
const RECORDS: u64 = 50_000;
/// Workers for the tokio runtimes: the machine has 2 cores.
const WORKERS: usize = 2;

/// `RECORDS` records of a scenario in scenarios/, decoded once.
fn decoded(name: &str) -> (Scenario, Arc<[Record]>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let scenario = select(load_dir(&dir).expect("scenarios load"), &[name.into()])
        .expect("scenario exists")
        .remove(0)
        .with_records(RECORDS);
    let schema = scenario.schema();
    let mut offsets = vec![0i64; scenario.source.partitions.max(1) as usize];
    let records = generate(&scenario.source)
        .map(|g| {
            let offset = &mut offsets[g.partition as usize];
            *offset += 1;
            decode_json(&g.payload, &schema, g.partition, *offset - 1).expect("payload decodes")
        })
        .collect();
    (scenario, records)
}

fn pipeline(c: &mut Criterion) {
    let tokio_config = JobConfig {
        worker_threads: WORKERS,
        ..JobConfig::default()
    };
    let sync = SyncJobProcessor::new(JobConfig::default());
    let tokio = TokioJobProcessor::new(tokio_config).expect("tokio runtime");
    let native = NativeTokioJobProcessor::new(tokio_config).expect("tokio runtime");

    for name in SCENARIOS {
        let (scenario, records) = decoded(name);
        let job = || {
            let engine =
                Engine::from_sql(&scenario.sql, &scenario.schema(), scenario.engine_config())
                    .expect("scenario SQL is valid");
            let reader = MemoryReader::new(Arc::clone(&records), scenario.run.batch_size);
            (reader, MemoryWriter::counting(), engine)
        };
        let mut g = c.benchmark_group(name);
        // One iteration is a whole job of tens of milliseconds.
        g.sampling_mode(SamplingMode::Flat).sample_size(20);
        g.throughput(Throughput::Elements(records.len() as u64));
        g.bench_function("sync", |b| {
            b.iter_batched(
                job,
                |(mut reader, mut writer, mut engine)| {
                    sync.process_job(&mut reader, &mut writer, &mut engine, &mut ())
                        .expect("in-memory job")
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function("tokio", |b| {
            b.iter_batched(
                job,
                |(reader, writer, engine)| {
                    tokio
                        .process_job(Box::new(reader), Box::new(writer), engine, ())
                        .expect("in-memory job")
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function("tokio-native", |b| {
            b.iter_batched(
                job,
                |(reader, writer, engine)| {
                    native
                        .process_job(Box::new(reader), Box::new(writer), engine, ())
                        .expect("in-memory job")
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_profiler(PprofProfiler::new(997));
    targets = pipeline
}
criterion_main!(benches);
