//! Deterministic gate on iai-callgrind instruction counts. Instruction counts
//! barely move between runs of the same code, so unlike the throughput gate
//! this one needs no statistics: a fixed percentage limit per benchmark.
//!
//! The counts come from the `summary.json` files iai-callgrind 0.16 writes
//! with `--save-summary=json` (or `IAI_CALLGRIND_SAVE_SUMMARY=json`), at
//! `<home>/<package>/<bench file>/<group>/<function>[.<id>]/summary.json`,
//! where `<home>` is `target/iai` by default. Only the few fields read here are
//! modelled, so other fields of the runner's `BenchmarkSummary` (schema
//! version 6) may change without breaking the gate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{ensure, Context};
use serde::{Deserialize, Serialize};

mod summary;

pub use summary::collect_instruction_counts;

/// Version of `reports/baseline/iai.json`.
pub const BASELINE_SCHEMA_VERSION: u32 = 1;

/// `reports/baseline/iai.json`: the instruction counts CI must not exceed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IaiBaseline {
    pub schema_version: u32,
    /// Tolerated growth in percent for benchmarks without their own limit.
    pub default_limit_pct: f64,
    /// Keyed like [`collect_instruction_counts`].
    pub benchmarks: BTreeMap<String, IaiBaselineEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IaiBaselineEntry {
    /// Ir (instructions executed) of the benchmark's total.
    pub instructions: u64,
    /// Overrides `default_limit_pct` for a benchmark known to be noisier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_pct: Option<f64>,
}

