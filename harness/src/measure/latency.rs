//! Per-record latency from poll to durable write, as an HdrHistogram.

use std::time::Instant;

use hdrhistogram::Histogram;
use tokio_tax_engine::job::JobObserver;

use crate::measure::rusage::{cpu_times, CpuTimes};
use crate::report::results::Percentiles;

pub struct LatencyRecorder {
    hist: Histogram<u64>,
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
            hist,
            first_poll: None,
            last_written: None,
            cpu_at_first: None,
        }
    }
}

impl LatencyRecorder {
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
    /// Every record of the batch waited from the poll until now.
    fn batch_written(&mut self, polled_at: Instant, records: usize) {
        self.last_written = Some(Instant::now());
        if records > 0 && self.first_poll.is_none() {
            self.first_poll = Some(polled_at);
            self.cpu_at_first = Some(cpu_times());
        }
        let now = self.last_written.unwrap_or(polled_at);
        let us = now
            .duration_since(polled_at)
            .as_micros()
            .min(u128::from(u64::MAX)) as u64;
        self.record_us(us, records as u64);
    }
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
