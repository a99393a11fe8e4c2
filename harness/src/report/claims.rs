//! FR-081-07's "Expected Improvements" table as data, and what a run measured
//! for each of its rows.
//!
//! Every change is sync relative to tokio, `(sync / tokio - 1) * 100`, the way
//! the table states it, so a claimed and a measured change read the same way.

use std::fmt;

use crate::report::results::{ModeSummary, Results, ScenarioResult, Sweep, SweepPoint};
use crate::stats::{self, Interval};

/// One row of FR-081-07's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Throughput,
    LatencyP50,
    LatencyP99,
    MemoryPerRecord,
    BinarySize,
    CompileTime,
    CpuUsage,
}

impl Metric {
    /// Measured per scenario (as opposed to once per build).
    pub fn per_scenario(self) -> bool {
        !matches!(self, Metric::BinarySize | Metric::CompileTime)
    }
}

/// A row of "Expected Improvements" in "Performance Gains Analysis".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Claim {
    pub metric: Metric,
    pub name: &'static str,
    /// "Current (Async)".
    pub tokio: f64,
    /// "Projected (Sync)".
    pub sync: f64,
    pub unit: &'static str,
    /// "Improvement" as printed, which rounds (75% -> 70% is printed -7%).
    pub change_pct: f64,
}

/// FR-081-07, "Performance Gains Analysis" > "Expected Improvements".
#[rustfmt::skip]
pub const CLAIMS: [Claim; 7] = [
    claim(Metric::Throughput,      "Throughput",    50_000.0, 55_000.0, "rec/s", 10.0),
    claim(Metric::LatencyP50,      "Latency p50",   60.0,     55.0,     "µs",    -8.0),
    claim(Metric::LatencyP99,      "Latency p99",   120.0,    110.0,    "µs",    -8.0),
    claim(Metric::MemoryPerRecord, "Memory/record", 800.0,    600.0,    "B",     -25.0),
    claim(Metric::BinarySize,      "Binary size",   45.0,     38.0,     "MB",    -16.0),
    claim(Metric::CompileTime,     "Compile time",  180.0,    150.0,    "s",     -17.0),
    claim(Metric::CpuUsage,        "CPU usage",     75.0,     70.0,     "%",     -7.0),
];

const fn claim(
    metric: Metric,
    name: &'static str,
    tokio: f64,
    sync: f64,
    unit: &'static str,
    change_pct: f64,
) -> Claim {
    Claim {
        metric,
        name,
        tokio,
        sync,
        unit,
        change_pct,
    }
}

/// What a measurement says about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimVerdict {
    Holds,
    DoesNotHold,
    Opposite,
    NotMeasured,
}

impl ClaimVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimVerdict::Holds => "holds",
            ClaimVerdict::DoesNotHold => "does not hold",
            ClaimVerdict::Opposite => "opposite",
            ClaimVerdict::NotMeasured => "not measured",
        }
    }
}

impl fmt::Display for ClaimVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rule [`judge`] applies, worded for a report.
pub const VERDICT_RULE: &str = "a claim holds when the measured change goes the claimed way by at least half \
     the claimed amount; it is opposite when the change goes the other way by at least half the claimed \
     amount; anything in between does not hold";

/// Judges a measured change against a claimed one (both signed percent, sync
/// relative to tokio). With `half = |claimed| / 2` and `toward` the measured
/// change in the claimed direction (negative when it goes the other way):
///
/// - `toward >= half`: **holds** (a claimed +10% holds from +5%);
/// - `toward <= -half`: **opposite** (sync is worse by at least half the
///   claimed gain; +10% claimed, -5% measured);
/// - otherwise **does not hold**, including a small move the wrong way, which
///   is too close to noise to call opposite;
/// - a non-finite measurement or claim: **not measured**.
///
/// Point estimates only: the scenario verdicts carry the confidence intervals.
pub fn judge(claimed_pct: f64, measured_pct: f64) -> ClaimVerdict {
    if !claimed_pct.is_finite() || !measured_pct.is_finite() || claimed_pct == 0.0 {
        return ClaimVerdict::NotMeasured;
    }
    let half = claimed_pct.abs() / 2.0;
    let toward = measured_pct * claimed_pct.signum();
    if toward >= half {
        ClaimVerdict::Holds
    } else if toward <= -half {
        ClaimVerdict::Opposite
    } else {
        ClaimVerdict::DoesNotHold
    }
}

