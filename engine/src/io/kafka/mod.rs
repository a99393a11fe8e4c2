//! Kafka readers and writers in three designs:
//! - `sync`: `BaseConsumer::poll` in a loop and a `BaseProducer`, FR-081-07's proposal;
//! - `shim` (feature "tokio"): the async Stream FR-081-07 shows, a sync `poll(1 ms)`
//!   with `wake_by_ref()` when empty, plus async wrappers over the sync producer;
//! - `native` (feature "tokio"): `StreamConsumer` and `FutureProducer`, awaited.
//!
//! All of them decode JSON payloads, skip and count undecodable ones, commit
//! offsets only when asked (after the writer flushed), and give up with a clear
//! error when the broker has been silent for the idle timeout.

#[cfg(feature = "tokio")]
pub mod native;
#[cfg(feature = "tokio")]
pub mod shim;
pub mod sync;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use super::IoError;
use crate::decode::decode_json;
use crate::record::{Record, Schema};

/// Where and how a reader consumes.
#[derive(Debug, Clone)]
pub struct KafkaReaderConfig {
    pub bootstrap: String,
    pub topic: String,
    /// Partitions are assigned explicitly (no group rebalance), all from the beginning.
    pub partitions: i32,
    pub group_id: String,
    pub batch_size: usize,
    /// How long one read waits for its first record.
    pub poll_timeout: Duration,
    /// Silence from the broker longer than this is an error, never a hang.
    pub idle_timeout: Duration,
    /// Messages (decoded or not) after which the source counts as exhausted.
    pub expected_records: u64,
    /// Incremented per message consumed, so a loader can bound its lead.
    pub progress: Arc<AtomicU64>,
}

/// Where a writer produces.
#[derive(Debug, Clone)]
pub struct KafkaWriterConfig {
    pub bootstrap: String,
    pub topic: String,
    /// How long flush waits for delivery reports.
    pub flush_timeout: Duration,
    /// librdkafka's linger.ms: 0 for a job's writer, which flushes every batch
    /// anyway; a few ms for a loader, which only needs throughput.
    pub linger_ms: u32,
}

pub(crate) fn kafka_error(what: impl Into<String>, e: &KafkaError) -> IoError {
    let hint = match e.rdkafka_error_code() {
        Some(rdkafka::types::RDKafkaErrorCode::AllBrokersDown) => {
            " (is the broker running at the bootstrap address?)"
        }
        Some(rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition) => {
            " (was the topic created?)"
        }
        Some(rdkafka::types::RDKafkaErrorCode::MessageTimedOut) => {
            " (the broker did not acknowledge in time)"
        }
        _ => "",
    };
    IoError::Kafka {
        what: what.into(),
        detail: format!("{e}{hint}"),
    }
}

pub(crate) fn consumer_config(config: &KafkaReaderConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &config.bootstrap)
        .set("group.id", &config.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("auto.offset.reset", "earliest")
        // tansu holds every fetch for up to this long even when it has data;
        // the same short wait for every broker keeps the comparison even.
        .set("fetch.wait.max.ms", "10")
        // Errors such as a vanished broker surface as silence; the idle timeout turns that into an error.
        .set("socket.timeout.ms", "10000")
        .set("log_level", "3");
    c
}

pub(crate) fn producer_config(config: &KafkaWriterConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &config.bootstrap)
        .set("linger.ms", config.linger_ms.to_string())
        .set(
            "message.timeout.ms",
            config.flush_timeout.as_millis().max(1).to_string(),
        )
        .set("log_level", "3");
    c
}

/// Looks the topic up before the first send, so that no measured write waits
/// for a metadata round trip (a long-running job has its metadata warm).
pub(crate) fn warm_metadata<C: rdkafka::ClientContext>(
    client: &rdkafka::client::Client<C>,
    config: &KafkaWriterConfig,
) -> Result<(), IoError> {
    client
        .fetch_metadata(Some(&config.topic), config.flush_timeout)
        .map(drop)
        .map_err(|e| {
            kafka_error(
                format!("looking up topic {} on {}", config.topic, config.bootstrap),
                &e,
            )
        })
}

pub(crate) fn assignment(config: &KafkaReaderConfig) -> Result<TopicPartitionList, IoError> {
    let mut tpl = TopicPartitionList::new();
    for p in 0..config.partitions {
        tpl.add_partition_offset(&config.topic, p, Offset::Beginning)
            .map_err(|e| kafka_error(format!("assigning {}[{p}]", config.topic), &e))?;
    }
    Ok(tpl)
}

