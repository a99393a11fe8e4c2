//! The window engine against a naive batch computation over the same records,
//! for every window kind, under random interleavings of ordered partitions.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tokio_tax_engine::{DataType, Engine, EngineConfig, Record, Schema, Value};

const GAP_OR_SIZE: i64 = 10;
const SLIDE: i64 = 4;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Tumble,
    Hop,
    Session,
}

fn schema() -> Schema {
    Schema::new([
        ("k", DataType::Int),
        ("v", DataType::Int),
        ("ts", DataType::Timestamp),
    ])
}

fn sql(kind: Kind) -> String {
    let window = match kind {
        Kind::Tumble => format!("TUMBLE(ts, INTERVAL '{GAP_OR_SIZE}' MILLISECOND)"),
        Kind::Hop => {
            format!("HOP(ts, INTERVAL '{SLIDE}' MILLISECOND, INTERVAL '{GAP_OR_SIZE}' MILLISECOND)")
        }
        Kind::Session => format!("SESSION(ts, INTERVAL '{GAP_OR_SIZE}' MILLISECOND)"),
    };
    format!("SELECT k, COUNT(*) AS n, SUM(v) AS s, MIN(v) AS lo, MAX(v) AS hi, AVG(v) AS a FROM t GROUP BY k, {window}")
}

/// (key, start, end) -> values, computed from all records at once.
fn naive(kind: Kind, records: &[(i64, i64, i64)]) -> Vec<Vec<Value>> {
    let mut windows: BTreeMap<(i64, i64, i64), Vec<i64>> = BTreeMap::new();
    match kind {
        Kind::Tumble | Kind::Hop => {
            let slide = if matches!(kind, Kind::Tumble) {
                GAP_OR_SIZE
            } else {
                SLIDE
            };
            for &(k, v, ts) in records {
                let mut start = ts - ts.rem_euclid(slide);
                while start > ts - GAP_OR_SIZE {
                    windows
                        .entry((k, start, start + GAP_OR_SIZE))
                        .or_default()
                        .push(v);
                    start -= slide;
                }
            }
        }
        Kind::Session => {
            let mut by_key: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
            for &(k, v, ts) in records {
                by_key.entry(k).or_default().push((ts, v));
            }
            for (k, mut events) in by_key {
                events.sort();
                let mut current: Option<(i64, i64, Vec<i64>)> = None;
                for (ts, v) in events {
                    match &mut current {
                        Some((_, end, vs)) if ts < *end => {
                            *end = (*end).max(ts + GAP_OR_SIZE);
                            vs.push(v);
                        }
                        _ => {
                            if let Some((s, e, vs)) = current.take() {
                                windows.insert((k, s, e), vs);
                            }
                            current = Some((ts, ts + GAP_OR_SIZE, vec![v]));
                        }
                    }
                }
                if let Some((s, e, vs)) = current {
                    windows.insert((k, s, e), vs);
                }
            }
        }
    }
    windows
        .into_iter()
        .map(|((k, start, end), vs)| {
            let sum: i64 = vs.iter().sum();
            vec![
                Value::Int(k),
                Value::Int(vs.len() as i64),
                Value::Int(sum),
                Value::Int(*vs.iter().min().unwrap()),
                Value::Int(*vs.iter().max().unwrap()),
                Value::Float(sum as f64 / vs.len() as f64),
                Value::Timestamp(start),
                Value::Timestamp(end),
            ]
        })
        .collect()
}

fn sorted_rows(rows: Vec<Record>) -> Vec<Vec<Value>> {
    let mut rows: Vec<Vec<Value>> = rows.into_iter().map(|r| r.values).collect();
    rows.sort_by_key(|r| format!("{r:?}"));
    rows
}

/// Partitions of (key, value, time), each ordered in time up to `jitter`.
fn partitions(jitter: i64) -> impl Strategy<Value = Vec<Vec<(i64, i64, i64)>>> {
    prop::collection::vec(
        prop::collection::vec((0i64..4, -50i64..50, 0i64..8), 0..40).prop_map(move |steps| {
            let mut t = 0;
            steps
                .into_iter()
                .map(|(k, v, dt)| {
                    t += dt;
                    (k, v, (t - (v.rem_euclid(jitter + 1))).max(0))
                })
                .collect()
        }),
        1..4,
    )
}

/// Merges partitions in the order `choices` picks, keeping each partition's own order.
fn interleave(parts: &[Vec<(i64, i64, i64)>], choices: &[usize]) -> Vec<Record> {
    let mut next = vec![0; parts.len()];
    let mut out = Vec::new();
    let mut choice = choices.iter().cycle();
    while out.len() < parts.iter().map(Vec::len).sum() {
        let mut p = choice.next().copied().unwrap_or(0) % parts.len();
        while next[p] == parts[p].len() {
            p = (p + 1) % parts.len();
        }
        let (k, v, ts) = parts[p][next[p]];
        out.push(Record::at(
            vec![Value::Int(k), Value::Int(v), Value::Timestamp(ts)],
            p as i32,
            next[p] as i64,
        ));
        next[p] += 1;
    }
    out
}

