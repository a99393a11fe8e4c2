//! Reads the `summary.json` files iai-callgrind-runner 0.16 writes: only the
//! fields the gate needs are modelled, and unknown ones are ignored, so the
//! runner can add fields without breaking us.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use serde::de::IgnoredAny;
use serde::Deserialize;

/// The runner's summary schema this module was written against.
const SUMMARY_VERSION: &str = "6";

/// Reads every `summary.json` under `iai_dir` (usually `target/iai`) and
/// returns the Ir total per benchmark, keyed
/// `<package>/<bench file>/<group>/<function>[.<id>]` (the path components
/// above the benchmark's module path come from the directory layout, so a
/// `--separate-targets` home adds the target triple in front). Stale summaries
/// of deleted benchmarks are read too: point this at a fresh home in CI.
pub fn collect_instruction_counts(iai_dir: &Path) -> anyhow::Result<BTreeMap<String, u64>> {
    ensure!(
        iai_dir.is_dir(),
        "{} is not a directory; run the iai benches with IAI_CALLGRIND_SAVE_SUMMARY=json first",
        iai_dir.display()
    );
    let mut files = Vec::new();
    find_summaries(iai_dir, &mut files)?;
    ensure!(
        !files.is_empty(),
        "no summary.json under {}; run the iai benches with IAI_CALLGRIND_SAVE_SUMMARY=json",
        iai_dir.display()
    );
    let mut counts = BTreeMap::new();
    for file in files {
        let summary = read_summary(&file)?;
        let key = benchmark_key(iai_dir, &file, &summary.module_path, summary.id.as_deref());
        let ir = total_instructions(&summary)
            .with_context(|| format!("reading Ir from {}", file.display()))?;
        if counts.insert(key.clone(), ir).is_some() {
            bail!(
                "two summaries under {} map to benchmark {key}",
                iai_dir.display()
            );
        }
    }
    Ok(counts)
}

/// The slice of the runner's `BenchmarkSummary` the gate needs.
#[derive(Deserialize)]
struct Summary {
    version: String,
    module_path: String,
    id: Option<String>,
    profiles: Vec<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    tool: String,
    summaries: ProfileData,
}

#[derive(Deserialize)]
struct ProfileData {
    total: ProfileTotal,
}

#[derive(Deserialize)]
struct ProfileTotal {
    /// `ToolMetricSummary`: `"None"` or `{ "<Tool>": { "<event>": MetricsDiff } }`.
    summary: serde_json::Value,
}

#[derive(Deserialize)]
struct MetricsDiff {
    metrics: EitherOrBoth,
}

/// Left is the new run, Right the old one (the runner's convention); the old
/// value is never needed.
#[derive(Deserialize)]
enum EitherOrBoth {
    Both(Metric, IgnoredAny),
    Left(Metric),
    Right(IgnoredAny),
}

#[derive(Deserialize)]
enum Metric {
    Int(u64),
    Float(f64),
}

fn find_summaries(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let kind = entry
            .file_type()
            .with_context(|| format!("inspecting {}", entry.path().display()))?;
        paths.push((entry.path(), kind.is_dir()));
    }
    paths.sort();
    for (path, is_dir) in paths {
        if is_dir {
            find_summaries(&path, out)?;
        } else if path.file_name().is_some_and(|n| n == "summary.json") {
            out.push(path);
        }
    }
    Ok(())
}

fn read_summary(file: &Path) -> anyhow::Result<Summary> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let summary: Summary = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not an iai-callgrind benchmark summary",
            file.display()
        )
    })?;
    if summary.version != SUMMARY_VERSION {
        tracing::warn!(
            "{} has summary schema version {}; written against version {SUMMARY_VERSION}",
            file.display(),
            summary.version
        );
    }
    Ok(summary)
}

/// `<dirs above the module path>/<bench file>/<group>/<function>[.<id>]`,
/// using the summary's own names rather than the sanitized directory names.
fn benchmark_key(iai_dir: &Path, file: &Path, module_path: &str, id: Option<&str>) -> String {
    let dir = file.parent().unwrap_or(file);
    let rel = dir.strip_prefix(iai_dir).unwrap_or(dir);
    let comps: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = module_path.split("::").collect();
    let prefix = &comps[..comps.len().saturating_sub(segments.len())];
    let mut parts: Vec<&str> = prefix.iter().map(String::as_str).collect();
    parts.extend(&segments);
    let mut key = parts.join("/");
    if let Some(id) = id {
        key.push('.');
        key.push_str(id);
    }
    key
}

