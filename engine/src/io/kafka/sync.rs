//! FR-081-07's proposal: a blocking `BaseConsumer::poll` loop and a `BaseProducer`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::BaseConsumer;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientContext;

use super::{
    create_base_consumer, kafka_error, producer_config, warm_metadata, KafkaReaderConfig,
    KafkaWriterConfig, ReadState,
};
use crate::decode::write_json;
use crate::io::{IoError, SyncReader, SyncWriter};
use crate::record::{Record, Schema};

pub struct SyncKafkaReader {
    consumer: BaseConsumer,
    state: ReadState,
    batch_size: usize,
    poll_timeout: Duration,
}

impl SyncKafkaReader {
    pub fn new(config: &KafkaReaderConfig, schema: Schema) -> Result<Self, IoError> {
        Ok(SyncKafkaReader {
            consumer: create_base_consumer(config)?,
            state: ReadState::new(schema, config),
            batch_size: config.batch_size.max(1),
            poll_timeout: config.poll_timeout,
        })
    }
}

impl SyncReader for SyncKafkaReader {
    fn read(&mut self) -> Result<Vec<Record>, IoError> {
        let mut batch = Vec::with_capacity(self.batch_size);
        let mut taken = 0;
        // Wait up to the poll timeout for the first message, then take what is already there.
        let mut timeout = self.poll_timeout;
        while taken < self.batch_size && self.state.has_more() {
            match self.consumer.poll(timeout) {
                Some(Ok(msg)) => {
                    self.state.accept(&msg, &mut batch);
                    taken += 1;
                    timeout = Duration::ZERO;
                }
                Some(Err(e)) => {
                    self.state.note_error(&e);
                    break;
                }
                None => break,
            }
        }
        if taken == 0 {
            self.state.check_idle()?;
        }
        Ok(batch)
    }

    fn commit(&mut self) -> Result<(), IoError> {
        self.state.commit(&self.consumer)
    }

    fn has_more(&self) -> Result<bool, IoError> {
        Ok(self.state.has_more())
    }

    fn rejected(&self) -> u64 {
        self.state.rejected
    }
}

/// Counts messages in flight and failed deliveries. librdkafka's delivery
/// callback runs on the producer's polling thread and wakes a waiting flush at
/// once; rdkafka's own `flush` polls in whole 100 ms slices instead, which made
/// every per-batch flush take 100 ms.
#[derive(Default)]
pub struct DeliveryTracker {
    in_flight: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
    settled: Mutex<()>,
    all_delivered: Condvar,
}

impl DeliveryTracker {
    fn sent(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    fn delivered(&self) {
        if self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Taking the lock orders this wake-up after a flush's check.
            let _guard = self.settled.lock();
            self.all_delivered.notify_all();
        }
    }

    /// Waits until nothing is in flight; false when `timeout` passed first.
    fn wait_all_delivered(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut guard = match self.settled.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        while self.in_flight.load(Ordering::Acquire) > 0 {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            guard = match self.all_delivered.wait_timeout(guard, left) {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        true
    }
}

/// The producer's context; a newtype because the tracker is shared with the writer.
pub struct DeliveryContext(Arc<DeliveryTracker>);

impl ClientContext for DeliveryContext {}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.0.failed.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.0.first_error.lock() {
                first.get_or_insert_with(|| e.to_string());
            }
        }
        self.0.delivered();
    }
}

/// Blocking writes over a `ThreadedProducer`: `flush` returns once every
/// message is acknowledged, and fails if any delivery failed.
pub struct SyncKafkaWriter {
    producer: ThreadedProducer<DeliveryContext>,
    tracker: Arc<DeliveryTracker>,
    topic: String,
    schema: Schema,
    flush_timeout: Duration,
    buf: Vec<u8>,
}

impl SyncKafkaWriter {
    pub fn new(config: &KafkaWriterConfig, schema: Schema) -> Result<Self, IoError> {
        let tracker = Arc::new(DeliveryTracker::default());
        let producer: ThreadedProducer<DeliveryContext> = producer_config(config)
            .create_with_context(DeliveryContext(Arc::clone(&tracker)))
            .map_err(|e| {
                kafka_error(format!("creating a producer for {}", config.bootstrap), &e)
            })?;
        warm_metadata(producer.client(), config)?;
        Ok(SyncKafkaWriter {
            producer,
            tracker,
            topic: config.topic.clone(),
            schema,
            flush_timeout: config.flush_timeout,
            buf: Vec::new(),
        })
    }

    /// Queues one payload, waiting while librdkafka's queue is full.
    fn send(&mut self, partition: Option<i32>) -> Result<(), IoError> {
        let deadline = Instant::now() + self.flush_timeout;
        loop {
            let mut record = BaseRecord::<(), [u8]>::to(&self.topic).payload(&self.buf[..]);
            if let Some(p) = partition {
                record = record.partition(p);
            }
            // Counted before sending: the delivery callback may run before send returns.
            self.tracker.sent();
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((e, _)) => {
                    self.tracker.delivered();
                    let queue_full = matches!(
                        e,
                        KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)
                    );
                    if !queue_full || Instant::now() >= deadline {
                        return Err(kafka_error(format!("producing to {}", self.topic), &e));
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    pub fn write_records(&mut self, records: &[Record]) -> Result<(), IoError> {
        for r in records {
            self.buf.clear();
            write_json(&mut self.buf, r, &self.schema)
                .map_err(|e| IoError::Closed(format!("encoding a row as JSON: {e}")))?;
            self.send(None)?;
        }
        Ok(())
    }

    /// Raw payloads to explicit partitions: how topics are loaded.
    pub fn write_payload(&mut self, payload: &[u8], partition: i32) -> Result<(), IoError> {
        self.buf.clear();
        self.buf.extend_from_slice(payload);
        self.send(Some(partition))
    }

    /// Waits for every delivery report; any failed delivery is an error.
    pub fn flush_and_check(&mut self) -> Result<(), IoError> {
        if !self.tracker.wait_all_delivered(self.flush_timeout) {
            return Err(IoError::Timeout {
                what: format!(
                    "{} message(s) to {} still undelivered (is the broker up?)",
                    self.tracker.in_flight.load(Ordering::Acquire),
                    self.topic
                ),
                after: self.flush_timeout,
            });
        }
        let failed = self.tracker.failed.load(Ordering::Relaxed);
        if failed > 0 {
            let first = self
                .tracker
                .first_error
                .lock()
                .ok()
                .and_then(|f| f.clone())
                .unwrap_or_default();
            return Err(IoError::Kafka {
                what: format!("delivering to {}", self.topic),
                detail: format!("{failed} message(s) failed, first: {first}"),
            });
        }
        Ok(())
    }
}

impl SyncWriter for SyncKafkaWriter {
    fn write_batch(&mut self, records: &[Record]) -> Result<(), IoError> {
        self.write_records(records)
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.flush_and_check()
    }
}
