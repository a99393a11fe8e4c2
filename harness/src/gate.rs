//! Regression gate: decides whether the current run's throughput is worse than
//! a baseline by more than a tolerated margin, with a bootstrap interval so one
//! noisy repetition can neither fail nor pass CI on its own.
//!
//! A regression is declared only when the whole 95% interval of the change lies
//! beyond `-max_regression_pct`; an interval that merely reaches past it is
//! inconclusive (a warning), because failing CI on noise trains people to
//! ignore the gate. Anything that makes a comparison impossible (a missing
//! scenario or mode, a failed scenario, another schema) is an error, never a pass.

mod decide;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod iai;

pub use decide::MIN_REPS;

use std::io::Write as _;
use std::path::Path;

use anyhow::{bail, ensure, Context};
use serde::{Deserialize, Serialize};

use crate::report::results::{Results, ScenarioResult};
use crate::stats::Interval;

use decide::{evaluate, Sample};

/// The gate's verdict on one scenario and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    Pass,
    Regression,
    Inconclusive,
    Improvement,
}

/// One throughput comparison. `change_pct` and `ci95` are NaN when there were
/// too few repetitions to compute them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRow {
    pub scenario: String,
    pub mode: String,
    pub baseline_median: f64,
    pub current_median: f64,
    /// `(current / baseline - 1) * 100` of the medians.
    pub change_pct: f64,
    pub ci95: Interval,
    pub status: GateStatus,
    /// Repetitions used on each side (the pooled count for `compare_history`).
    pub baseline_reps: usize,
    pub current_reps: usize,
}

/// What the gate decided, ready for a terminal, a PR comment and an exit code.
#[derive(Debug, Clone, PartialEq)]
pub struct GateOutcome {
    pub rows: Vec<GateRow>,
    /// A one-line summary, the table of every comparison, and any warnings.
    pub markdown: String,
    /// 1 when any row is a regression, else 0.
    pub exit_code: i32,
}

/// Gates `current` against one baseline run. Every scenario and mode of the
/// baseline must be in `current`; throughput repetitions are compared as two
/// independent samples.
pub fn compare_results(
    baseline: &Results,
    current: &Results,
    max_regression_pct: f64,
) -> anyhow::Result<GateOutcome> {
    check_max(max_regression_pct)?;
    ensure!(
        baseline.schema_version == current.schema_version,
        "baseline has results schema version {} but the current run has version {}; \
         re-run the baseline with this tokio-tax",
        baseline.schema_version,
        current.schema_version
    );
    let mut problems = Vec::new();
    let mut samples = Vec::new();
    for base in &baseline.scenarios {
        if let Some(err) = &base.error {
            problems.push(format!(
                "baseline scenario `{}` is incomplete ({err})",
                base.name
            ));
            continue;
        }
        let Some(cur) = usable_current(current, base, &mut problems) else {
            continue;
        };
        for (mode, base_mode) in &base.modes {
            match cur.modes.get(mode) {
                Some(cur_mode) => samples.push(Sample {
                    scenario: &base.name,
                    mode,
                    baseline: throughputs(&base_mode.reps),
                    current: throughputs(&cur_mode.reps),
                }),
                None => problems.push(format!(
                    "mode `{mode}` of scenario `{}` is missing from the current run",
                    base.name
                )),
            }
        }
    }
    report_problems(&problems)?;
    let warnings = config_warnings([baseline], current);
    Ok(evaluate(
        &samples,
        max_regression_pct,
        "the baseline",
        &warnings,
    ))
}

