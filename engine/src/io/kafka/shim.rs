//! The design FR-081-07 calls current: an async `Stream` wrapped around the
//! synchronous `poll(1 ms)`, calling `wake_by_ref()` and returning `Pending`
//! when nothing is there, so the task spins through the scheduler; and async
//! fns wrapped around the sync producer. This is the cost the analysis wants removed.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{FutureExt, Stream, StreamExt};
use rdkafka::consumer::BaseConsumer;
use rdkafka::error::KafkaError;
use rdkafka::message::OwnedMessage;

use super::sync::SyncKafkaWriter;
use super::{create_base_consumer, KafkaReaderConfig, KafkaWriterConfig, ReadState};
use crate::io::{AsyncReader, AsyncWriter, IoError};
use crate::record::{Record, Schema};

/// FR-081-07's `KafkaStream::poll_next`, message for message.
struct PollStream<'a> {
    consumer: &'a BaseConsumer,
}

impl Stream for PollStream<'_> {
    type Item = Result<OwnedMessage, KafkaError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.consumer.poll(Duration::from_millis(1)) {
            Some(Ok(msg)) => Poll::Ready(Some(Ok(msg.detach()))),
            Some(Err(e)) => Poll::Ready(Some(Err(e))),
            None => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

pub struct ShimKafkaReader {
    consumer: BaseConsumer,
    state: ReadState,
    batch_size: usize,
    poll_timeout: Duration,
}

impl ShimKafkaReader {
    pub fn new(config: &KafkaReaderConfig, schema: Schema) -> Result<Self, IoError> {
        Ok(ShimKafkaReader {
            consumer: create_base_consumer(config)?,
            state: ReadState::new(schema, config),
            batch_size: config.batch_size.max(1),
            poll_timeout: config.poll_timeout,
        })
    }
}

#[async_trait::async_trait]
impl AsyncReader for ShimKafkaReader {
    async fn read(&mut self) -> Result<Vec<Record>, IoError> {
        let mut batch = Vec::with_capacity(self.batch_size);
        if !self.state.has_more() {
            return Ok(batch);
        }
        let mut stream = PollStream {
            consumer: &self.consumer,
        };
        // The first message may take up to the poll timeout; the rest are taken while ready.
        let first = match tokio::time::timeout(self.poll_timeout, stream.next()).await {
            Ok(Some(Ok(msg))) => msg,
            Ok(Some(Err(e))) => {
                self.state.note_error(&e);
                self.state.check_idle()?;
                return Ok(batch);
            }
            _ => {
                self.state.check_idle()?;
                return Ok(batch);
            }
        };
        self.state.accept(&first, &mut batch);
        let mut taken = 1;
        while taken < self.batch_size && self.state.has_more() {
            match stream.next().now_or_never() {
                Some(Some(Ok(msg))) => {
                    self.state.accept(&msg, &mut batch);
                    taken += 1;
                }
                Some(Some(Err(e))) => {
                    self.state.note_error(&e);
                    break;
                }
                _ => break,
            }
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

/// Async fns over the blocking producer, as FR-081-07's `DataWriter` does.
pub struct ShimKafkaWriter {
    inner: SyncKafkaWriter,
}

impl ShimKafkaWriter {
    pub fn new(config: &KafkaWriterConfig, schema: Schema) -> Result<Self, IoError> {
        Ok(ShimKafkaWriter {
            inner: SyncKafkaWriter::new(config, schema)?,
        })
    }
}

#[async_trait::async_trait]
impl AsyncWriter for ShimKafkaWriter {
    async fn write_batch(&mut self, records: Vec<Record>) -> Result<(), IoError> {
        self.inner.write_records(&records)
    }

    async fn flush(&mut self) -> Result<(), IoError> {
        self.inner.flush_and_check()
    }
}
