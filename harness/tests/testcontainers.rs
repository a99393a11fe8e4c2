//! Apache Kafka in Docker (feature `testcontainers`). Where no Docker engine
//! answers, the test says it was skipped and why.
#![cfg(feature = "testcontainers")]

use std::time::Duration;

use tokio_tax::kafka::broker::docker_reachable;
use tokio_tax::kafka::{Broker, BrokerKind};
use tokio_tax::mode::Mode;
use tokio_tax::runner::{run_mode, RunOptions, Sink};
use tokio_tax::scenario::Scenario;

#[test]
fn every_mode_on_kafka_in_docker() {
    if let Err(why) = docker_reachable() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    let broker = Broker::start(BrokerKind::Testcontainers, Duration::from_secs(120)).unwrap();
    let s = Scenario::parse(
        "name = \"tc\"\ndescription = \"x\"\n\
         sql = \"SELECT auction, COUNT(*) AS n FROM bid GROUP BY auction, TUMBLE(date_time, INTERVAL '1' SECOND)\"\n\
         [source]\ngenerator = \"nexmark\"\nrecords = 2000\nkeys = 20\npartitions = 2\n",
        std::path::Path::new("tc.toml"),
    )
    .unwrap();
    let opts = RunOptions {
        timeout: Duration::from_secs(60),
        profile: false,
        synthetic_cost_ns: 0,
        latency_rate: None,
        sink: Sink::Kafka,
    };
    let digests: Vec<_> = Mode::ALL
        .iter()
        .map(|m| run_mode(&s, *m, &broker, &opts).unwrap().stats.digest)
        .collect();
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "{digests:?}");
}