impl IaiBaseline {
    pub fn load(path: &Path) -> anyhow::Result<IaiBaseline> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let baseline: IaiBaseline = serde_json::from_str(&text)
            .with_context(|| format!("{} is not an iai baseline", path.display()))?;
        ensure!(
            baseline.schema_version == BASELINE_SCHEMA_VERSION,
            "{} has iai baseline schema version {}; this tokio-tax reads version {BASELINE_SCHEMA_VERSION}",
            path.display(),
            baseline.schema_version
        );
        let limits = std::iter::once(("default_limit_pct", baseline.default_limit_pct)).chain(
            baseline
                .benchmarks
                .iter()
                .filter_map(|(id, e)| e.limit_pct.map(|l| (id.as_str(), l))),
        );
        for (name, limit) in limits {
            ensure!(
                limit.is_finite() && limit >= 0.0,
                "{}: limit of {name} must be a non-negative percentage, got {limit}",
                path.display()
            );
        }
        Ok(baseline)
    }

    fn limit_for(&self, entry: &IaiBaselineEntry) -> f64 {
        entry.limit_pct.unwrap_or(self.default_limit_pct)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IaiStatus {
    Pass,
    Regression,
    /// Fewer instructions than the limit allows: refresh the baseline to keep the gain.
    Improvement,
    /// Not in the baseline yet; reported, not gated.
    New,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IaiRow {
    pub id: String,
    pub baseline: Option<u64>,
    pub current: u64,
    /// NaN for a new benchmark.
    pub change_pct: f64,
    pub limit_pct: f64,
    pub status: IaiStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IaiOutcome {
    pub rows: Vec<IaiRow>,
    pub markdown: String,
    /// 1 when any benchmark grew past its limit, else 0.
    pub exit_code: i32,
}

/// Compares `current` counts with the baseline. Err when a baseline benchmark
/// is missing, since a renamed or deleted bench must not pass silently.
pub fn gate_instructions(
    baseline: &IaiBaseline,
    current: &BTreeMap<String, u64>,
) -> anyhow::Result<IaiOutcome> {
    let missing: Vec<&str> = baseline
        .benchmarks
        .keys()
        .filter(|id| !current.contains_key(*id))
        .map(String::as_str)
        .collect();
    ensure!(
        missing.is_empty(),
        "cannot gate: baseline benchmark(s) missing from the current run: {}",
        missing.join(", ")
    );
    let rows: Vec<IaiRow> = current
        .iter()
        .map(|(id, &now)| match baseline.benchmarks.get(id) {
            Some(entry) => {
                let limit = baseline.limit_for(entry);
                let base = entry.instructions as f64;
                // Compared as `diff * 100` against `limit * base`: exact for
                // integral limits, where a ratio would put 1020/1000 above 2%.
                let diff_x100 = (now as f64 - base) * 100.0;
                let status = if diff_x100 > limit * base {
                    IaiStatus::Regression
                } else if diff_x100 < -limit * base {
                    IaiStatus::Improvement
                } else {
                    IaiStatus::Pass
                };
                IaiRow {
                    id: id.clone(),
                    baseline: Some(entry.instructions),
                    current: now,
                    change_pct: diff_x100 / base,
                    limit_pct: limit,
                    status,
                }
            }
            None => IaiRow {
                id: id.clone(),
                baseline: None,
                current: now,
                change_pct: f64::NAN,
                limit_pct: baseline.default_limit_pct,
                status: IaiStatus::New,
            },
        })
        .collect();
    let exit_code = i32::from(rows.iter().any(|r| r.status == IaiStatus::Regression));
    let markdown = render_markdown(&rows);
    Ok(IaiOutcome {
        rows,
        markdown,
        exit_code,
    })
}

/// Writes `current` as the new baseline at `path`, for an intended change of
/// the counts. Per-benchmark limits of an existing baseline are kept for
/// benchmarks that still exist; an existing file that cannot be read is an
/// error rather than overwritten.
pub fn write_baseline(
    current: &BTreeMap<String, u64>,
    path: &Path,
    default_limit_pct: f64,
) -> anyhow::Result<IaiBaseline> {
    ensure!(
        !current.is_empty(),
        "no instruction counts to write to {}",
        path.display()
    );
    ensure!(
        default_limit_pct.is_finite() && default_limit_pct >= 0.0,
        "default limit must be a non-negative percentage, got {default_limit_pct}"
    );
    let old = match path.exists() {
        true => Some(
            IaiBaseline::load(path)
                .context("keeping its per-benchmark limits; delete it to start afresh")?,
        ),
        false => None,
    };
    let benchmarks = current
        .iter()
        .map(|(id, &instructions)| {
            let limit_pct = old
                .as_ref()
                .and_then(|o| o.benchmarks.get(id))
                .and_then(|e| e.limit_pct);
            (
                id.clone(),
                IaiBaselineEntry {
                    instructions,
                    limit_pct,
                },
            )
        })
        .collect();
    let baseline = IaiBaseline {
        schema_version: BASELINE_SCHEMA_VERSION,
        default_limit_pct,
        benchmarks,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(&baseline)?;
    std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    Ok(baseline)
}

fn render_markdown(rows: &[IaiRow]) -> String {
    let count = |s: IaiStatus| rows.iter().filter(|r| r.status == s).count();
    let (regressed, improved, new) = (
        count(IaiStatus::Regression),
        count(IaiStatus::Improvement),
        count(IaiStatus::New),
    );
    let verdict = if regressed > 0 { "FAIL" } else { "PASS" };
    let mut md = format!(
        "**tokio-tax iai gate: {verdict}** — {} benchmarks, {regressed} over their limit, {improved} improved, {new} new\n\n",
        rows.len()
    );
    md.push_str("| benchmark | baseline Ir | current Ir | change | limit | status |\n");
    md.push_str("| --- | ---: | ---: | ---: | ---: | --- |\n");
    for r in rows {
        let (base, change) = match r.baseline {
            Some(b) => (b.to_string(), format!("{:+.2}%", r.change_pct)),
            None => ("-".to_string(), "-".to_string()),
        };
        let status = match r.status {
            IaiStatus::Pass => "pass",
            IaiStatus::Regression => "**REGRESSION**",
            IaiStatus::Improvement => "improvement",
            IaiStatus::New => "new (not gated)",
        };
        let _ = writeln!(
            md,
            "| {} | {base} | {} | {change} | {}% | {status} |",
            r.id, r.current, r.limit_pct
        );
    }
    if improved + new > 0 {
        md.push_str("\nRefresh reports/baseline/iai.json on purpose to gate the improved and new benchmarks.\n");
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline(entries: &[(&str, u64, Option<f64>)]) -> IaiBaseline {
        IaiBaseline {
            schema_version: BASELINE_SCHEMA_VERSION,
            default_limit_pct: 2.0,
            benchmarks: entries
                .iter()
                .map(|&(id, instructions, limit_pct)| {
                    (
                        id.to_string(),
                        IaiBaselineEntry {
                            instructions,
                            limit_pct,
                        },
                    )
                })
                .collect(),
        }
    }

    fn counts(entries: &[(&str, u64)]) -> BTreeMap<String, u64> {
        entries.iter().map(|&(k, v)| (k.to_string(), v)).collect()
    }

    #[test]
    fn gate_fails_past_limit_and_lists_improvements_and_new() {
        let base = baseline(&[
            ("a", 1000, None),
            ("b", 1000, Some(10.0)),
            ("c", 1000, None),
            ("d", 1000, None),
        ]);
        let cur = counts(&[("a", 1021), ("b", 1090), ("c", 900), ("d", 1020), ("e", 5)]);
        let out = gate_instructions(&base, &cur).expect("all present");
        let status: Vec<IaiStatus> = out.rows.iter().map(|r| r.status).collect();
        use IaiStatus::*;
        assert_eq!(status, [Regression, Pass, Improvement, Pass, New]);
        assert_eq!(out.exit_code, 1);
        assert!(
            out.markdown
                .starts_with("**tokio-tax iai gate: FAIL** — 5 benchmarks, 1 over"),
            "{}",
            out.markdown
        );
        assert!(
            out.markdown
                .contains("| a | 1000 | 1021 | +2.10% | 2% | **REGRESSION** |"),
            "{}",
            out.markdown
        );
        let ok = gate_instructions(
            &base,
            &counts(&[("a", 1), ("b", 1000), ("c", 1000), ("d", 1000)]),
        )
        .expect("ok");
        assert_eq!(ok.exit_code, 0);
    }

    #[test]
    fn missing_benchmark_is_an_error() {
        let base = baseline(&[("a", 1000, None), ("gone", 10, None)]);
        let err = gate_instructions(&base, &counts(&[("a", 1000)]))
            .expect_err("missing")
            .to_string();
        assert!(err.contains("missing from the current run: gone"), "{err}");
    }

    #[test]
    fn write_baseline_round_trips_and_keeps_limits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("reports/baseline/iai.json");
        write_baseline(&counts(&[("a", 10), ("b", 20)]), &path, 2.0).expect("first write");
        let mut edited = IaiBaseline::load(&path).expect("loads");
        edited.benchmarks.get_mut("a").expect("a").limit_pct = Some(5.0);
        std::fs::write(&path, serde_json::to_string(&edited).expect("json")).expect("edit");
        let again = write_baseline(&counts(&[("a", 11), ("c", 30)]), &path, 3.0).expect("refresh");
        assert_eq!(again, IaiBaseline::load(&path).expect("reloads"));
        assert_eq!(again.default_limit_pct, 3.0);
        assert_eq!(
            again.benchmarks["a"],
            IaiBaselineEntry {
                instructions: 11,
                limit_pct: Some(5.0)
            }
        );
        assert!(!again.benchmarks.contains_key("b") && again.benchmarks["c"].limit_pct.is_none());
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains("\"schema_version\": 1") && !text.contains("\"limit_pct\": null"),
            "{text}"
        );
    }

    #[test]
    fn baseline_load_rejects_bad_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("iai.json");
        let cases = [
            r#"{ "schema_version": 2, "default_limit_pct": 2.0, "benchmarks": {} }"#,
            r#"{ "schema_version": 1, "default_limit_pct": -1.0, "benchmarks": {} }"#,
            r#"{ "schema_version": 1, "default_limit_pct": 2.0, "benchmarks": {}, "typo": 1 }"#,
            r#"{ "schema_version": 1, "default_limit_pct": 2.0, "benchmarks": { "a": { "instructions": 1, "limit": 3 } } }"#,
        ];
        for text in cases {
            std::fs::write(&path, text).expect("write");
            assert!(IaiBaseline::load(&path).is_err(), "{text}");
        }
        let err =
            write_baseline(&counts(&[("a", 1)]), &path, 2.0).expect_err("unreadable existing");
        assert!(
            format!("{err:#}").contains("delete it to start afresh"),
            "{err:#}"
        );
    }
}
