//! Broker trouble ends a run with a clear error within the timeout, and bad
//! payloads are counted and skipped, never fatal.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use tokio_tax::kafka::{Broker, BrokerKind};
use tokio_tax::mode::Mode;
use tokio_tax::runner::{run_mode, RunOptions, Sink};
use tokio_tax::scenario::Scenario;
use tokio_tax_engine::io::kafka::sync::{SyncKafkaReader, SyncKafkaWriter};
use tokio_tax_engine::io::kafka::{KafkaReaderConfig, KafkaWriterConfig};
use tokio_tax_engine::io::memory::MemoryWriter;
use tokio_tax_engine::io::SyncReader;
use tokio_tax_engine::job::{JobConfig, SyncJobProcessor};
use tokio_tax_engine::{DataType, Engine, EngineConfig, Schema};

const TOPIC: &str = "input";

fn schema() -> Schema {
    Schema::new([("k", DataType::Int), ("ts", DataType::Timestamp)])
}

fn reader_config(bootstrap: &str, expected: u64, idle: Duration) -> KafkaReaderConfig {
    KafkaReaderConfig {
        bootstrap: bootstrap.to_string(),
        topic: TOPIC.to_string(),
        partitions: 2,
        group_id: "tests".to_string(),
        batch_size: 100,
        poll_timeout: Duration::from_millis(50),
        idle_timeout: idle,
        expected_records: expected,
        progress: Arc::new(AtomicU64::new(0)),
    }
}

fn produce(bootstrap: &str, payloads: &[Vec<u8>]) {
    let config = KafkaWriterConfig {
        bootstrap: bootstrap.into(),
        topic: TOPIC.into(),
        flush_timeout: Duration::from_secs(10),
        linger_ms: 5,
    };
    let mut writer = SyncKafkaWriter::new(&config, Schema::default()).unwrap();
    for (i, p) in payloads.iter().enumerate() {
        writer.write_payload(p, (i % 2) as i32).unwrap();
    }
    writer.flush_and_check().unwrap();
}

#[test]
fn broker_gone_mid_run_is_a_clear_error_within_the_timeout() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic(TOPIC, 2, 1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let payloads: Vec<Vec<u8>> = (0..2_000)
        .map(|i| format!(r#"{{"k": {i}, "ts": {i}}}"#).into_bytes())
        .collect();
    produce(&bootstrap, &payloads);
    let idle = Duration::from_secs(2);
    // The run expects more than the broker will ever deliver once it is down.
    let mut reader =
        SyncKafkaReader::new(&reader_config(&bootstrap, 4_000, idle), schema()).unwrap();
    let mut read = 0;
    while read < 500 {
        read += reader.read().unwrap().len();
    }
    cluster.broker_down(1).unwrap();
    let started = Instant::now();
    let error = loop {
        match reader.read() {
            Ok(_) => assert!(
                started.elapsed() < idle * 3,
                "no error after {:?}",
                started.elapsed()
            ),
            Err(e) => break e,
        }
    };
    let waited = started.elapsed();
    let text = error.to_string();
    // librdkafka may report the lost broker itself (AllBrokersDown), or go
    // silent until the idle timeout; either way the error names the broker.
    assert!(text.contains("broker"), "{text}");
    assert!(waited < idle * 3, "gave up after {waited:?}");
}

#[test]
fn unreachable_broker_fails_within_the_timeout() {
    let broker = Broker::start(
        BrokerKind::External {
            bootstrap: "127.0.0.1:1".into(),
            topic_service: None,
        },
        Duration::from_secs(3),
    );
    let started = Instant::now();
    let result = broker.and_then(|b| {
        let s = Scenario::parse(
            "name = \"x\"\ndescription = \"x\"\nsql = \"SELECT * FROM bid\"\n[source]\ngenerator = \"nexmark\"\nrecords = 10\nkeys = 1\n",
            std::path::Path::new("x.toml"),
        )?;
        let opts = RunOptions { timeout: Duration::from_secs(3), profile: false, synthetic_cost_ns: 0, latency_rate: None, sink: Sink::Discard };
        run_mode(&s, Mode::Sync, &b, &opts).map(drop)
    });
    let error = format!("{:#}", result.unwrap_err());
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert!(error.contains("127.0.0.1:1"), "{error}");
}

#[test]
fn malformed_payloads_are_counted_and_the_run_completes() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic(TOPIC, 2, 1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let mut payloads: Vec<Vec<u8>> = (0..1_000)
        .map(|i| format!(r#"{{"k": {i}, "ts": {i}}}"#).into_bytes())
        .collect();
    payloads[10] = b"{not json".to_vec();
    payloads[20] = br#"{"k": "seven", "ts": 1}"#.to_vec();
    payloads[30] = br#"{"ts": 1}"#.to_vec();
    payloads[40] = b"[]".to_vec();
    produce(&bootstrap, &payloads);
    let mut reader = SyncKafkaReader::new(
        &reader_config(&bootstrap, 1_000, Duration::from_secs(10)),
        schema(),
    )
    .unwrap();
    let mut engine =
        Engine::from_sql("SELECT k FROM input", &schema(), EngineConfig::default()).unwrap();
    let mut writer = MemoryWriter::counting();
    let stats = SyncJobProcessor::new(JobConfig::default())
        .process_job(&mut reader, &mut writer, &mut engine, &mut ())
        .unwrap();
    assert_eq!(stats.undecodable, 4);
    assert_eq!(stats.rejected, 4);
    assert_eq!(stats.records_read, 996);
    assert_eq!(stats.emitted, 996);
}

#[test]
fn testcontainers_without_docker_fails_at_once_and_names_the_alternatives() {
    if tokio_tax::kafka::broker::docker_reachable().is_ok() {
        eprintln!("SKIPPED: a Docker engine answers here");
        return;
    }
    let started = Instant::now();
    let error = match Broker::start(BrokerKind::Testcontainers, Duration::from_secs(30)) {
        Ok(_) => panic!("started without Docker"),
        Err(e) => format!("{e:#}"),
    };
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        error.contains("--kafka embedded") && error.contains("--kafka external"),
        "{error}"
    );
}
