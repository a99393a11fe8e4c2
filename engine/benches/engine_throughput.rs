//! Engine throughput on pre-decoded records: `process_batch` alone, no I/O.
//! The headline case is TUMBLE with COUNT/SUM/AVG/MIN/MAX over 10,000 keys.

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, Throughput,
};
use tokio_tax_engine::{Engine, EngineConfig, Record, Schema, Value};

const RECORDS: usize = 200_000;

mod common;

use common::{bids, queries, records, scenario_workloads, shifted_at};

/// The headline queries over 10,000 keys, then every scenario's query.
fn engine_throughput(c: &mut Criterion) {
    let input = records(RECORDS);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(20);
    for (name, sql) in queries() {
        bench_warm(&mut group, name, &bids(), sql, &input, 4);
    }
    group.finish();

    let mut group = c.benchmark_group("scenario");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(20);
    for w in scenario_workloads(RECORDS) {
        bench_warm(
            &mut group,
            &w.name,
            &w.schema,
            &w.sql,
            &w.records,
            w.time_column,
        );
    }
    group.finish();
}

/// `process_batch` on a warm engine (windows and groups exist, as in a
/// long-running job); each pass continues in event time, so windows keep
/// opening and closing.
fn bench_warm(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    schema: &Schema,
    sql: &str,
    input: &[Record],
    time_column: usize,
) {
    let mut engine =
        Engine::from_sql(sql, schema, EngineConfig::default()).expect("bench SQL is valid");
    let mut out = Vec::with_capacity(input.len());
    engine.process_batch(input, &mut out);
    let span = event_span_ms(input, time_column);
    let mut offset = 0i64;
    group.bench_function(name, |b| {
        b.iter_batched_ref(
            || {
                offset += span;
                shifted_at(input, time_column, offset)
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

fn event_span_ms(input: &[Record], time_column: usize) -> i64 {
    let time = |r: Option<&Record>| match r.map(|r| &r.values[time_column]) {
        Some(Value::Timestamp(t)) => *t,
        _ => 0,
    };
    time(input.last()) - time(input.first()) + 1
}

criterion_group!(benches, engine_throughput);
criterion_main!(benches);
