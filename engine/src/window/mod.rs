//! Window assignment, incremental aggregate state and watermarks.
//! Nothing here knows about SQL text, I/O, jobs or tokio.

pub mod accumulator;
pub mod aligned;
pub mod session;
pub mod watermark;

pub use accumulator::Accumulator;
pub use aligned::AlignedWindows;
pub use session::SessionWindows;
pub use watermark::Watermarks;

/// `floor(t / step) * step`, correct for negative times too.
pub fn align_down(t: i64, step: i64) -> i64 {
    t - t.rem_euclid(step)
}

/// Callback for a fired window: `(key, start, end, accumulators)`.
pub type Emit<'a> = dyn FnMut(&[crate::record::Value], i64, i64, &[Accumulator]) + 'a;
