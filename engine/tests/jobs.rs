//! The sync and tokio job processors emit the same rows for every window kind.

use tokio_tax_engine::io::memory::{MemoryReader, MemoryWriter};
use tokio_tax_engine::job::{
    JobConfig, JobStats, NativeTokioJobProcessor, SyncJobProcessor, TokioJobProcessor,
};
use tokio_tax_engine::{DataType, Engine, EngineConfig, Record, Schema, Value};

const PARTITIONS: i32 = 3;

fn schema() -> Schema {
    Schema::new([
        ("k", DataType::Int),
        ("price", DataType::Float),
        ("ts", DataType::Timestamp),
    ])
}

fn records() -> Vec<Record> {
    (0..30_000i64)
        .map(|i| {
            let values = vec![
                Value::Int(i * 7 % 101),
                Value::Float((i % 997) as f64 * 0.37),
                Value::Timestamp(i * 3),
            ];
            Record::at(
                values,
                (i % i64::from(PARTITIONS)) as i32,
                i / i64::from(PARTITIONS),
            )
        })
        .collect()
}

fn engine(sql: &str) -> Engine {
    let config = EngineConfig {
        partitions: PARTITIONS as u32,
        max_out_of_order_ms: 0,
    };
    Engine::from_sql(sql, &schema(), config).unwrap()
}

fn all_modes(sql: &str) -> [JobStats; 3] {
    let config = JobConfig::default();
    let input = records();
    let sync = {
        let mut writer = MemoryWriter::counting();
        SyncJobProcessor::new(config)
            .process_job(
                &mut MemoryReader::new(input.clone(), 500),
                &mut writer,
                &mut engine(sql),
                &mut (),
            )
            .unwrap()
    };
    let tokio = TokioJobProcessor::new(config)
        .unwrap()
        .process_job(
            Box::new(MemoryReader::new(input.clone(), 500)),
            Box::new(MemoryWriter::counting()),
            engine(sql),
            (),
        )
        .unwrap()
        .0;
    let native = NativeTokioJobProcessor::new(config)
        .unwrap()
        .process_job(
            Box::new(MemoryReader::new(input, 500)),
            Box::new(MemoryWriter::counting()),
            engine(sql),
            (),
        )
        .unwrap()
        .0;
    [sync, tokio, native]
}

#[test]
fn every_mode_emits_the_same_rows_for_every_window_kind() {
    for window in [
        "TUMBLE(ts, INTERVAL '1' SECOND)",
        "HOP(ts, INTERVAL '500' MILLISECOND, INTERVAL '2' SECOND)",
        "SESSION(ts, INTERVAL '300' MILLISECOND)",
    ] {
        let sql = format!("SELECT k, COUNT(*) AS n, SUM(price) AS s, AVG(price) AS a, MAX(price) AS m FROM t GROUP BY k, {window}");
        let [sync, tokio, native] = all_modes(&sql);
        assert!(sync.emitted > 0, "{window}");
        assert_eq!(sync.records_read, 30_000);
        assert_eq!(sync.digest, tokio.digest, "{window}: sync vs tokio");
        assert_eq!(sync.digest, native.digest, "{window}: sync vs tokio-native");
        assert_eq!(
            (sync.processed, sync.emitted, sync.late),
            (tokio.processed, tokio.emitted, tokio.late)
        );
        assert_eq!(sync.batches, 60);
    }
}

#[test]
fn projections_agree_too() {
    let [sync, tokio, native] = all_modes("SELECT k, price * 0.908 AS euro FROM t WHERE k % 3 = 0");
    assert_eq!(sync.digest, tokio.digest);
    assert_eq!(sync.digest, native.digest);
    assert_eq!(sync.emitted + sync.filtered, 30_000);
}

#[test]
fn synthetic_cost_keeps_results() {
    let config = JobConfig {
        synthetic_cost_ns: 1_000,
        ..JobConfig::default()
    };
    let input: Vec<Record> = records().into_iter().take(2_000).collect();
    let sql = "SELECT k, COUNT(*) AS n FROM t GROUP BY k, TUMBLE(ts, INTERVAL '1' SECOND)";
    let mut writer = MemoryWriter::keeping();
    let stats = SyncJobProcessor::new(config)
        .process_job(
            &mut MemoryReader::new(input, 100),
            &mut writer,
            &mut engine(sql),
            &mut (),
        )
        .unwrap();
    assert_eq!(stats.records_read, 2_000);
    assert_eq!(
        writer.digest, stats.digest,
        "the writer saw exactly what the job digested"
    );
    assert_eq!(writer.rows.len() as u64, stats.emitted);
}