/// Gates `current` against the pooled throughput repetitions of several
/// earlier runs, which smooths out one unlucky baseline. `history_runs` is
/// oldest first (as `History::last_runs` returns it): its last run defines
/// which scenarios and modes are expected. A history run identical to
/// `current` (same `created_at`, commit and tool) is skipped, so appending
/// before gating does not compare a run with itself.
pub fn compare_history(
    history_runs: &[Results],
    current: &Results,
    max_regression_pct: f64,
) -> anyhow::Result<GateOutcome> {
    check_max(max_regression_pct)?;
    let mut warnings = Vec::new();
    let runs: Vec<&Results> = history_runs
        .iter()
        .filter(|r| {
            let same = r.created_at == current.created_at
                && r.git_commit == current.git_commit
                && r.tool == current.tool;
            if same {
                warnings.push(format!(
                    "skipped history run of {} because it is the current run",
                    r.created_at
                ));
            }
            !same
        })
        .collect();
    let Some(newest) = runs.last() else {
        bail!("no earlier runs in the history to compare with; append a baseline run first");
    };
    for r in &runs {
        ensure!(
            r.schema_version == current.schema_version,
            "history run of {} has results schema version {} but the current run has version {}",
            r.created_at,
            r.schema_version,
            current.schema_version
        );
    }

    let mut problems = Vec::new();
    let mut samples = Vec::new();
    for expected in &newest.scenarios {
        let Some(cur) = usable_current(current, expected, &mut problems) else {
            continue;
        };
        for mode in expected.modes.keys() {
            // Only clean scenarios go into the pool: a failed run's partial
            // repetitions describe the failure, not the code.
            let pooled: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.scenario(&expected.name))
                .filter(|s| s.error.is_none())
                .filter_map(|s| s.modes.get(mode))
                .flat_map(|m| throughputs(&m.reps))
                .collect();
            if pooled.is_empty() {
                problems.push(format!(
                    "no history run has complete data for mode `{mode}` of scenario `{}`",
                    expected.name
                ));
                continue;
            }
            match cur.modes.get(mode) {
                Some(cur_mode) => samples.push(Sample {
                    scenario: &expected.name,
                    mode,
                    baseline: pooled,
                    current: throughputs(&cur_mode.reps),
                }),
                None => problems.push(format!(
                    "mode `{mode}` of scenario `{}` is missing from the current run",
                    expected.name
                )),
            }
        }
    }
    report_problems(&problems)?;
    warnings.extend(config_warnings(runs.iter().copied(), current));
    let against = format!("{} pooled history runs", runs.len());
    Ok(evaluate(&samples, max_regression_pct, &against, &warnings))
}

/// Appends `markdown` to the file named by `$GITHUB_STEP_SUMMARY`, so the
/// table shows on the workflow run page; does nothing outside GitHub Actions.
pub fn write_step_summary(markdown: &str) -> anyhow::Result<()> {
    match std::env::var_os("GITHUB_STEP_SUMMARY") {
        Some(path) if !path.is_empty() => append_markdown(Path::new(&path), markdown),
        _ => Ok(()),
    }
}

fn append_markdown(path: &Path, markdown: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening the step summary {}", path.display()))?;
    writeln!(file, "{markdown}")
        .with_context(|| format!("writing the step summary {}", path.display()))
}

/// Parses `--max-regression`: "5%" or "5" both mean five percent (so "0.05"
/// is 0.05%, not 5%). Must be finite and in 0..100.
pub fn parse_percent(s: &str) -> anyhow::Result<f64> {
    let trimmed = s.trim();
    let number = trimmed.strip_suffix('%').unwrap_or(trimmed).trim();
    let value: f64 = number
        .parse()
        .with_context(|| format!("`{s}` is not a percentage; write it like 5% or 5"))?;
    ensure!(
        value.is_finite() && (0.0..100.0).contains(&value),
        "`{s}` is outside 0%..100%"
    );
    Ok(value)
}

fn check_max(max_regression_pct: f64) -> anyhow::Result<()> {
    ensure!(
        max_regression_pct.is_finite() && (0.0..100.0).contains(&max_regression_pct),
        "max regression must be in 0%..100%, got {max_regression_pct}%"
    );
    Ok(())
}