/// Ir of the new run from the Callgrind total (Cachegrind when that is the
/// default tool); other tools' profiles (DHAT, Memcheck...) are ignored.
fn total_instructions(summary: &Summary) -> anyhow::Result<u64> {
    let events = ["Callgrind", "Cachegrind"]
        .iter()
        .find_map(|tool| {
            let profile = summary.profiles.iter().find(|p| p.tool == *tool)?;
            profile.summaries.total.summary.get(*tool)
        })
        .context("no Callgrind or Cachegrind profile")?;
    let ir = events.get("Ir").context("the total has no Ir event")?;
    let diff: MetricsDiff =
        serde_json::from_value(ir.clone()).context("unexpected shape of the Ir metric")?;
    let metric = match diff.metrics {
        EitherOrBoth::Both(new, _) | EitherOrBoth::Left(new) => new,
        EitherOrBoth::Right(_) => bail!("Ir holds only the old run's value"),
    };
    match metric {
        Metric::Int(n) => Ok(n),
        Metric::Float(x) => bail!("Ir is a float ({x}); expected an instruction count"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary.json shaped like iai-callgrind-runner 0.16.1's `BenchmarkSummary`
    /// (schema v6), with a DHAT profile first so the tool lookup is exercised.
    fn summary_json(module_path: &str, id: Option<&str>, tool: &str, metrics: &str) -> String {
        let id = id.map_or("null".to_string(), |i| format!("\"{i}\""));
        format!(
            r#"{{
  "baselines": [null, null],
  "benchmark_exe": "/w/target/release/deps/iai-1234",
  "benchmark_file": "/w/engine/benches/iai.rs",
  "details": "warm_engine(\"q2_filter\")",
  "function_name": "engine_process_batch",
  "id": {id},
  "kind": "LibraryBenchmark",
  "module_path": "{module_path}",
  "package_dir": "/w/engine",
  "profiles": [
    {{ "flamegraphs": [], "log_paths": ["/x/dhat.log"], "out_paths": [], "tool": "DHAT",
       "summaries": {{ "parts": [], "total": {{ "regressions": [], "summary": {{ "Dhat": {{
         "TotalBytes": {{ "diffs": null, "metrics": {{ "Left": {{ "Int": 4096 }} }} }} }} }} }} }} }},
    {{ "flamegraphs": [], "log_paths": ["/x/callgrind.log"], "out_paths": ["/x/callgrind.out"],
       "tool": "{tool}",
       "summaries": {{
         "parts": [{{ "details": {{ "Left": {{ "command": "iai", "details": null, "parent_pid": 1,
           "part": null, "path": "/x/callgrind.out", "pid": 2, "thread": null }} }},
           "metrics_summary": "None" }}],
         "total": {{ "regressions": [], "summary": {{ "{tool}": {{
           "Ir": {metrics},
           "EstimatedCycles": {{ "diffs": null, "metrics": {{ "Left": {{ "Int": 99999 }} }} }},
           "L1HitRate": {{ "diffs": null, "metrics": {{ "Left": {{ "Float": 99.5 }} }} }}
         }} }} }} }} }}
  ],
  "project_root": "/w",
  "summary_output": {{ "format": "Json", "path": "/x/summary.json" }},
  "version": "6",
  "some_future_field": true
}}"#
        )
    }

    fn put(root: &Path, rel: &str, json: &str) {
        let dir = root.join(rel);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("summary.json"), json).expect("write summary");
    }

    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let left = r#"{ "diffs": null, "metrics": { "Left": { "Int": 1000 } } }"#;
        let both = r#"{ "diffs": { "diff_pct": "5", "factor": "1.05" }, "metrics": { "Both": [{ "Int": 2100 }, { "Int": 2000 }] } }"#;
        let path = "iai::engine::engine_process_batch";
        put(
            dir.path(),
            "tokio-tax-engine/iai/engine/engine_process_batch.q2_filter",
            &summary_json(path, Some("q2_filter"), "Callgrind", left),
        );
        put(
            dir.path(),
            "tokio-tax-engine/iai/engine/engine_process_batch.q5_hop_count",
            &summary_json(path, Some("q5_hop_count"), "Callgrind", both),
        );
        put(
            dir.path(),
            "tokio-tax/iai/components/mpsc_send",
            &summary_json("iai::components::mpsc_send", None, "Cachegrind", left),
        );
        std::fs::write(
            dir.path().join("tokio-tax-engine/iai/engine/other.json"),
            "not a summary",
        )
        .expect("write");
        dir
    }

    #[test]
    fn collects_ir_totals_keyed_by_package_and_module_path() {
        let dir = fixture();
        let counts = collect_instruction_counts(dir.path()).expect("collects");
        let want: BTreeMap<String, u64> = [
            (
                "tokio-tax-engine/iai/engine/engine_process_batch.q2_filter",
                1000,
            ),
            (
                "tokio-tax-engine/iai/engine/engine_process_batch.q5_hop_count",
                2100,
            ),
            ("tokio-tax/iai/components/mpsc_send", 1000),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(counts, want);
    }

    #[test]
    fn collect_errors_name_the_problem() {
        let empty = tempfile::tempdir().expect("tempdir");
        let err = collect_instruction_counts(empty.path())
            .expect_err("empty")
            .to_string();
        assert!(err.contains("no summary.json"), "{err}");
        let err = collect_instruction_counts(&empty.path().join("nope"))
            .expect_err("absent")
            .to_string();
        assert!(err.contains("is not a directory"), "{err}");
        put(empty.path(), "p/b/g/f", r#"{ "version": "6" }"#);
        let err = format!(
            "{:#}",
            collect_instruction_counts(empty.path()).expect_err("bad")
        );
        assert!(
            err.contains("p/b/g/f/summary.json") && err.contains("not an iai-callgrind"),
            "{err}"
        );
        let old_only = r#"{ "diffs": null, "metrics": { "Right": { "Int": 5 } } }"#;
        put(
            empty.path(),
            "p/b/g/f",
            &summary_json("b::g::f", None, "Callgrind", old_only),
        );
        let err = format!(
            "{:#}",
            collect_instruction_counts(empty.path()).expect_err("old only")
        );
        assert!(err.contains("only the old run"), "{err}");
    }
}
