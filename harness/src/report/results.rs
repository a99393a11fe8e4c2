//! results.json: everything one `compare` measured, in a versioned schema.
//! Paths documented as stable in the README keep their meaning across versions;
//! a change to them bumps `SCHEMA_VERSION`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::stats::{Interval, Summary, Verdict};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Results {
    pub schema_version: u32,
    /// `tokio-tax <version>`.
    pub tool: String,
    /// UTC, RFC 3339.
    pub created_at: String,
    pub git_commit: Option<String>,
    pub machine: Machine,
    pub config: RunConfig,
    /// False when any scenario failed or was cut short; its partial data is kept.
    pub complete: bool,
    pub scenarios: Vec<ScenarioResult>,
    /// The synthetic per-record cost sweep (`--sweep`).
    pub sweep: Option<Sweep>,
    /// Binary size and build time (scripts/build-cost.sh), when found.
    pub build_cost: Option<BuildCost>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub os: String,
    pub kernel: String,
}

/// The exact configuration of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub modes: Vec<String>,
    /// Measured repetitions per mode (of the first scenario; files may differ).
    pub reps: usize,
    /// Unmeasured repetitions per mode before them.
    pub warmup: usize,
    pub quick: bool,
    /// Broker kind: embedded, tansu, external, testcontainers, or memory.
    pub kafka: String,
    pub records_override: Option<u64>,
    pub profile: bool,
    pub latency_rate: Option<u64>,
    pub claimed_gain_pct: [f64; 2],
    pub command_line: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioResult {
    pub name: String,
    pub description: String,
    pub sql: String,
    pub records: u64,
    pub partitions: u32,
    /// Keyed by mode name: "sync", "tokio", "tokio-native".
    pub modes: BTreeMap<String, ModeResult>,
    /// What the broker delivers with no engine (poll and drop).
    pub ceiling: Option<Ceiling>,
    /// Did every mode emit the same output digest in every repetition?
    pub digests_match: bool,
    /// sync against tokio, the comparison FR-081-07 is about.
    pub comparison: Option<Comparison>,
    /// Every pair of modes.
    pub comparisons: Vec<Comparison>,
    /// Why the scenario is incomplete, if it is.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeResult {
    pub reps: Vec<Repetition>,
    pub summary: ModeSummary,
    /// "count:hash" of the first repetition; every repetition must match it.
    pub output_digest: String,
    pub profile: Option<ProfileFiles>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repetition {
    pub index: usize,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub throughput_rps: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub wall_s: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub user_s: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub sys_s: f64,
    /// (user + sys) / wall; 1.0 is one core busy.
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub cpu_util: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub allocs_per_record: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub bytes_per_record: f64,
    /// Peak resident set of the process during the run, in KiB. With the
    /// embedded broker this includes the broker's copy of the topic.
    pub peak_rss_kib: u64,
    pub latency_us: Percentiles,
    pub records_read: u64,
    pub emitted: u64,
    pub rejected: u64,
    pub late: u64,
    pub output_digest: String,
    /// throughput / the broker ceiling's median, when measured.
    pub fraction_of_ceiling: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Percentiles {
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub p50: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub p95: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub p99: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub p999: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeSummary {
    pub throughput_rps: Summary,
    /// 95% bootstrap interval of the median throughput.
    pub throughput_ci95: Option<Interval>,
    /// Median over repetitions of each percentile.
    pub latency_us: Percentiles,
    pub cpu_util: Summary,
    pub allocs_per_record: Summary,
    pub bytes_per_record: Summary,
    pub peak_rss_kib: u64,
    pub fraction_of_ceiling: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ceiling {
    pub throughput_rps: Vec<f64>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// The mode whose gain is measured ("sync").
    pub a: String,
    /// The mode it is measured against ("tokio").
    pub b: String,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub a_median_rps: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub b_median_rps: f64,
    /// Throughput gain of a over b, in percent, paired by repetition.
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub gain_pct: f64,
    pub ci95: Interval,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub mann_whitney_p: f64,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFiles {
    pub flamegraph_svg: String,
    pub pprof: String,
    pub samples: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    pub scenario: String,
    pub points: Vec<SweepPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepPoint {
    pub cost_ns: u64,
    /// Median throughput per mode.
    pub throughput_rps: BTreeMap<String, f64>,
    /// sync over tokio, percent.
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub gain_pct: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildCost {
    pub sync_binary_bytes: u64,
    pub tokio_binary_bytes: u64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub sync_build_s: f64,
    #[serde(deserialize_with = "crate::stats::nan_or_number")]
    pub tokio_build_s: f64,
}

impl Results {
    pub fn load(path: &Path) -> anyhow::Result<Results> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let version: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        match version.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => bail!(
                "{} has results schema version {v}; this tokio-tax reads version {SCHEMA_VERSION}",
                path.display()
            ),
            None => bail!(
                "{} has no schema_version: not a tokio-tax results file",
                path.display()
            ),
        }
        serde_json::from_value(version)
            .with_context(|| format!("{} does not match the results schema", path.display()))
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }

    pub fn scenario(&self, name: &str) -> Option<&ScenarioResult> {
        self.scenarios.iter().find(|s| s.name == name)
    }
}
