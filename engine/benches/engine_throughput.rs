//! Engine throughput on pre-decoded records: `process_batch` alone, no I/O.
//! The headline case is TUMBLE with COUNT/SUM/AVG/MIN/MAX over 10,000 keys.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tokio_tax_engine::{Engine, EngineConfig};

const RECORDS: usize = 200_000;

mod common;

use common::{bids, queries, records, shifted};

fn engine_throughput(c: &mut Criterion) {
    let input = records(RECORDS);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(20);
    for (name, sql) in queries() {
        // A warm engine: windows and groups exist, as in a long-running job.
        let mut engine =
            Engine::from_sql(sql, &bids(), EngineConfig::default()).expect("bench SQL is valid");
        let mut out = Vec::with_capacity(RECORDS);
        engine.process_batch(&input, &mut out);
        let mut offset = 0i64;
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || {
                    // Each pass continues in event time so windows keep opening and closing.
                    offset += RECORDS as i64 / 10;
                    shifted(&input, offset)
                },
                |batch| {
                    out.clear();
                    engine.process_batch(batch, &mut out);
                    out.len()
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, engine_throughput);
criterion_main!(benches);