/// One scenario's measurement for a per-scenario metric.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioValue {
    pub scenario: String,
    /// The metric's value under tokio and under sync (medians over repetitions).
    pub tokio: f64,
    pub sync: f64,
    pub change_pct: f64,
    /// 95% CI of the change; throughput only (paired bootstrap).
    pub ci95: Option<Interval>,
    /// The outputs of the modes differed, so the scenario is left out of the median.
    pub excluded: bool,
    pub verdict: ClaimVerdict,
}

/// A claim next to what this run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRow {
    pub claim: Claim,
    /// Measured change, sync relative to tokio, percent: the median over
    /// scenarios for per-scenario metrics. None when not measured.
    pub measured_pct: Option<f64>,
    /// (tokio, sync) in `claim.unit`, when a single pair of values stands behind
    /// `measured_pct` (one scenario, or a build-cost row).
    pub values: Option<(f64, f64)>,
    pub verdict: ClaimVerdict,
    /// What was measured, or why nothing was.
    pub basis: String,
    pub per_scenario: Vec<ScenarioValue>,
}

/// Measures every row of [`CLAIMS`] from `results`.
pub fn evaluate(results: &Results) -> Vec<ClaimRow> {
    CLAIMS.iter().map(|c| evaluate_claim(results, c)).collect()
}

fn evaluate_claim(results: &Results, claim: &Claim) -> ClaimRow {
    if claim.metric.per_scenario() {
        return per_scenario_row(results, claim);
    }
    let basis = match claim.metric {
        Metric::BinarySize => {
            "release binary, sync-only build vs tokio build (scripts/build-cost.sh)"
        }
        _ => "clean release build time, sync-only vs tokio build (scripts/build-cost.sh)",
    };
    let values = results.build_cost.as_ref().map(|b| match claim.metric {
        Metric::BinarySize => (
            b.tokio_binary_bytes as f64 / 1e6,
            b.sync_binary_bytes as f64 / 1e6,
        ),
        _ => (b.tokio_build_s, b.sync_build_s),
    });
    match values.map(|(t, s)| (t, s, change_pct(s, t))) {
        Some((t, s, pct)) if pct.is_finite() => ClaimRow {
            claim: *claim,
            measured_pct: Some(pct),
            values: Some((t, s)),
            verdict: judge(claim.change_pct, pct),
            basis: basis.to_string(),
            per_scenario: Vec::new(),
        },
        _ => not_measured(
            claim,
            "not measured (run scripts/build-cost.sh)".to_string(),
            Vec::new(),
        ),
    }
}

fn per_scenario_row(results: &Results, claim: &Claim) -> ClaimRow {
    let per_scenario: Vec<ScenarioValue> = results
        .scenarios
        .iter()
        .filter_map(|s| scenario_value(s, claim))
        .collect();
    let included: Vec<&ScenarioValue> = per_scenario.iter().filter(|v| !v.excluded).collect();
    let changes: Vec<f64> = included.iter().map(|v| v.change_pct).collect();
    let measured = stats::median(&changes);
    if !measured.is_finite() {
        let why = match (per_scenario.is_empty(), claim.metric) {
            (false, _) => "not measured: every scenario's outputs differed between modes",
            (true, Metric::LatencyP50 | Metric::LatencyP99) => {
                "not measured: no scenario recorded latency for sync and tokio"
            }
            (true, _) => "not measured: no scenario has values for both sync and tokio",
        };
        return not_measured(claim, why.to_string(), per_scenario);
    }
    let mut basis = match claim.metric {
        Metric::Throughput => {
            "paired per-repetition gain of sync over tokio (median over repetitions)"
        }
        Metric::LatencyP50 => "p50 latency, median over repetitions",
        Metric::LatencyP99 => "p99 latency, median over repetitions",
        Metric::MemoryPerRecord => {
            "allocated bytes per record (counting allocator), not resident memory"
        }
        _ => "CPU busy as % of one core, (user + sys) / wall; not normalised by throughput",
    }
    .to_string();
    if included.len() > 1 {
        basis = format!("median over {} scenarios; {basis}", included.len());
    }
    if claim.metric == Metric::CpuUsage {
        // Busy cores alone reward a mode for doing less work per second.
        let per_record: Vec<f64> = results
            .scenarios
            .iter()
            .filter(|s| s.digests_match)
            .filter_map(cpu_per_record_change)
            .collect();
        let change = stats::median(&per_record);
        if change.is_finite() {
            basis.push_str(&format!("; CPU time per record changes {change:+.1}%"));
        }
    }
    let excluded = per_scenario.len() - included.len();
    if excluded > 0 {
        basis.push_str(&format!(
            "; {excluded} scenario(s) left out because their outputs differed"
        ));
    }
    let values = match included.as_slice() {
        [one] => Some((one.tokio, one.sync)),
        _ => None,
    };
    ClaimRow {
        claim: *claim,
        measured_pct: Some(measured),
        values,
        verdict: judge(claim.change_pct, measured),
        basis,
        per_scenario,
    }
}

