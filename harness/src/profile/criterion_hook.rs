//! A criterion [`Profiler`] that samples with pprof while criterion runs a
//! bench under `cargo bench -- --profile-time N`, and writes
//! `<benchmark_dir>/flamegraph.svg` and `<benchmark_dir>/profile.pb` (pprof
//! protobuf, for `go tool pprof` or `pprof -http`).
//!
//! This hook is ours rather than pprof's `pprof::criterion::PProfProfiler`
//! (feature "criterion"). pprof 0.15 depends on criterion 0.5 like we do, but
//! without `default-features = false`, so turning it on would switch
//! criterion's rayon back on (we keep it off on 2 cores); its hook also writes a
//! flamegraph *or* a protobuf, not both, and panics on any error. This one
//! logs errors to stderr and never panics.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use anyhow::{bail, Context};
use criterion::profiler::Profiler;
use pprof::protos::Message;
use pprof::{ProfilerGuard, ProfilerGuardBuilder};

/// Samples the whole process at `frequency` Hz between criterion's start and stop calls.
pub struct PprofProfiler {
    frequency: i32,
    active: Option<ProfilerGuard<'static>>,
}

impl PprofProfiler {
    /// `frequency` in samples per second of CPU time; a prime such as 997
    /// keeps sampling out of step with periodic work.
    pub fn new(frequency: i32) -> Self {
        Self {
            frequency,
            active: None,
        }
    }
}

impl Profiler for PprofProfiler {
    fn start_profiling(&mut self, benchmark_id: &str, _benchmark_dir: &Path) {
        // pprof allows one running profiler per process: stop a stray one first.
        self.active = None;
        match ProfilerGuardBuilder::default()
            .frequency(self.frequency)
            .build()
        {
            Ok(guard) => self.active = Some(guard),
            Err(e) => eprintln!("pprof hook: {benchmark_id}: cannot start profiler: {e}"),
        }
    }

    fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
        let Some(guard) = self.active.take() else {
            return;
        };
        // pprof's flamegraph writer unwraps internally; keep that from aborting the run.
        let written = catch_unwind(AssertUnwindSafe(|| {
            write_profile(&guard, benchmark_id, benchmark_dir)
        }));
        drop(guard);
        match written {
            Ok(Ok(())) => {
                eprintln!(
                    "pprof hook: {benchmark_id}: wrote {}/flamegraph.svg and profile.pb",
                    benchmark_dir.display()
                )
            }
            Ok(Err(e)) => eprintln!("pprof hook: {benchmark_id}: {e:#}"),
            Err(_) => {
                eprintln!("pprof hook: {benchmark_id}: pprof panicked while writing the profile")
            }
        }
    }
}

/// Builds the report while the guard still runs (stopping clears pprof's samples).
fn write_profile(guard: &ProfilerGuard<'_>, benchmark_id: &str, dir: &Path) -> anyhow::Result<()> {
    let report = guard
        .report()
        .build()
        .context("building the pprof report")?;
    if report.data.is_empty() {
        bail!("no samples collected; use a longer --profile-time or a higher frequency");
    }
    warn_if_stacks_are_shallow(benchmark_id, &report);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;

    let svg_path = dir.join("flamegraph.svg");
    let mut svg = BufWriter::new(
        File::create(&svg_path).with_context(|| format!("creating {}", svg_path.display()))?,
    );
    report
        .flamegraph(&mut svg)
        .context("rendering the flamegraph")?;
    svg.flush()
        .with_context(|| format!("writing {}", svg_path.display()))?;

    let pb_path = dir.join("profile.pb");
    let bytes = report
        .pprof()
        .context("converting the report to pprof protobuf")?
        .write_to_bytes()
        .context("encoding the pprof protobuf")?;
    std::fs::write(&pb_path, bytes).with_context(|| format!("writing {}", pb_path.display()))?;
    Ok(())
}

/// pprof's "frame-pointer" unwinder stops at the first function built without
/// frame pointers, which is every function in a default release build.
fn warn_if_stacks_are_shallow(benchmark_id: &str, report: &pprof::Report) {
    let total: isize = report.data.values().sum();
    let shallow: isize = report
        .data
        .iter()
        .filter(|(frames, _)| frames.frames.len() <= 2)
        .map(|(_, n)| n)
        .sum();
    if total > 0 && shallow * 2 > total {
        eprintln!(
            "pprof hook: {benchmark_id}: {shallow} of {total} samples have at most 2 frames; \
             build with RUSTFLAGS=\"-C force-frame-pointers=yes\" for full stacks"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_without_start_does_nothing() {
        let dir =
            std::env::temp_dir().join(format!("tokio-tax-hook-unused-{}", std::process::id()));
        PprofProfiler::new(997).stop_profiling("never/started", &dir);
        assert!(!dir.exists());
    }

    #[test]
    fn writes_a_flamegraph_and_a_pprof_profile() {
        let dir = std::env::temp_dir().join(format!("tokio-tax-hook-{}", std::process::id()));
        let mut hook = PprofProfiler::new(997);
        hook.start_profiling("hook/test", &dir);
        // ~300 ms of CPU: SIGPROF counts CPU time, so a loaded machine still gets samples.
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < std::time::Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        hook.stop_profiling("hook/test", &dir);
        let svg = std::fs::metadata(dir.join("flamegraph.svg")).map(|m| m.len());
        let pb = std::fs::metadata(dir.join("profile.pb")).map(|m| m.len());
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            svg.as_ref().is_ok_and(|n| *n > 0),
            "flamegraph.svg: {svg:?}"
        );
        assert!(pb.as_ref().is_ok_and(|n| *n > 0), "profile.pb: {pb:?}");
    }
}