fn run_engine(kind: Kind, parts: usize, jitter: i64, records: &[Record]) -> (Vec<Vec<Value>>, u64) {
    let config = EngineConfig {
        partitions: parts as u32,
        max_out_of_order_ms: jitter,
    };
    let mut engine = Engine::from_sql(&sql(kind), &schema(), config).unwrap();
    let mut out = Vec::new();
    engine.process_batch(records, &mut out);
    engine.flush(&mut out);
    (sorted_rows(out), engine.counters().late)
}

fn check(
    kind: Kind,
    parts: Vec<Vec<(i64, i64, i64)>>,
    jitter: i64,
    choices: Vec<usize>,
) -> Result<(), TestCaseError> {
    let all: Vec<_> = parts.iter().flatten().copied().collect();
    let mut expected = naive(kind, &all);
    expected.sort_by_key(|r| format!("{r:?}"));
    let (got, late) = run_engine(kind, parts.len(), jitter, &interleave(&parts, &choices));
    prop_assert_eq!(late, 0);
    prop_assert_eq!(got, expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn tumble_matches_naive(parts in partitions(0), choices in prop::collection::vec(0usize..4, 1..64)) {
        check(Kind::Tumble, parts, 0, choices)?;
    }

    #[test]
    fn hop_matches_naive(parts in partitions(0), choices in prop::collection::vec(0usize..4, 1..64)) {
        check(Kind::Hop, parts, 0, choices)?;
    }

    #[test]
    fn session_matches_naive(parts in partitions(0), choices in prop::collection::vec(0usize..4, 1..64)) {
        check(Kind::Session, parts, 0, choices)?;
    }

    #[test]
    fn bounded_disorder_within_allowance_loses_nothing(
        parts in partitions(5),
        choices in prop::collection::vec(0usize..4, 1..64),
        kind in prop_oneof![Just(Kind::Tumble), Just(Kind::Hop), Just(Kind::Session)],
    ) {
        check(kind, parts, 5, choices)?;
    }
}

#[test]
fn late_records_are_dropped_and_counted() {
    let mut engine =
        Engine::from_sql(&sql(Kind::Tumble), &schema(), EngineConfig::default()).unwrap();
    let rec = |v: i64, ts: i64| {
        Record::at(
            vec![Value::Int(1), Value::Int(v), Value::Timestamp(ts)],
            0,
            0,
        )
    };
    let mut out = Vec::new();
    engine.process_batch(&[rec(1, 1), rec(2, 25), rec(3, 2)], &mut out);
    engine.flush(&mut out);
    assert_eq!(
        engine.counters().late,
        1,
        "the record at 2 ms arrived after [0, 10) fired"
    );
    let rows = sorted_rows(out);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows.iter().map(|r| r[1].clone()).collect::<Vec<_>>(),
        [Value::Int(1), Value::Int(1)]
    );
}

#[test]
fn memory_stops_growing_once_windows_close() {
    let mut engine =
        Engine::from_sql(&sql(Kind::Tumble), &schema(), EngineConfig::default()).unwrap();
    let mut out = Vec::new();
    let mut peak = 0;
    for i in 0..100_000i64 {
        let r = Record::at(
            vec![Value::Int(i % 100), Value::Int(1), Value::Timestamp(i / 10)],
            0,
            i,
        );
        engine.process_sync(&r, &mut out);
        out.clear();
        peak = peak.max(engine.open_groups());
    }
    assert!(
        peak <= 200,
        "open groups should stay near 100 keys x 1-2 windows, peaked at {peak}"
    );
}

#[test]
fn projection_filter_and_null_time() {
    let mut engine = Engine::from_sql(
        "SELECT k, v * 2 AS dbl FROM t WHERE v % 2 = 0",
        &schema(),
        EngineConfig::default(),
    )
    .unwrap();
    let mut out = Vec::new();
    for v in 0..6 {
        engine.process_sync(
            &Record::new(vec![Value::Int(7), Value::Int(v), Value::Null]),
            &mut out,
        );
    }
    assert_eq!(
        out.iter().map(|r| r.values[1].clone()).collect::<Vec<_>>(),
        [Value::Int(0), Value::Int(4), Value::Int(8)]
    );
    assert_eq!(engine.counters().filtered, 3);

    let mut windowed =
        Engine::from_sql(&sql(Kind::Tumble), &schema(), EngineConfig::default()).unwrap();
    windowed.process_sync(
        &Record::new(vec![Value::Int(1), Value::Int(1), Value::Null]),
        &mut out,
    );
    assert_eq!(
        windowed.counters().rejected,
        1,
        "a record without event time is rejected, not guessed"
    );
}