fn not_measured(claim: &Claim, basis: String, per_scenario: Vec<ScenarioValue>) -> ClaimRow {
    ClaimRow {
        claim: *claim,
        measured_pct: None,
        values: None,
        verdict: ClaimVerdict::NotMeasured,
        basis,
        per_scenario,
    }
}

/// The scenario's (tokio, sync) values for `claim`, in the claim's unit; None
/// when either mode is missing or the metric was not recorded.
fn scenario_value(s: &ScenarioResult, claim: &Claim) -> Option<ScenarioValue> {
    let (tokio, sync) = (s.modes.get("tokio")?, s.modes.get("sync")?);
    let pick = |f: &dyn Fn(&ModeSummary) -> f64| (f(&tokio.summary), f(&sync.summary));
    let (t, y) = match claim.metric {
        Metric::Throughput => pick(&|m| m.throughput_rps.median),
        Metric::LatencyP50 => pick(&|m| m.latency_us.p50),
        Metric::LatencyP99 => pick(&|m| m.latency_us.p99),
        Metric::MemoryPerRecord => pick(&|m| m.bytes_per_record.median),
        Metric::CpuUsage => pick(&|m| m.cpu_util.median * 100.0),
        Metric::BinarySize | Metric::CompileTime => return None,
    };
    let latency = matches!(claim.metric, Metric::LatencyP50 | Metric::LatencyP99);
    if latency && !(t > 0.0 && y > 0.0) {
        return None; // 0 is "not recorded" in Percentiles
    }
    let (mut pct, mut ci95) = (change_pct(y, t), None);
    if claim.metric == Metric::Throughput {
        // The paired gain cancels drift shared by interleaved repetitions.
        let paired = std::iter::once(&s.comparison)
            .filter_map(Option::as_ref)
            .chain(&s.comparisons)
            .find(|c| c.a == "sync" && c.b == "tokio");
        if let Some(c) = paired.filter(|c| c.gain_pct.is_finite()) {
            (pct, ci95) = (c.gain_pct, Some(c.ci95));
        }
    }
    pct.is_finite().then(|| ScenarioValue {
        scenario: s.name.clone(),
        tokio: t,
        sync: y,
        change_pct: pct,
        ci95,
        excluded: !s.digests_match,
        verdict: judge(claim.change_pct, pct),
    })
}

/// Change of CPU time (user + sys) per record read, sync against tokio, from
/// the medians over repetitions.
fn cpu_per_record_change(s: &ScenarioResult) -> Option<f64> {
    let per_record = |mode: &str| -> Option<f64> {
        let reps = &s.modes.get(mode)?.reps;
        let xs: Vec<f64> = reps
            .iter()
            .filter(|r| r.records_read > 0)
            .map(|r| (r.user_s + r.sys_s) / r.records_read as f64)
            .collect();
        Some(stats::median(&xs))
    };
    let pct = change_pct(per_record("sync")?, per_record("tokio")?);
    pct.is_finite().then_some(pct)
}

/// `(sync / tokio - 1) * 100`; NaN when tokio is not positive.
fn change_pct(sync: f64, tokio: f64) -> f64 {
    if tokio > 0.0 {
        (sync / tokio - 1.0) * 100.0
    } else {
        f64::NAN
    }
}

