//! Where the Kafka protocol comes from. Every kind ends up as a bootstrap
//! address; the harness owns and stops whatever it started.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use super::topics::Admin;

/// `--kafka`: which broker to run against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerKind {
    /// librdkafka's in-process mock cluster: no install, the default.
    Embedded,
    /// tansu, a separate Kafka-compatible broker process on loopback.
    Tansu,
    /// An existing cluster.
    External {
        bootstrap: String,
        /// A `tokio-tax broker` topic service, for its mock's missing CreateTopics.
        topic_service: Option<String>,
    },
    /// Apache Kafka in Docker (needs the `testcontainers` feature and a Docker engine).
    Testcontainers,
}

impl BrokerKind {
    /// `--kafka KIND [--bootstrap ADDRS] [--topic-service ADDR]`.
    pub fn parse(
        kind: &str,
        bootstrap: Option<&str>,
        topic_service: Option<&str>,
    ) -> anyhow::Result<BrokerKind> {
        if topic_service.is_some() && kind != "external" {
            bail!("--topic-service only goes with --kafka external");
        }
        match (kind, bootstrap) {
            ("embedded", None) => Ok(BrokerKind::Embedded),
            ("tansu", None) => Ok(BrokerKind::Tansu),
            ("testcontainers", None) => Ok(BrokerKind::Testcontainers),
            ("external", Some(b)) if !b.trim().is_empty() => Ok(BrokerKind::External {
                bootstrap: b.to_string(),
                topic_service: topic_service.map(str::to_string),
            }),
            ("external", _) => bail!("--kafka external needs --bootstrap HOST:PORT[,HOST:PORT...]"),
            (_, Some(_)) => bail!("--bootstrap only goes with --kafka external"),
            (other, None) => {
                bail!("unknown --kafka '{other}'; use embedded, tansu, external or testcontainers")
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            BrokerKind::Embedded => "embedded",
            BrokerKind::Tansu => "tansu",
            BrokerKind::External { .. } => "external",
            BrokerKind::Testcontainers => "testcontainers",
        }
    }
}

/// A running broker; dropping it stops what the harness started.
pub struct Broker {
    pub kind: BrokerKind,
    pub bootstrap: String,
    timeout: Duration,
    admin: Option<Admin>,
    /// Per-partition retention of the embedded broker: loading must not get further ahead.
    pub partition_capacity: Option<PartitionCapacity>,
    _running: Running,
}

/// What the loader may put in a mock partition: a margin under the 5 MiB /
/// 100,000 messages librdkafka's mock keeps (rdkafka_mock.c).
const MOCK_CAPACITY: PartitionCapacity = PartitionCapacity {
    messages: 90_000,
    bytes: 4 * 1024 * 1024,
};

/// How much a broker keeps per partition.
#[derive(Debug, Clone, Copy)]
pub struct PartitionCapacity {
    pub messages: u64,
    pub bytes: u64,
}

enum Running {
    Embedded(#[allow(dead_code)] MockCluster<'static, DefaultProducerContext>),
    Process(Child),
    #[cfg(feature = "testcontainers")]
    Container(
        #[allow(dead_code)]
        Box<
            testcontainers_modules::testcontainers::Container<
                testcontainers_modules::kafka::apache::Kafka,
            >,
        >,
    ),
    Nothing,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Running::Process(child) = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Broker {
    /// Creates a topic, within the broker timeout.
    pub fn create_topic(&self, name: &str, partitions: i32) -> anyhow::Result<()> {
        match (&self._running, self.topic_service(), &self.admin) {
            (Running::Embedded(cluster), _, _) => cluster
                .create_topic(name, partitions, 1)
                .with_context(|| format!("creating topic {name} on the embedded broker")),
            (_, Some(service), _) => {
                super::topic_service::create(service, name, partitions, self.timeout)
            }
            (_, None, Some(admin)) => admin.create(name, partitions),
            (_, None, None) => bail!("no way to create topics on this broker"),
        }
    }

    fn topic_service(&self) -> Option<&str> {
        match &self.kind {
            BrokerKind::External { topic_service, .. } => topic_service.as_deref(),
            _ => None,
        }
    }

    /// Best effort; the embedded mock cannot delete, so it is recycled instead.
    pub fn delete_topics(&self, names: &[&str]) {
        if let Some(admin) = &self.admin {
            admin.delete(names);
        }
    }

    /// A fresh embedded broker (freeing the old one's topics); other kinds stay.
    pub fn recycle(&mut self) -> anyhow::Result<()> {
        if self.kind == BrokerKind::Embedded {
            *self = Broker::start(BrokerKind::Embedded, self.timeout)?;
        }
        Ok(())
    }

    pub fn start(kind: BrokerKind, timeout: Duration) -> anyhow::Result<Broker> {
        match kind {
            BrokerKind::Embedded => {
                let cluster = crate::profile::shielded(|| MockCluster::new(1))
                    .context("starting librdkafka's embedded mock cluster")?;
                let bootstrap = cluster.bootstrap_servers();
                Ok(Broker {
                    kind,
                    bootstrap,
                    timeout,
                    admin: None,
                    // Keep a margin under the mock's 5 MiB / 100,000 messages per partition.
                    partition_capacity: Some(MOCK_CAPACITY),
                    _running: Running::Embedded(cluster),
                })
            }
            BrokerKind::External {
                ref bootstrap,
                ref topic_service,
            } => {
                let bootstrap = bootstrap.clone();
                // Behind a topic service is another tokio-tax's mock: no admin API,
                // and the mock's small partitions.
                let (admin, partition_capacity) = match topic_service {
                    Some(_) => (None, Some(MOCK_CAPACITY)),
                    None => (
                        Some(crate::profile::shielded(|| {
                            Admin::connect(&bootstrap, timeout)
                        })?),
                        None,
                    ),
                };
                Ok(Broker {
                    kind,
                    bootstrap,
                    timeout,
                    admin,
                    partition_capacity,
                    _running: Running::Nothing,
                })
            }
            BrokerKind::Tansu => start_tansu(timeout),
            BrokerKind::Testcontainers => start_container(timeout),
        }
    }
}

/// Starts `tansu` on a free loopback port with memory storage and waits until it accepts connections.
fn start_tansu(timeout: Duration) -> anyhow::Result<Broker> {
    let port = free_port()?;
    let url = format!("tcp://127.0.0.1:{port}");
    // An empty working directory: tansu reads any .env file it finds there.
    let workdir =
        std::env::temp_dir().join(format!("tokio-tax-tansu-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&workdir).with_context(|| format!("creating {}", workdir.display()))?;
    let child = Command::new(tansu_binary())
        .args(tansu_args(&url))
        .current_dir(&workdir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting tansu: is it installed? scripts/start-tansu.sh --install-only installs it (several minutes)")?;
    let mut running = Running::Process(child);
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        if let Running::Process(child) = &mut running {
            // tansu exits 0 even when it cannot bind, so any exit here is a failure.
            if let Some(status) = child.try_wait()? {
                bail!("tansu exited ({status}) before accepting connections on {addr}; is the port taken?");
            }
        }
        if Instant::now() > deadline {
            bail!("tansu did not accept connections on {addr} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let bootstrap = addr.to_string();
    let admin = Some(Admin::connect(&bootstrap, timeout)?);
    Ok(Broker {
        kind: BrokerKind::Tansu,
        bootstrap,
        timeout,
        admin,
        partition_capacity: None,
        _running: running,
    })
}

/// `TANSU` overrides where the binary is; else it is looked up on PATH.
pub fn tansu_binary() -> String {
    std::env::var("TANSU").unwrap_or_else(|_| "tansu".to_string())
}

/// Whether a tansu binary can be started at all.
pub fn tansu_available() -> bool {
    Command::new(tansu_binary())
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn tansu_args(url: &str) -> Vec<String> {
    // A numeric loopback address: given a host name, tansu listens on every interface.
    [
        "broker",
        "--cluster-id",
        "tokio-tax",
        "--storage-engine",
        "memory://tansu/",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--silent",
    ]
    .map(String::from)
    .to_vec()
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(feature = "testcontainers")]
fn start_container(timeout: Duration) -> anyhow::Result<Broker> {
    use testcontainers_modules::kafka::apache;
    use testcontainers_modules::testcontainers::runners::SyncRunner;
    docker_reachable()?;
    let container = apache::Kafka::default()
        .start()
        .context("starting Apache Kafka in Docker")?;
    let port = container
        .get_host_port_ipv4(apache::KAFKA_PORT)
        .context("reading the Kafka container's port")?;
    let bootstrap = format!("127.0.0.1:{port}");
    Ok(Broker {
        kind: BrokerKind::Testcontainers,
        admin: Some(Admin::connect(&bootstrap, timeout)?),
        timeout,
        bootstrap,
        partition_capacity: None,
        _running: Running::Container(Box::new(container)),
    })
}

#[cfg(not(feature = "testcontainers"))]
fn start_container(_timeout: Duration) -> anyhow::Result<Broker> {
    bail!(
        "this tokio-tax was built without the `testcontainers` feature (cargo build --release --features testcontainers); \
         use --kafka embedded, or --kafka external --bootstrap HOST:PORT"
    )
}

/// Fails at once, and says what to use instead, when no Docker engine answers.
pub fn docker_reachable() -> anyhow::Result<()> {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let reachable = match host.strip_prefix("unix://") {
        Some(path) => std::os::unix::net::UnixStream::connect(path).is_ok(),
        None => host
            .trim_start_matches("tcp://")
            .parse::<SocketAddr>()
            .is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok()),
    };
    if !reachable {
        bail!("no Docker engine answers at {host}; use --kafka embedded, or --kafka external --bootstrap HOST:PORT");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_with_clear_errors() {
        assert_eq!(
            BrokerKind::parse("embedded", None, None).unwrap(),
            BrokerKind::Embedded
        );
        assert!(BrokerKind::parse("external", None, None)
            .unwrap_err()
            .to_string()
            .contains("--bootstrap"));
        assert!(BrokerKind::parse("kafka", None, None)
            .unwrap_err()
            .to_string()
            .contains("embedded, tansu"));
    }
}
