//! Every mode over real Kafka-protocol brokers: consumed equals produced, and
//! the three modes emit the same rows for TUMBLE, HOP and SESSION queries.

mod common;

use std::time::Duration;

use tokio_tax::kafka::broker::tansu_available;
use tokio_tax::kafka::{Broker, BrokerKind};
use tokio_tax::mode::Mode;
use tokio_tax::runner::{run_mode, RunOptions, Sink};
use tokio_tax::scenario::Scenario;

fn scenario(name: &str, window: &str) -> Scenario {
    let text = format!(
        r#"
name = "{name}"
description = "test"
sql = "SELECT auction, COUNT(*) AS n, MAX(price) AS top FROM bid GROUP BY auction, {window}"
[source]
generator = "nexmark"
records = 3000
keys = 50
partitions = 3
events_per_second = 200
max_out_of_order_ms = 20
[run]
batch_size = 100
"#
    );
    Scenario::parse(&text, std::path::Path::new("test.toml")).unwrap()
}

fn windows() -> Vec<Scenario> {
    vec![
        scenario("tumble", "TUMBLE(date_time, INTERVAL '2' SECOND)"),
        scenario(
            "hop",
            "HOP(date_time, INTERVAL '1' SECOND, INTERVAL '3' SECOND)",
        ),
        scenario("session", "SESSION(date_time, INTERVAL '500' MILLISECOND)"),
    ]
}

fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(20),
        profile: false,
        synthetic_cost_ns: 0,
        latency_rate: None,
        sink: Sink::Kafka,
    }
}

fn every_mode_agrees(broker: &Broker) {
    for s in windows() {
        let mut digests = Vec::new();
        for mode in Mode::ALL {
            let m = run_mode(&s, mode, broker, &opts())
                .unwrap_or_else(|e| panic!("{} {mode}: {e:#}", s.name));
            assert_eq!(
                m.stats.records_read, 3000,
                "{} {mode}: consumed all that was produced",
                s.name
            );
            assert_eq!(m.stats.late, 0, "{} {mode}", s.name);
            assert!(m.stats.emitted > 0, "{} {mode}", s.name);
            digests.push((mode, m.stats.digest));
        }
        assert!(
            digests.windows(2).all(|w| w[0].1 == w[1].1),
            "{}: digests differ: {digests:?}",
            s.name
        );
    }
}

#[test]
fn embedded_broker_every_mode_every_window() {
    let broker = Broker::start(BrokerKind::Embedded, Duration::from_secs(20)).unwrap();
    every_mode_agrees(&broker);
}

#[test]
fn tansu_broker_every_mode_every_window() {
    if !tansu_available() {
        eprintln!("SKIPPED: no tansu binary (scripts/start-tansu.sh --install-only installs it; TANSU=path overrides)");
        return;
    }
    let broker = Broker::start(BrokerKind::Tansu, Duration::from_secs(30)).unwrap();
    every_mode_agrees(&broker);
}

#[test]
fn file_sink_writes_window_bounds_as_columns() {
    let broker = Broker::start(BrokerKind::Embedded, Duration::from_secs(20)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let s = &windows()[0];
    let options = RunOptions {
        sink: Sink::File(path.clone()),
        ..opts()
    };
    let m = run_mode(s, Mode::Sync, &broker, &options).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count() as u64, m.stats.emitted);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    for column in ["auction", "n", "top", "window_start", "window_end"] {
        assert!(first.get(column).is_some(), "{column} missing in {first}");
    }
    assert_eq!(
        first["window_end"].as_i64().unwrap() - first["window_start"].as_i64().unwrap(),
        2_000
    );
}

#[test]
fn a_second_harness_runs_against_tokio_tax_broker() {
    use std::io::BufRead;
    use std::process::Stdio;

    let mut broker = common::tokio_tax()
        .arg("broker")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(broker.stdout.take().unwrap()).lines();
    let mut field = |key: &str| {
        let line = lines.next().unwrap().unwrap();
        line.strip_prefix(&format!("{key}="))
            .unwrap_or_else(|| panic!("expected {key}=, got {line}"))
            .to_string()
    };
    let bootstrap = field("bootstrap");
    let service = field("topic_service");
    let run = common::tokio_tax()
        .args([
            "run",
            "nexmark-q7",
            "--mode",
            "tokio",
            "--records",
            "3000",
            "--timeout",
            "20",
        ])
        .args([
            "--kafka",
            "external",
            "--bootstrap",
            &bootstrap,
            "--topic-service",
            &service,
        ])
        .output()
        .unwrap();
    let _ = broker.kill();
    let _ = broker.wait();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("3000 records"));
}
