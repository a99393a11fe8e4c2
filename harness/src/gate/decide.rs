//! How one scenario and mode is decided and shown: a bootstrap interval of the
//! throughput change, placed against the tolerated band.

use std::fmt::Write as _;

use super::{GateOutcome, GateRow, GateStatus};
use crate::stats::{bootstrap_ratio_pct, median, Interval};

/// Bootstrap resamples per comparison: enough for stable 2.5% tails, cheap
/// next to the run itself.
const RESAMPLES: usize = 2000;
const CONFIDENCE: f64 = 0.95;
/// Fewest repetitions per side. With two, a resampled median can only be one of
/// three values, so the interval says little; below three the row is inconclusive.
pub const MIN_REPS: usize = 3;
/// Mixed with a hash of scenario and mode so each comparison has its own
/// reproducible bootstrap stream.
const SEED: u64 = 0x746f_6b69_6f74_6178;

/// The repetitions of one scenario and mode on each side.
pub(super) struct Sample<'a> {
    pub(super) scenario: &'a str,
    pub(super) mode: &'a str,
    pub(super) baseline: Vec<f64>,
    pub(super) current: Vec<f64>,
}

impl GateStatus {
    fn label(self) -> &'static str {
        match self {
            GateStatus::Pass => "pass",
            GateStatus::Regression => "**REGRESSION**",
            GateStatus::Inconclusive => "inconclusive",
            GateStatus::Improvement => "improvement",
        }
    }
}