/// The current run's counterpart of `expected`, or a problem recorded when it
/// is missing or failed (a crash must not read as "too few reps").
fn usable_current<'a>(
    current: &'a Results,
    expected: &ScenarioResult,
    problems: &mut Vec<String>,
) -> Option<&'a ScenarioResult> {
    match current.scenario(&expected.name) {
        None => {
            problems.push(format!(
                "scenario `{}` is missing from the current run",
                expected.name
            ));
            None
        }
        Some(cur) => match &cur.error {
            Some(err) => {
                problems.push(format!(
                    "scenario `{}` failed in the current run ({err})",
                    expected.name
                ));
                None
            }
            None => Some(cur),
        },
    }
}

fn report_problems(problems: &[String]) -> anyhow::Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    bail!("cannot gate: {}", problems.join("; "))
}

/// Finite throughputs only: a NaN from a broken repetition must not poison the median.
fn throughputs(reps: &[crate::report::results::Repetition]) -> Vec<f64> {
    reps.iter()
        .map(|r| r.throughput_rps)
        .filter(|x| x.is_finite())
        .collect()
}

/// Differences that make throughput numbers incomparable without making the
/// comparison impossible; shown under the table so a reviewer can judge.
fn config_warnings<'a>(
    baselines: impl IntoIterator<Item = &'a Results>,
    current: &Results,
) -> Vec<String> {
    let mut out = Vec::new();
    for b in baselines {
        let (bc, cc) = (&b.config, &current.config);
        let mut diffs = Vec::new();
        if bc.kafka != cc.kafka {
            diffs.push(format!("broker {} vs {}", bc.kafka, cc.kafka));
        }
        if bc.quick != cc.quick {
            diffs.push(format!("quick {} vs {}", bc.quick, cc.quick));
        }
        if bc.records_override != cc.records_override {
            diffs.push(format!(
                "records {:?} vs {:?}",
                bc.records_override, cc.records_override
            ));
        }
        if b.machine.cpu_model != current.machine.cpu_model
            || b.machine.cores != current.machine.cores
        {
            diffs.push(format!(
                "machine {} ({} cores) vs {} ({} cores)",
                b.machine.cpu_model,
                b.machine.cores,
                current.machine.cpu_model,
                current.machine.cores
            ));
        }
        if !diffs.is_empty() {
            out.push(format!(
                "baseline of {} differs from the current run: {}",
                b.created_at,
                diffs.join(", ")
            ));
        }
    }
    if !current.complete {
        out.push("the current run is marked incomplete".to_string());
    }
    for w in &out {
        tracing::warn!("{w}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::report::results::SCHEMA_VERSION;

    #[test]
    fn missing_scenario_or_mode_is_an_error_naming_it() {
        let base = results(
            "a",
            vec![
                scenario(
                    "q1",
                    &[("sync", &around(1000.0, 5)), ("tokio", &around(1000.0, 5))],
                ),
                scenario("q2", &[("sync", &around(1000.0, 5))]),
            ],
        );
        let cur = results("b", vec![scenario("q1", &[("sync", &around(1000.0, 5))])]);
        let err = compare_results(&base, &cur, 5.0)
            .expect_err("must not pass")
            .to_string();
        assert!(
            err.contains("mode `tokio` of scenario `q1` is missing"),
            "{err}"
        );
        assert!(err.contains("scenario `q2` is missing"), "{err}");
    }

    #[test]
    fn failed_scenario_and_schema_mismatch_are_errors() {
        let base = one("q1", "a", &around(1000.0, 5), &around(1000.0, 5));
        let mut cur = one("q1", "b", &around(1000.0, 5), &around(1000.0, 5));
        cur.scenarios[0].error = Some("broker went away".into());
        let err = compare_results(&base, &cur, 5.0)
            .expect_err("failed run")
            .to_string();
        assert!(
            err.contains("scenario `q1` failed in the current run (broker went away)"),
            "{err}"
        );
        cur.scenarios[0].error = None;
        cur.schema_version = SCHEMA_VERSION + 1;
        let err = compare_results(&base, &cur, 5.0)
            .expect_err("schema")
            .to_string();
        assert!(err.contains("schema version"), "{err}");
        assert!(compare_results(&base, &base, f64::NAN).is_err());
    }

    #[test]
    fn history_pools_runs_and_skips_the_current_run() {
        let h1 = one("q1", "2024-01-01", &around(1000.0, 5), &around(1000.0, 5));
        let h2 = one("q1", "2024-01-02", &around(1010.0, 5), &around(990.0, 5));
        let cur = one("q1", "2024-01-03", &around(850.0, 5), &around(1000.0, 5));
        let history = [h1, h2, cur.clone()];
        let out = compare_history(&history, &cur, 5.0).expect("comparable");
        let sync = out
            .rows
            .iter()
            .find(|r| r.mode == "sync")
            .expect("sync row");
        assert_eq!((sync.baseline_reps, sync.current_reps), (10, 5));
        assert_eq!(sync.status, GateStatus::Regression, "{sync:?}");
        assert_eq!(out.exit_code, 1);
        assert!(
            out.markdown.contains("2 pooled history runs"),
            "{}",
            out.markdown
        );
        assert!(
            out.markdown.contains("skipped history run of 2024-01-03"),
            "{}",
            out.markdown
        );
    }

    #[test]
    fn history_uses_newest_run_as_the_expected_set() {
        let old = results("1", vec![scenario("gone", &[("sync", &around(1.0, 5))])]);
        let newest = one("q1", "2", &around(1000.0, 5), &around(1000.0, 5));
        let cur = results("3", vec![scenario("q1", &[("sync", &around(1000.0, 5))])]);
        let err = compare_history(&[old, newest], &cur, 5.0)
            .expect_err("tokio missing")
            .to_string();
        assert!(
            err.contains("mode `tokio` of scenario `q1`") && !err.contains("gone"),
            "{err}"
        );
        assert!(compare_history(&[], &cur, 5.0).is_err());
    }

    #[test]
    fn config_differences_are_warned() {
        let base = one("q1", "a", &around(1000.0, 5), &around(1000.0, 5));
        let mut cur = one("q1", "b", &around(1000.0, 5), &around(1000.0, 5));
        cur.config.kafka = "embedded".into();
        let out = compare_results(&base, &cur, 5.0).expect("comparable");
        assert!(
            out.markdown.contains("- warning: baseline of a differs"),
            "{}",
            out.markdown
        );
        assert!(
            out.markdown.contains("broker memory vs embedded"),
            "{}",
            out.markdown
        );
    }

    #[test]
    fn results_parse_from_json_literal() {
        // The gate reads files written by `compare`; round-trip through JSON.
        let base = one("q1", "a", &around(1000.0, 5), &around(1000.0, 5));
        let text = serde_json::to_string(&base).expect("serializes");
        let back: Results = serde_json::from_str(&text).expect("parses");
        let out = compare_results(&back, &base, 5.0).expect("comparable");
        assert_eq!(out.exit_code, 0);
    }

    #[test]
    fn percent_parsing() {
        assert_eq!(parse_percent("5%").ok(), Some(5.0));
        assert_eq!(parse_percent(" 2.5 % ").ok(), Some(2.5));
        assert_eq!(parse_percent("5").ok(), Some(5.0));
        assert_eq!(parse_percent("0").ok(), Some(0.0));
        for bad in ["", "%", "five", "-1%", "100", "NaN", "inf"] {
            assert!(parse_percent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn step_summary_appends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("summary.md");
        append_markdown(&path, "first").expect("append");
        append_markdown(&path, "second").expect("append");
        let text = std::fs::read_to_string(&path).expect("read back");
        assert_eq!(text, "first\nsecond\n");
    }
}
