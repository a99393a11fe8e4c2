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
#[allow(dead_code)] // used by the iai bench only
pub fn shifted(input: &[Record], offset_ms: i64) -> Vec<Record> {
    shifted_at(input, 4, offset_ms)
}

/// One scenario file's query over records shaped like its generator's.
#[allow(dead_code)] // each bench target uses its own part of this module
pub struct Workload {
    pub name: String,
    pub sql: String,
    pub schema: Schema,
    pub records: Vec<Record>,
    pub time_column: usize,
}

/// Every scenario in ../scenarios, so the engine is benched on exactly the
/// queries `tokio-tax compare` runs (the harness's generators live in the
/// harness crate; these records have the same columns and key spaces).
#[allow(dead_code)]
pub fn scenario_workloads(n: usize) -> Vec<Workload> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("the scenarios directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("scenario file is readable");
            let doc: toml::Table = toml::from_str(&text).expect("scenario file is TOML");
            let name = doc["name"]
                .as_str()
                .expect("scenario has a name")
                .to_string();
            let sql = doc["sql"].as_str().expect("scenario has sql").to_string();
            let source = doc["source"].as_table().expect("scenario has a source");
            let keys = source["keys"].as_integer().expect("source has keys");
            match source["generator"].as_str() {
                Some("trades") => Workload {
                    name,
                    sql,
                    schema: trades(),
                    records: trade_records(n, keys),
                    time_column: 4,
                },
                _ => Workload {
                    name,
                    sql,
                    schema: nexmark_bids(),
                    records: bid_records(n, keys),
                    time_column: 5,
                },
            }
        })
        .collect()
}

fn nexmark_bids() -> Schema {
    Schema::new([
        ("auction", DataType::Int),
        ("bidder", DataType::Int),
        ("price", DataType::Int),
        ("channel", DataType::Str),
        ("url", DataType::Str),
        ("date_time", DataType::Timestamp),
        ("extra", DataType::Str),
    ])
}

fn trades() -> Schema {
    Schema::new([
        ("symbol", DataType::Str),
        ("trader_id", DataType::Str),
        ("price", DataType::Float),
        ("quantity", DataType::Int),
        ("trade_time", DataType::Timestamp),
    ])
}

/// 2 records per ms of event time, as the scenarios' 2,000 events/s.
fn bid_records(n: usize, keys: i64) -> Vec<Record> {
    let channels: Vec<Value> = ["Google", "Facebook", "Baidu", "Apple"]
        .map(|c| Value::Str(c.into()))
        .to_vec();
    let url: Value = Value::Str("https://www.nexmark.com/item.htm?query=1".into());
    let extra: Value = Value::Str("".into());
    (0..n as i64)
        .map(|i| {
            let values = vec![
                Value::Int(i.wrapping_mul(2_654_435_761).rem_euclid(keys)),
                Value::Int(i.wrapping_mul(40_503).rem_euclid(keys)),
                Value::Int(100 + (i * 31) % 10_000),
                channels[(i % 4) as usize].clone(),
                url.clone(),
                Value::Timestamp(1_700_000_000_000 + i / 2),
                extra.clone(),
            ];
            Record::at(values, 0, i)
        })
        .collect()
}

/// 1 record per 2 ms of event time, as the trades scenarios' 500 events/s.
fn trade_records(n: usize, keys: i64) -> Vec<Record> {
    let symbols: Vec<Value> = (0..64)
        .map(|s| Value::Str(format!("SYM{s:02}").into()))
        .collect();
    let traders: Vec<Value> = (0..keys)
        .map(|t| Value::Str(format!("T{t:06}").into()))
        .collect();
    (0..n as i64)
        .map(|i| {
            let values = vec![
                symbols[(i % 64) as usize].clone(),
                traders[i.wrapping_mul(2_654_435_761).rem_euclid(keys) as usize].clone(),
                Value::Float(100.0 + (i % 1_000) as f64 * 0.01),
                Value::Int(1 + i % 1_000),
                Value::Timestamp(1_700_000_000_000 + i * 2),
            ];
            Record::at(values, 0, i)
        })
        .collect()
}

/// The records moved `offset_ms` later in event time, in column `time_column`.
#[allow(dead_code)]
pub fn shifted_at(input: &[Record], time_column: usize, offset_ms: i64) -> Vec<Record> {
    input
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Value::Timestamp(t) = &mut r.values[time_column] {
                *t += offset_ms;
            }
            r
        })
        .collect()
}
