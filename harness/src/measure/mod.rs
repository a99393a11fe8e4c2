//! What one run costs: allocations, CPU time, peak memory and latency.

pub mod alloc;
pub mod latency;
pub mod rusage;
