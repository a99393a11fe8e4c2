//! Per-record latency from poll to durable write, as an HdrHistogram.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio_tax_engine::job::{JobObserver, WrittenBatch};

use crate::measure::rusage::{cpu_times, CpuTimes};
use crate::report::results::Percentiles;

/// An open-loop producer's schedule: record `i` was due at `t0 + i / rate`.
/// Latency measured from the due time counts every stall, even one that held
/// the producer back (no coordinated omission).
#[derive(Debug, Clone, Copy)]
pub struct OpenLoop {
    pub t0: Instant,
    pub rate: f64,
    pub partitions: u32,
}

impl OpenLoop {
    /// Records are spread round-robin, so offset `o` of partition `p` is record `o * P + p`.
    fn due(&self, partition: i32, offset: i64) -> Instant {
        let index = offset.max(0) as f64 * f64::from(self.partitions) + f64::from(partition.max(0));
        self.t0 + Duration::from_secs_f64(index / self.rate)
    }
}

pub struct LatencyRecorder {
    hist: Histogram<u64>,
    /// End-to-end latency from each record's due time, in an open-loop run.
    end_to_end: Option<(OpenLoop, Histogram<u64>)>,
    first_poll: Option<Instant>,
    /// When the last outputs were durably written.
    last_written: Option<Instant>,
    /// Process CPU time when the first batch was written, to pair with `first_poll`.
    cpu_at_first: Option<CpuTimes>,
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        // 1 µs to 10 min at 3 significant digits.
        let hist = Histogram::new_with_bounds(1, 600_000_000, 3)
            .expect("static histogram bounds are valid");
        LatencyRecorder {
            end_to_end: None,
            hist,
            first_poll: None,
            last_written: None,
            cpu_at_first: None,
        }
    }
}

impl LatencyRecorder {
    pub fn open_loop(schedule: OpenLoop) -> Self {
        let mut recorder = LatencyRecorder::default();
        recorder.end_to_end = Some((schedule, recorder.hist.clone()));
        recorder
    }

    pub fn record_us(&mut self, us: u64, count: u64) {
        self.hist.saturating_record_n(us.max(1), count);
    }

    pub fn percentiles(&self) -> Percentiles {
        if self.hist.is_empty() {
            return Percentiles::default();
        }
        let q = |p: f64| self.hist.value_at_quantile(p) as f64;
        Percentiles {
            p50: q(0.50),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            max: self.hist.max() as f64,
        }
    }

    /// When the first batch arrived: the clock of a run starts there, so
    /// connecting and fetching offsets (alike in every mode) is not timed.
    pub fn first_poll(&self) -> Option<Instant> {
        self.first_poll
    }

    /// When the last outputs were written: the clock of a run stops there, so
    /// tearing down clients (inside the job in the tokio modes) is not timed.
    pub fn last_written(&self) -> Option<Instant> {
        self.last_written
    }

    pub fn cpu_at_first(&self) -> Option<CpuTimes> {
        self.cpu_at_first
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }
}

impl JobObserver for LatencyRecorder {
    /// Every record of the batch waited from the poll (or its due time) until now.
    fn batch_written(&mut self, batch: &WrittenBatch) {
        let now = Instant::now();
        self.last_written = Some(now);
        if batch.records > 0 && self.first_poll.is_none() {
            self.first_poll = Some(batch.polled_at);
            self.cpu_at_first = Some(cpu_times());
        }
        self.record_us(
            micros(now.saturating_duration_since(batch.polled_at)),
            batch.records as u64,
        );
        if let Some((schedule, hist)) = &mut self.end_to_end {
            for &(partition, offset) in &batch.positions {
                let waited = now.saturating_duration_since(schedule.due(partition, offset));
                hist.saturating_record(micros(waited).max(1));
            }
        }
    }

    fn wants_positions(&self) -> bool {
        self.end_to_end.is_some()
    }
}

fn micros(d: Duration) -> u64 {
    d.as_micros().min(u128::from(u64::MAX)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_values() {
        let mut r = LatencyRecorder::default();
        for us in 1..=1000 {
            r.record_us(us, 1);
        }
        let p = r.percentiles();
        assert!((p.p50 - 500.0).abs() <= 1.0, "{p:?}");
        assert!((p.p99 - 990.0).abs() <= 1.0, "{p:?}");
        assert_eq!(p.max, 1000.0);
        assert_eq!(r.count(), 1000);
    }
}
