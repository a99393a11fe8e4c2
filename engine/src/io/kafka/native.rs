//! What a careful async design does: `StreamConsumer::recv().await` and
//! `FutureProducer` sends awaited per batch. Set beside the shim, it shows how
//! much of any gap is tokio itself and how much the shim's busy polling.

use std::time::Duration;

use futures::FutureExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;

use super::{
    assignment, consumer_config, kafka_error, producer_config, warm_metadata, KafkaReaderConfig,
    KafkaWriterConfig, ReadState,
};
use crate::decode::write_json;
use crate::io::{AsyncReader, AsyncWriter, IoError};
use crate::record::{Record, Schema};

pub struct NativeKafkaReader {
    consumer: StreamConsumer,
    state: ReadState,
    batch_size: usize,
    poll_timeout: Duration,
}

impl NativeKafkaReader {
    /// Must be called inside a tokio runtime.
    pub fn new(config: &KafkaReaderConfig, schema: Schema) -> Result<Self, IoError> {
        let consumer: StreamConsumer = consumer_config(config).create().map_err(|e| {
            kafka_error(format!("creating a consumer for {}", config.bootstrap), &e)
        })?;
        consumer
            .assign(&assignment(config)?)
            .map_err(|e| kafka_error(format!("assigning topic {}", config.topic), &e))?;
        Ok(NativeKafkaReader {
            consumer,
            state: ReadState::new(schema, config),
            batch_size: config.batch_size.max(1),
            poll_timeout: config.poll_timeout,
        })
    }
}

#[async_trait::async_trait]
impl AsyncReader for NativeKafkaReader {
    async fn read(&mut self) -> Result<Vec<Record>, IoError> {
        let mut batch = Vec::with_capacity(self.batch_size);
        if !self.state.has_more() {
            return Ok(batch);
        }
        let first = match tokio::time::timeout(self.poll_timeout, self.consumer.recv()).await {
            Ok(Ok(msg)) => msg,
            Ok(Err(e)) => {
                self.state.note_error(&e);
                self.state.check_idle()?;
                return Ok(batch);
            }
            Err(_) => {
                self.state.check_idle()?;
                return Ok(batch);
            }
        };
        self.state.accept(&first, &mut batch);
        drop(first);
        let mut taken = 1;
        while taken < self.batch_size && self.state.has_more() {
            let Some(next) = self.consumer.recv().now_or_never() else {
                break;
            };
            match next {
                Ok(msg) => self.state.accept(&msg, &mut batch),
                Err(e) => {
                    self.state.note_error(&e);
                    break;
                }
            }
            taken += 1;
        }
        Ok(batch)
    }

    async fn commit(&mut self) -> Result<(), IoError> {
        self.state.commit(&self.consumer)
    }

    async fn has_more(&self) -> Result<bool, IoError> {
        Ok(self.state.has_more())
    }

    fn rejected(&self) -> u64 {
        self.state.rejected
    }
}

pub struct NativeKafkaWriter {
    producer: FutureProducer,
    topic: String,
    schema: Schema,
    queue_timeout: Duration,
    buf: Vec<u8>,
}

impl NativeKafkaWriter {
    /// Must be called inside a tokio runtime.
    pub fn new(config: &KafkaWriterConfig, schema: Schema) -> Result<Self, IoError> {
        let producer: FutureProducer = producer_config(config).create().map_err(|e| {
            kafka_error(format!("creating a producer for {}", config.bootstrap), &e)
        })?;
        warm_metadata(producer.client(), config)?;
        Ok(NativeKafkaWriter {
            producer,
            topic: config.topic.clone(),
            schema,
            queue_timeout: config.flush_timeout,
            buf: Vec::new(),
        })
    }
}

#[async_trait::async_trait]
impl AsyncWriter for NativeKafkaWriter {
    /// Enqueues the whole batch (librdkafka copies each payload, so one buffer
    /// serves every row), then awaits every delivery: a returned batch is durable.
    async fn write_batch(&mut self, records: Vec<Record>) -> Result<(), IoError> {
        let mut deliveries = Vec::with_capacity(records.len());
        let deadline = tokio::time::Instant::now() + self.queue_timeout;
        for r in &records {
            self.buf.clear();
            write_json(&mut self.buf, r, &self.schema)
                .map_err(|e| IoError::Closed(format!("encoding a row as JSON: {e}")))?;
            loop {
                let record = FutureRecord::<(), [u8]>::to(&self.topic).payload(&self.buf[..]);
                match self.producer.send_result(record) {
                    Ok(delivery) => break deliveries.push(delivery),
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                        if tokio::time::Instant::now() < deadline =>
                    {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    Err((e, _)) => {
                        return Err(kafka_error(format!("producing to {}", self.topic), &e))
                    }
                }
            }
        }
        for delivery in deliveries {
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => {
                    return Err(kafka_error(format!("delivering to {}", self.topic), &e))
                }
                Err(_) => {
                    return Err(IoError::Closed(format!(
                        "the producer for {} went away",
                        self.topic
                    )))
                }
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), IoError> {
        // Every write already awaited its deliveries.
        Ok(())
    }
}
