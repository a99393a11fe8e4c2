//! FR-081-07's proposal: a blocking `BaseConsumer::poll` loop and a `BaseProducer`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::BaseConsumer;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientContext;

use super::{
    create_base_consumer, kafka_error, producer_config, warm_metadata, KafkaReaderConfig,
    KafkaWriterConfig, ReadState,
};
use crate::decode::encode_json;
use crate::io::{IoError, SyncReader, SyncWriter};
use crate::record::{Record, Schema};

/// How often a flush looks for delivery reports: short against a batch's
/// round trip, long enough not to steal the other core.
const FLUSH_POLL_INTERVAL: Duration = Duration::from_micros(50);

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
                    return Err(kafka_error(format!("polling {}", self.state.topic), &e))
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

/// Counts failed deliveries so that `flush` can report them.
#[derive(Default)]
pub struct DeliveryTracker {
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
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
    }
}

pub struct SyncKafkaWriter {
    producer: BaseProducer<DeliveryContext>,
    tracker: Arc<DeliveryTracker>,
    topic: String,
    schema: Schema,
    flush_timeout: Duration,
    buf: Vec<u8>,
}

impl SyncKafkaWriter {
    pub fn new(config: &KafkaWriterConfig, schema: Schema) -> Result<Self, IoError> {
        let tracker = Arc::new(DeliveryTracker::default());
        let producer: BaseProducer<DeliveryContext> = producer_config(config)
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

    /// Queues one payload, serving delivery reports while librdkafka's queue is full.
    fn send(&mut self, partition: Option<i32>) -> Result<(), IoError> {
        let deadline = std::time::Instant::now() + self.flush_timeout;
        loop {
            let mut record = BaseRecord::<(), [u8]>::to(&self.topic).payload(&self.buf[..]);
            if let Some(p) = partition {
                record = record.partition(p);
            }
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                    if std::time::Instant::now() < deadline =>
                {
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => return Err(kafka_error(format!("producing to {}", self.topic), &e)),
            }
        }
    }

    pub fn write_records(&mut self, records: &[Record]) -> Result<(), IoError> {
        for r in records {
            self.buf.clear();
            serde_json::to_writer(&mut self.buf, &encode_json(r, &self.schema))
                .map_err(|e| IoError::Closed(format!("encoding a row as JSON: {e}")))?;
            self.send(None)?;
        }
        self.producer.poll(Duration::ZERO);
        Ok(())
    }

    /// Raw payloads to explicit partitions: how topics are loaded.
    pub fn write_payload(&mut self, payload: &[u8], partition: i32) -> Result<(), IoError> {
        self.buf.clear();
        self.buf.extend_from_slice(payload);
        self.send(Some(partition))?;
        self.producer.poll(Duration::ZERO);
        Ok(())
    }

    /// Waits for every delivery report; any failed delivery is an error.
    ///
    /// Not `Producer::flush`: rdkafka's `BaseProducer::flush` polls in whole
    /// 100 ms slices, so every flush with a message outstanding took 100 ms.
    pub fn flush_and_check(&mut self) -> Result<(), IoError> {
        let deadline = std::time::Instant::now() + self.flush_timeout;
        loop {
            self.producer.poll(Duration::ZERO);
            if self.producer.in_flight_count() == 0 {
                break;
            }
            if std::time::Instant::now() > deadline {
                return Err(IoError::Timeout {
                    what: format!(
                        "{} message(s) to {} still undelivered (is the broker up?)",
                        self.producer.in_flight_count(),
                        self.topic
                    ),
                    after: self.flush_timeout,
                });
            }
            std::thread::sleep(FLUSH_POLL_INTERVAL);
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
