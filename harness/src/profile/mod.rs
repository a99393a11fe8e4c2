//! Profiling: pprof sampling around runs, flamegraphs and differential
//! flamegraphs (inferno), and a criterion profiler hook for benches.

pub mod criterion_hook;

use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::Path;

use anyhow::Context;
use pprof::protos::Message;
use pprof::{ProfilerGuard, ProfilerGuardBuilder};

/// Samples per second of CPU time. The kernel tick lets only about 250 a second
/// through here, so profile runs of several seconds.
pub const FREQUENCY: i32 = 997;

/// Runs `f` with SIGPROF blocked on this thread, so that the threads `f`
/// starts (librdkafka's: every client and the mock cluster) inherit the block.
/// The sampler's signals then never land in librdkafka, whose mock broker
/// drops its connections when its calls are interrupted; librdkafka's own CPU
/// time is not sampled (it is the same library in every mode).
pub fn shielded<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: sigset_t is plain data; pthread_sigmask only changes this thread's mask.
    unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut previous: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, libc::SIGPROF);
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut previous);
        let result = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
        result
    }
}

/// Samples the whole process while alive.
pub struct Sampler {
    guard: ProfilerGuard<'static>,
}

/// What one sampled stretch captured.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// Folded stacks ("root;caller;callee") -> samples. The root is "all", not
    /// the thread name, so the sync thread and tokio workers line up in a diff.
    pub folded: BTreeMap<String, u64>,
    /// pprof protobuf, for `go tool pprof`.
    pub pprof: Vec<u8>,
}

impl Sampler {
    pub fn start() -> anyhow::Result<Sampler> {
        let guard = ProfilerGuardBuilder::default()
            .frequency(FREQUENCY)
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
            .context("starting the pprof sampler")?;
        Ok(Sampler { guard })
    }

    /// Stops sampling (the report must be built before the guard drops).
    pub fn finish(self) -> anyhow::Result<Captured> {
        let report = self
            .guard
            .report()
            .build()
            .context("building the pprof report")?;
        let mut folded = BTreeMap::new();
        for (frames, count) in &report.data {
            let mut stack = String::from("all");
            for frame in frames.frames.iter().rev() {
                for symbol in frame.iter().rev() {
                    stack.push(';');
                    stack.push_str(&symbol.to_string());
                }
            }
            *folded.entry(stack).or_insert(0) += (*count).max(0) as u64;
        }
        let pprof = report
            .pprof()
            .context("converting the report to pprof protobuf")?
            .write_to_bytes()
            .context("encoding the pprof protobuf")?;
        Ok(Captured { folded, pprof })
    }
}

impl Captured {
    pub fn samples(&self) -> u64 {
        self.folded.values().sum()
    }

    /// Adds another stretch's stacks (the protobuf kept is the latest one).
    pub fn merge(&mut self, other: Captured) {
        for (stack, n) in other.folded {
            *self.folded.entry(stack).or_insert(0) += n;
        }
        self.pprof = other.pprof;
    }

    pub fn folded_text(&self) -> String {
        self.folded
            .iter()
            .map(|(s, n)| format!("{s} {n}\n"))
            .collect()
    }
}

pub fn write_flamegraph(captured: &Captured, title: &str, path: &Path) -> anyhow::Result<()> {
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    let text = captured.folded_text();
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    inferno::flamegraph::from_lines(&mut options, text.lines(), BufWriter::new(file))
        .with_context(|| format!("rendering flamegraph {}", path.display()))
}

/// `after` against `before`, both scaled to the same total, so frames that only
/// the `after` mode has (the runtime's) stand out in red.
pub fn write_diff_flamegraph(
    before: &Captured,
    after: &Captured,
    title: &str,
    path: &Path,
) -> anyhow::Result<()> {
    let mut diff = Vec::new();
    let diff_options = inferno::differential::Options {
        normalize: true,
        ..Default::default()
    };
    inferno::differential::from_readers(
        diff_options,
        before.folded_text().as_bytes(),
        after.folded_text().as_bytes(),
        &mut diff,
    )
    .context("folding the differential profile")?;
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    inferno::flamegraph::from_reader(&mut options, diff.as_slice(), BufWriter::new(file))
        .with_context(|| format!("rendering differential flamegraph {}", path.display()))
}
