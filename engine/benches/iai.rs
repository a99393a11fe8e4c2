//! Instruction counts for the engine hot path (valgrind's callgrind): exact and
//! repeatable on a noisy machine, so CI can gate on them.
//! Run with `cargo bench -p tokio-tax-engine --bench iai` after `scripts/setup-iai.sh`.

use std::hint::black_box;

use iai_callgrind::{library_benchmark, library_benchmark_group, main};
use tokio_tax_engine::{Engine, EngineConfig, Record};

mod common;

const RECORDS: usize = 20_000;

/// A warm engine (windows and groups exist) and the next batch, in event-time order.
fn warm_engine(query: &str) -> (Engine, Vec<Record>) {
    let (_, sql) = common::queries()
        .into_iter()
        .find(|(name, _)| *name == query)
        .expect("bench query exists");
    let mut engine = Engine::from_sql(sql, &common::bids(), EngineConfig::default())
        .expect("bench SQL is valid");
    let input = common::records(RECORDS);
    engine.process_batch(&input, &mut Vec::new());
    (engine, common::shifted(&input, RECORDS as i64 / 10))
}

#[library_benchmark]
#[bench::tumble_5_aggs_10k_keys(warm_engine("tumble_5_aggs_10k_keys"))]
#[bench::q2_filter(warm_engine("q2_filter"))]
#[bench::q5_hop_count(warm_engine("q5_hop_count"))]
#[bench::q11_session_count(warm_engine("q11_session_count"))]
fn engine_process_batch(input: (Engine, Vec<Record>)) -> usize {
    let (mut engine, batch) = input;
    let mut out = Vec::new();
    engine.process_batch(black_box(&batch), &mut out);
    black_box(out.len())
}

library_benchmark_group!(name = engine; benchmarks = engine_process_batch);
main!(library_benchmark_groups = engine);