/// Decides every sample; exit code 1 when any is a regression.
pub(super) fn evaluate(
    samples: &[Sample<'_>],
    max: f64,
    against: &str,
    warnings: &[String],
) -> GateOutcome {
    let rows: Vec<GateRow> = samples.iter().map(|s| compare_sample(s, max)).collect();
    let exit_code = i32::from(rows.iter().any(|r| r.status == GateStatus::Regression));
    let markdown = render_markdown(&rows, max, against, warnings);
    GateOutcome {
        rows,
        markdown,
        exit_code,
    }
}

fn compare_sample(s: &Sample<'_>, max: f64) -> GateRow {
    let (baseline_median, current_median) = (median(&s.baseline), median(&s.current));
    let enough = s.baseline.len() >= MIN_REPS && s.current.len() >= MIN_REPS;
    let seed = SEED ^ fnv1a(&format!("{}/{}", s.scenario, s.mode));
    let estimate = enough
        .then(|| bootstrap_ratio_pct(&s.current, &s.baseline, RESAMPLES, CONFIDENCE, seed))
        .flatten();
    let (change_pct, ci95, status) = match estimate {
        Some((point, ci)) => (point, ci, classify(ci, max)),
        None => {
            let point = (current_median / baseline_median - 1.0) * 100.0;
            (
                point,
                Interval {
                    lo: f64::NAN,
                    hi: f64::NAN,
                },
                GateStatus::Inconclusive,
            )
        }
    };
    GateRow {
        scenario: s.scenario.to_string(),
        mode: s.mode.to_string(),
        baseline_median,
        current_median,
        change_pct,
        ci95,
        status,
        baseline_reps: s.baseline.len(),
        current_reps: s.current.len(),
    }
}

/// Where the interval lies against the tolerated band `[-max, +max]`. NaN
/// bounds fail every comparison and end up inconclusive.
fn classify(ci: Interval, max: f64) -> GateStatus {
    if ci.hi < -max {
        GateStatus::Regression
    } else if ci.lo > max {
        GateStatus::Improvement
    } else if ci.lo >= -max {
        GateStatus::Pass
    } else {
        GateStatus::Inconclusive
    }
}

/// Keeps a name with a `|` from breaking the table.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn render_markdown(rows: &[GateRow], max: f64, against: &str, warnings: &[String]) -> String {
    let count = |s: GateStatus| rows.iter().filter(|r| r.status == s).count();
    let counts = [
        (count(GateStatus::Regression), "regression"),
        (count(GateStatus::Inconclusive), "inconclusive"),
        (count(GateStatus::Improvement), "improvement"),
        (count(GateStatus::Pass), "pass"),
    ];
    let verdict = match (counts[0].0, counts[1].0) {
        (0, 0) => "PASS",
        (0, _) => "PASS with warnings",
        _ => "FAIL",
    };
    let tally: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, k)| format!("{n} {k}"))
        .collect();
    let mut md = format!(
        "**tokio-tax gate: {verdict}** — {} against {against} (fail when the 95% CI of the throughput change lies below -{max}%)\n\n",
        if tally.is_empty() { "no comparisons".to_string() } else { tally.join(", ") },
    );
    md.push_str("| scenario | mode | baseline median (rec/s) | current median (rec/s) | change | 95% CI | reps (base/cur) | status |\n");
    md.push_str("| --- | --- | ---: | ---: | ---: | --- | ---: | --- |\n");
    for r in rows {
        let ci = if r.ci95.lo.is_finite() && r.ci95.hi.is_finite() {
            format!("{:+.1}% .. {:+.1}%", r.ci95.lo, r.ci95.hi)
        } else if r.baseline_reps < MIN_REPS || r.current_reps < MIN_REPS {
            format!("n/a (need {MIN_REPS}+ reps)")
        } else {
            "n/a".to_string()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {:.0} | {:.0} | {:+.1}% | {ci} | {}/{} | {} |",
            cell(&r.scenario),
            cell(&r.mode),
            r.baseline_median,
            r.current_median,
            r.change_pct,
            r.baseline_reps,
            r.current_reps,
            r.status.label()
        );
    }
    if !warnings.is_empty() {
        md.push('\n');
        for w in warnings {
            let _ = writeln!(md, "- warning: {w}");
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::compare_results;
    use crate::gate::fixtures::*;

    #[test]
    fn unchanged_run_passes() {
        let base = one(
            "q1",
            "2024-01-01T00:00:00Z",
            &around(1000.0, 10),
            &around(900.0, 10),
        );
        let cur = one(
            "q1",
            "2024-01-02T00:00:00Z",
            &around(1000.0, 10),
            &around(900.0, 10),
        );
        let out = compare_results(&base, &cur, 5.0).expect("comparable");
        assert_eq!(out.exit_code, 0);
        assert!(
            out.rows.iter().all(|r| r.status == GateStatus::Pass),
            "{:?}",
            out.rows
        );
        assert!(
            out.markdown.starts_with("**tokio-tax gate: PASS**"),
            "{}",
            out.markdown
        );
        assert!(
            out.markdown.contains("| q1 | sync | 1000 | 1000 | +0.0% |"),
            "{}",
            out.markdown
        );
    }

    #[test]
    fn clear_regression_fails_and_improvement_is_listed() {
        let base = one("q1", "a", &around(1000.0, 10), &around(1000.0, 10));
        let cur = one("q1", "b", &around(800.0, 10), &around(1200.0, 10));
        let out = compare_results(&base, &cur, 5.0).expect("comparable");
        assert_eq!(status_of(&out, "sync"), GateStatus::Regression);
        assert_eq!(status_of(&out, "tokio"), GateStatus::Improvement);
        assert_eq!(out.exit_code, 1);
        let row = &out.rows[0];
        assert!(
            (row.change_pct + 20.0).abs() < 1.0 && row.ci95.hi < -5.0,
            "{row:?}"
        );
        assert!(
            out.markdown.contains("FAIL") && out.markdown.contains("1 regression"),
            "{}",
            out.markdown
        );
    }

    #[test]
    fn small_drop_within_tolerance_passes() {
        // -2% is a real change but inside the 5% budget.
        let base = one("q1", "a", &around(1000.0, 10), &around(1000.0, 10));
        let cur = one("q1", "b", &around(980.0, 10), &around(1000.0, 10));
        let out = compare_results(&base, &cur, 5.0).expect("comparable");
        assert_eq!(status_of(&out, "sync"), GateStatus::Pass, "{:?}", out.rows);
        assert_eq!(out.exit_code, 0);
    }

    #[test]
    fn noisy_drop_straddling_the_limit_is_inconclusive() {
        // Median -6%, but the spread is so wide the interval reaches past -5%.
        let base = one(
            "q1",
            "a",
            &[700.0, 1000.0, 1300.0, 900.0, 1100.0],
            &around(1000.0, 5),
        );
        let cur = one(
            "q1",
            "b",
            &[650.0, 940.0, 1250.0, 850.0, 1050.0],
            &around(1000.0, 5),
        );
        let out = compare_results(&base, &cur, 5.0).expect("comparable");
        let row = &out.rows[0];
        assert_eq!(row.status, GateStatus::Inconclusive, "{row:?}");
        assert!(row.ci95.lo < -5.0 && row.ci95.hi >= -5.0, "{row:?}");
        assert_eq!(out.exit_code, 0);
        assert!(
            out.markdown.contains("PASS with warnings"),
            "{}",
            out.markdown
        );
    }

    #[test]
    fn too_few_reps_is_inconclusive_never_a_regression() {
        let base = one("q1", "a", &[1000.0, 1000.0], &around(1000.0, 5));
        let cur = one("q1", "b", &[500.0, 500.0], &around(1000.0, 5));
        let out = compare_results(&base, &cur, 5.0).expect("comparable");
        let row = &out.rows[0];
        assert_eq!(row.status, GateStatus::Inconclusive);
        assert!(
            row.ci95.lo.is_nan() && (row.change_pct + 50.0).abs() < 1e-9,
            "{row:?}"
        );
        assert!(
            out.markdown.contains("n/a (need 3+ reps)"),
            "{}",
            out.markdown
        );
    }

    #[test]
    fn classify_edges() {
        let iv = |lo, hi| Interval { lo, hi };
        assert_eq!(classify(iv(-9.0, -5.1), 5.0), GateStatus::Regression);
        assert_eq!(classify(iv(-5.0, 1.0), 5.0), GateStatus::Pass);
        assert_eq!(classify(iv(-5.1, -5.0), 5.0), GateStatus::Inconclusive);
        assert_eq!(classify(iv(5.1, 9.0), 5.0), GateStatus::Improvement);
        assert_eq!(
            classify(iv(f64::NAN, f64::NAN), 5.0),
            GateStatus::Inconclusive
        );
    }
}