pub fn create_base_consumer(config: &KafkaReaderConfig) -> Result<BaseConsumer, IoError> {
    let consumer: BaseConsumer = consumer_config(config)
        .create()
        .map_err(|e| kafka_error(format!("creating a consumer for {}", config.bootstrap), &e))?;
    consumer
        .assign(&assignment(config)?)
        .map_err(|e| kafka_error(format!("assigning topic {}", config.topic), &e))?;
    Ok(consumer)
}

/// What every reader design shares: decoding, counting, offsets and the idle clock.
#[derive(Debug)]
pub(crate) struct ReadState {
    pub schema: Schema,
    pub topic: String,
    pub consumed: u64,
    pub expected: u64,
    pub rejected: u64,
    pub idle_timeout: Duration,
    last_message: Instant,
    /// Next offset to commit, per partition.
    next_offsets: BTreeMap<i32, i64>,
    progress: Arc<AtomicU64>,
    /// The last error librdkafka reported while polling; said when giving up.
    last_error: Option<String>,
}

impl ReadState {
    pub fn new(schema: Schema, config: &KafkaReaderConfig) -> Self {
        ReadState {
            schema,
            topic: config.topic.clone(),
            consumed: 0,
            expected: config.expected_records,
            rejected: 0,
            idle_timeout: config.idle_timeout,
            last_message: Instant::now(),
            next_offsets: BTreeMap::new(),
            progress: Arc::clone(&config.progress),
            last_error: None,
        }
    }

    /// Decodes one message into `batch`, or counts it as rejected.
    pub fn accept<M: Message>(&mut self, msg: &M, batch: &mut Vec<Record>) {
        self.consumed += 1;
        self.progress.fetch_add(1, Ordering::Relaxed);
        self.last_message = Instant::now();
        self.next_offsets.insert(msg.partition(), msg.offset() + 1);
        let payload = msg.payload().unwrap_or_default();
        match decode_json(payload, &self.schema, msg.partition(), msg.offset()) {
            Ok(r) => batch.push(r),
            Err(e) => {
                if self.rejected % 1000 == 0 {
                    tracing::warn!(topic = %self.topic, partition = msg.partition(), offset = msg.offset(),
                        error = %e, rejected_so_far = self.rejected, "skipping undecodable message");
                }
                self.rejected += 1;
            }
        }
    }

    /// librdkafka keeps retrying after a poll error (a broker restart, a lost
    /// connection), so one is noted rather than fatal; the idle timeout ends
    /// the run if the broker does not come back, and names this error.
    pub fn note_error(&mut self, e: &KafkaError) {
        let text = e.to_string();
        if self.last_error.as_deref() != Some(text.as_str()) {
            tracing::warn!(topic = %self.topic, error = %text, "Kafka poll error; retrying until the idle timeout");
        }
        self.last_error = Some(text);
    }

    pub fn has_more(&self) -> bool {
        self.consumed < self.expected
    }

    /// An error once the broker has been silent for longer than the idle timeout.
    pub fn check_idle(&self) -> Result<(), IoError> {
        if self.has_more() && self.last_message.elapsed() > self.idle_timeout {
            return Err(IoError::Timeout {
                what: format!(
                    "no message from topic {} (consumed {} of {} records; is the broker still up?{})",
                    self.topic,
                    self.consumed,
                    self.expected,
                    self.last_error.as_ref().map_or(String::new(), |e| format!(" last broker error: {e}"))
                ),
                after: self.idle_timeout,
            });
        }
        Ok(())
    }

    /// Commits the offsets after everything read so far (asynchronously: the
    /// outputs are already flushed, so a lost commit only means re-reading).
    pub fn commit<C: Consumer<X>, X: rdkafka::consumer::ConsumerContext>(
        &self,
        consumer: &C,
    ) -> Result<(), IoError> {
        if self.next_offsets.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for (&p, &offset) in &self.next_offsets {
            tpl.add_partition_offset(&self.topic, p, Offset::Offset(offset))
                .map_err(|e| kafka_error("building the offset list", &e))?;
        }
        consumer
            .commit(&tpl, CommitMode::Async)
            .map_err(|e| kafka_error(format!("committing offsets of {}", self.topic), &e))
    }
}
