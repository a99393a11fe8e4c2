//! Inputs shared by the engine's criterion and iai-callgrind benches.

use tokio_tax_engine::{DataType, Record, Schema, Value};

pub const KEYS: i64 = 10_000;

pub fn bids() -> Schema {
    Schema::new([
        ("auction", DataType::Int),
        ("bidder", DataType::Int),
        ("price", DataType::Int),
        ("channel", DataType::Str),
        ("date_time", DataType::Timestamp),
    ])
}

/// 10 records per ms of event time, keys spread by a multiplicative hash.
pub fn records(n: usize) -> Vec<Record> {
    let channels: Vec<Value> = ["Google", "Facebook", "Baidu", "Apple"]
        .map(|c| Value::Str(c.into()))
        .to_vec();
    (0..n as i64)
        .map(|i| {
            let auction = (i.wrapping_mul(2_654_435_761)).rem_euclid(KEYS);
            let values = vec![
                Value::Int(auction),
                Value::Int(i % 1_000),
                Value::Int(100 + (i * 31) % 10_000),
                channels[(i % 4) as usize].clone(),
                Value::Timestamp(1_700_000_000_000 + i / 10),
            ];
            Record::at(values, 0, i)
        })
        .collect()
}

pub fn queries() -> [(&'static str, &'static str); 5] {
    [
        ("q0_passthrough", "SELECT * FROM bid"),
        ("q2_filter", "SELECT auction, price FROM bid WHERE auction % 123 = 0"),
        (
            "tumble_5_aggs_10k_keys",
            "SELECT auction, COUNT(*) AS n, SUM(price) AS s, AVG(price) AS a, MIN(price) AS lo, MAX(price) AS hi \
             FROM bid GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND)",
        ),
        (
            "q5_hop_count",
            "SELECT auction, COUNT(*) AS n FROM bid GROUP BY auction, HOP(date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)",
        ),
        (
            "q11_session_count",
            "SELECT bidder, COUNT(*) AS n FROM bid GROUP BY bidder, SESSION(date_time, INTERVAL '10' SECOND)",
        ),
    ]
}

/// The records moved `offset_ms` later in event time.
pub fn shifted(input: &[Record], offset_ms: i64) -> Vec<Record> {
    input
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Value::Timestamp(t) = &mut r.values[4] {
                *t += offset_ms;
            }
            r
        })
        .collect()
}