/// The sweep point with the smallest per-record cost at which the gain of sync
/// over tokio is at most `threshold_pct`; None when it never falls that low.
pub fn gain_falls_to(sweep: &Sweep, threshold_pct: f64) -> Option<&SweepPoint> {
    sweep
        .points
        .iter()
        .filter(|p| p.gain_pct <= threshold_pct)
        .min_by_key(|p| p.cost_ns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn judge_follows_the_half_claim_rule() {
        use ClaimVerdict::*;
        let cases = [
            (10.0, 12.0, Holds),
            (10.0, 5.0, Holds),
            (10.0, 4.9, DoesNotHold),
            (10.0, -4.9, DoesNotHold),
            (10.0, -5.0, Opposite),
            (-8.0, -4.0, Holds),
            (-8.0, -3.0, DoesNotHold),
            (-8.0, 4.0, Opposite),
            (-8.0, f64::NAN, NotMeasured),
        ];
        for (claimed, measured, want) in cases {
            assert_eq!(judge(claimed, measured), want, "{claimed} {measured}");
        }
    }

    #[test]
    fn claims_match_fr_081_07_table() {
        let got: Vec<(&str, f64)> = CLAIMS.iter().map(|c| (c.name, c.change_pct)).collect();
        let want = [
            ("Throughput", 10.0),
            ("Latency p50", -8.0),
            ("Latency p99", -8.0),
            ("Memory/record", -25.0),
            ("Binary size", -16.0),
            ("Compile time", -17.0),
            ("CPU usage", -7.0),
        ];
        assert_eq!(got, want);
        // The printed improvements are the rounded ratios of the printed values.
        for c in CLAIMS {
            let ratio = (c.sync / c.tokio - 1.0) * 100.0;
            assert!((ratio - c.change_pct).abs() < 1.0, "{}: {ratio}", c.name);
        }
    }

    #[test]
    fn sample_measures_every_per_scenario_row() {
        let rows = evaluate(&fixtures::sample_results());
        assert_eq!(rows.len(), CLAIMS.len());
        for row in &rows {
            let built = !row.claim.metric.per_scenario();
            assert_eq!(row.measured_pct.is_none(), built, "{row:?}");
            if built {
                assert_eq!(row.verdict, ClaimVerdict::NotMeasured);
                assert!(row.basis.contains("scripts/build-cost.sh"), "{}", row.basis);
            } else {
                assert_eq!(row.per_scenario.len(), 2, "{row:?}");
            }
        }
        let memory = &rows[3];
        assert!(memory.basis.contains("allocated bytes per record"));
        let cpu = &rows[6];
        assert!(
            cpu.basis.contains("CPU time per record changes -"),
            "{}",
            cpu.basis
        );
    }

    #[test]
    fn throughput_uses_median_of_paired_gains() {
        let r = fixtures::sample_results();
        let row = &evaluate(&r)[0];
        let gains: Vec<f64> = r
            .scenarios
            .iter()
            .filter_map(|s| s.comparison.as_ref())
            .map(|c| c.gain_pct)
            .collect();
        assert_eq!(row.measured_pct, Some(stats::median(&gains)));
        assert!(row.per_scenario.iter().all(|v| v.ci95.is_some()));
    }

    #[test]
    fn sync_slower_is_opposite() {
        let rows = evaluate(&fixtures::sync_slower_results());
        let t = &rows[0];
        assert!(t.measured_pct.is_some_and(|m| m < -5.0), "{t:?}");
        assert_eq!(t.verdict, ClaimVerdict::Opposite);
        assert_eq!(t.values.map(|(tokio, sync)| sync < tokio), Some(true));
    }

    #[test]
    fn build_cost_rows_when_present() {
        let r = fixtures::with_build_cost(fixtures::sample_results());
        let rows = evaluate(&r);
        let size = &rows[4];
        let (tokio_mb, sync_mb) = size.values.expect("build cost present");
        assert!(tokio_mb > sync_mb && size.measured_pct.is_some());
        assert_ne!(size.verdict, ClaimVerdict::NotMeasured);
    }

    #[test]
    fn mismatched_digests_leave_the_median() {
        let mut r = fixtures::sample_results();
        r.scenarios[0].digests_match = false;
        let row = &evaluate(&r)[0];
        let kept = r.scenarios[1].comparison.as_ref().map(|c| c.gain_pct);
        assert_eq!(row.measured_pct, kept);
        assert!(
            row.basis.contains("1 scenario(s) left out"),
            "{}",
            row.basis
        );
    }

    #[test]
    fn sweep_crossings() {
        let r = fixtures::sample_results();
        let sweep = r.sweep.as_ref().expect("sample has a sweep");
        let at = |t: f64| gain_falls_to(sweep, t).map(|p| p.cost_ns);
        let first_at_most = |t: f64| {
            let mut pts: Vec<_> = sweep.points.iter().collect();
            pts.sort_by_key(|p| p.cost_ns);
            pts.into_iter().find(|p| p.gain_pct <= t).map(|p| p.cost_ns)
        };
        assert_eq!(at(10.0), first_at_most(10.0));
        assert!(at(10.0) <= at(8.0) && at(8.0).is_some());
        assert_eq!(at(-100.0), None);
    }
}
