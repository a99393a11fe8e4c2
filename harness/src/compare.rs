//! `tokio-tax compare`: every scenario in every mode, interleaved, with output
//! digests checked before any timing is compared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::kafka::Broker;
use crate::machine;
use crate::mode::Mode;
use crate::profile::{self, Captured};
use crate::report::results::{
    Ceiling, Comparison, ModeResult, ModeSummary, Percentiles, ProfileFiles, Repetition, Results,
    RunConfig, ScenarioResult, Sweep, SweepPoint, SCHEMA_VERSION,
};
use crate::runner::{run_ceiling, run_mode, Measured, RunOptions};
use crate::scenario::Scenario;
use crate::stats::{self, bootstrap_median_ci, bootstrap_paired_gain, mann_whitney_u, summarize};

/// FR-081-07's claimed throughput gain of sync over tokio, in percent.
pub const CLAIMED_GAIN_PCT: [f64; 2] = [8.0, 10.0];
const RESAMPLES: usize = 4_000;
const SEED: u64 = 0x70_6b_10;

#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub modes: Vec<Mode>,
    pub reps: Option<usize>,
    pub warmup: Option<usize>,
    pub records: Option<u64>,
    pub quick: bool,
    pub ceiling: bool,
    /// Synthetic per-record costs (ns) for the sweep; None: no sweep.
    pub sweep: Option<Vec<u64>>,
    pub run: RunOptions,
    pub kafka: String,
    pub command_line: String,
    pub out: PathBuf,
}

impl CompareOptions {
    /// `--quick`: fewer, smaller repetitions; the verdict says it is low precision.
    fn plan(&self, scenario: &Scenario) -> (Scenario, usize, usize) {
        let mut s = scenario.clone();
        if let Some(n) = self.records {
            s = s.with_records(n);
        } else if self.quick {
            let n = s.source.records.min(20_000);
            s = s.with_records(n);
        }
        let reps = self
            .reps
            .unwrap_or(if self.quick { 3 } else { s.run.reps })
            .max(2);
        let warmup = self
            .warmup
            .unwrap_or(if self.quick { 0 } else { s.run.warmup });
        (s, reps, warmup)
    }
}

pub fn compare(
    scenarios: &[Scenario],
    broker: &mut Broker,
    opts: &CompareOptions,
) -> anyhow::Result<Results> {
    let total: usize = scenarios
        .iter()
        .map(|s| {
            let (_, reps, warmup) = opts.plan(s);
            (reps + warmup) * opts.modes.len() + if opts.ceiling { reps } else { 0 }
        })
        .sum();
    let progress = progress_bar(total as u64);
    let mut results = Results {
        schema_version: SCHEMA_VERSION,
        tool: format!("tokio-tax {}", env!("CARGO_PKG_VERSION")),
        created_at: machine::now_rfc3339(),
        git_commit: machine::git_commit(),
        machine: machine::machine(),
        config: RunConfig {
            modes: opts.modes.iter().map(|m| m.name().to_string()).collect(),
            // What the first scenario ran with; scenario files may differ.
            reps: scenarios.first().map_or(0, |s| opts.plan(s).1),
            warmup: scenarios.first().map_or(0, |s| opts.plan(s).2),
            quick: opts.quick,
            kafka: opts.kafka.clone(),
            records_override: opts.records,
            profile: opts.run.profile,
            latency_rate: opts.run.latency_rate,
            claimed_gain_pct: CLAIMED_GAIN_PCT,
            command_line: opts.command_line.clone(),
        },
        complete: true,
        scenarios: Vec::new(),
        sweep: None,
        build_cost: None,
    };
    for scenario in scenarios {
        let (scenario, reps, warmup) = opts.plan(scenario);
        let result = run_scenario(&scenario, reps, warmup, broker, opts, &progress);
        if result.error.is_some() || !result.digests_match {
            results.complete = false;
        }
        let stop = result.error.is_some();
        results.scenarios.push(result);
        if stop {
            progress.println("stopping: a scenario failed; its partial measurements are kept");
            break;
        }
    }
    progress.finish_and_clear();
    if let (Some(costs), true) = (&opts.sweep, results.complete) {
        if let Some(first) = scenarios.first() {
            results.sweep = Some(sweep(first, costs, broker, opts)?);
        }
    }
    Ok(results)
}

fn progress_bar(total: u64) -> ProgressBar {
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        // Not a terminal (CI): plain lines instead of a bar.
        ProgressBar::hidden()
    }
}

fn note(progress: &ProgressBar, line: String) {
    if progress.is_hidden() {
        eprintln!("{line}");
    } else {
        progress.set_message(line);
    }
}

fn run_scenario(
    scenario: &Scenario,
    reps: usize,
    warmup: usize,
    broker: &mut Broker,
    opts: &CompareOptions,
    progress: &ProgressBar,
) -> ScenarioResult {
    let mut runs: BTreeMap<Mode, Vec<Measured>> = BTreeMap::new();
    let mut ceiling = Vec::new();
    let mut error = None;
    let warm_opts = RunOptions {
        profile: false,
        ..opts.run.clone()
    };
    // Interleaved (A B C A B C ...) so drift on a noisy machine hits every mode alike.
    'reps: for rep in 0..warmup + reps {
        let measured = rep >= warmup;
        for &mode in &opts.modes {
            note(
                progress,
                format!("{} {mode} {}", scenario.name, rep_label(rep, warmup)),
            );
            let run_opts = if measured { &opts.run } else { &warm_opts };
            // A fresh embedded broker per run: the mock cannot delete topics, and
            // old ones would inflate the peak RSS measured for the next run.
            match broker
                .recycle()
                .and_then(|()| run_mode(scenario, mode, broker, run_opts))
            {
                Ok(m) if measured => runs.entry(mode).or_default().push(m),
                Ok(_) => {}
                Err(e) => {
                    error = Some(format!("{e:#}"));
                    break 'reps;
                }
            }
            progress.inc(1);
        }
        if measured && opts.ceiling {
            note(
                progress,
                format!(
                    "{} broker ceiling {}",
                    scenario.name,
                    rep_label(rep, warmup)
                ),
            );
            match broker
                .recycle()
                .and_then(|()| run_ceiling(scenario, broker, &opts.run))
            {
                Ok(rps) => ceiling.push(rps),
                Err(e) => {
                    error = Some(format!("{e:#}"));
                    break 'reps;
                }
            }
            progress.inc(1);
        }
    }
    summarize_scenario(scenario, runs, ceiling, error, opts)
}

fn rep_label(rep: usize, warmup: usize) -> String {
    if rep < warmup {
        format!("warm-up {}", rep + 1)
    } else {
        format!("rep {}", rep - warmup + 1)
    }
}

fn summarize_scenario(
    scenario: &Scenario,
    runs: BTreeMap<Mode, Vec<Measured>>,
    ceiling: Vec<f64>,
    mut error: Option<String>,
    opts: &CompareOptions,
) -> ScenarioResult {
    let ceiling = (!ceiling.is_empty()).then(|| Ceiling {
        summary: summarize(&ceiling),
        throughput_rps: ceiling,
    });
    let ceiling_median = ceiling.as_ref().map(|c| c.summary.median);
    let digests: Vec<(Mode, String)> = runs
        .iter()
        .flat_map(|(m, rs)| rs.iter().map(move |r| (*m, r.stats.digest.to_string())))
        .collect();
    let digests_match = digests.windows(2).all(|w| w[0].1 == w[1].1);
    if !digests_match && error.is_none() {
        let listed: Vec<String> = digests.iter().map(|(m, d)| format!("{m}={d}")).collect();
        error = Some(format!(
            "modes emitted different outputs; timings are not compared ({})",
            listed.join(", ")
        ));
    }
    let profiles = write_profiles(scenario, &runs, &opts.out);
    let modes: BTreeMap<String, ModeResult> = runs
        .iter()
        .map(|(mode, measured)| {
            let files = profiles.get(mode).cloned();
            (
                mode.name().to_string(),
                mode_result(measured, ceiling_median, files),
            )
        })
        .collect();
    let mut comparisons = Vec::new();
    if digests_match {
        for (i, a) in opts.modes.iter().enumerate() {
            for b in &opts.modes[i + 1..] {
                if let Some(c) = compare_modes(*a, *b, &runs, opts.quick) {
                    comparisons.push(c);
                }
            }
        }
    }
    let comparison = comparisons
        .iter()
        .find(|c| c.a == "sync" && c.b == "tokio")
        .cloned();
    ScenarioResult {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        sql: scenario.sql.trim().to_string(),
        records: scenario.source.records,
        partitions: scenario.source.partitions,
        modes,
        ceiling,
        digests_match,
        comparison,
        comparisons,
        error,
    }
}

fn mode_result(
    measured: &[Measured],
    ceiling: Option<f64>,
    profile: Option<ProfileFiles>,
) -> ModeResult {
    let reps: Vec<Repetition> = measured
        .iter()
        .enumerate()
        .map(|(i, m)| repetition(i, m, ceiling))
        .collect();
    let col = |f: fn(&Repetition) -> f64| reps.iter().map(f).collect::<Vec<f64>>();
    let throughput = col(|r| r.throughput_rps);
    let median_of = |f: fn(&Repetition) -> f64| stats::median(&col(f));
    let summary = ModeSummary {
        throughput_rps: summarize(&throughput),
        throughput_ci95: bootstrap_median_ci(&throughput, RESAMPLES, 0.95, SEED),
        latency_us: Percentiles {
            p50: median_of(|r| r.latency_us.p50),
            p95: median_of(|r| r.latency_us.p95),
            p99: median_of(|r| r.latency_us.p99),
            p999: median_of(|r| r.latency_us.p999),
            max: median_of(|r| r.latency_us.max),
        },
        cpu_util: summarize(&col(|r| r.cpu_util)),
        allocs_per_record: summarize(&col(|r| r.allocs_per_record)),
        bytes_per_record: summarize(&col(|r| r.bytes_per_record)),
        peak_rss_kib: reps.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0),
        fraction_of_ceiling: ceiling.map(|c| stats::median(&throughput) / c),
    };
    let output_digest = reps
        .first()
        .map(|r| r.output_digest.clone())
        .unwrap_or_default();
    ModeResult {
        reps,
        summary,
        output_digest,
        profile,
    }
}

fn repetition(index: usize, m: &Measured, ceiling: Option<f64>) -> Repetition {
    let records = m.stats.records_read.max(1) as f64;
    let wall = m.wall.as_secs_f64();
    let (user, sys) = (m.cpu.user.as_secs_f64(), m.cpu.system.as_secs_f64());
    Repetition {
        index,
        throughput_rps: m.throughput_rps(),
        wall_s: wall,
        user_s: user,
        sys_s: sys,
        cpu_util: (user + sys) / wall.max(1e-9),
        allocs_per_record: m
            .allocs
            .map_or(f64::NAN, |a| a.allocations as f64 / records),
        bytes_per_record: m.allocs.map_or(f64::NAN, |a| a.bytes as f64 / records),
        peak_rss_kib: m.peak_rss_kib,
        latency_us: m.latency,
        records_read: m.stats.records_read,
        emitted: m.stats.emitted,
        rejected: m.stats.rejected,
        late: m.stats.late,
        output_digest: m.stats.digest.to_string(),
        fraction_of_ceiling: ceiling.map(|c| m.throughput_rps() / c),
    }
}

/// Throughput of `a` over `b`, paired by repetition.
fn compare_modes(
    a: Mode,
    b: Mode,
    runs: &BTreeMap<Mode, Vec<Measured>>,
    quick: bool,
) -> Option<Comparison> {
    let xs: Vec<f64> = runs.get(&a)?.iter().map(Measured::throughput_rps).collect();
    let ys: Vec<f64> = runs.get(&b)?.iter().map(Measured::throughput_rps).collect();
    let n = xs.len().min(ys.len());
    let (gain, ci) = bootstrap_paired_gain(&xs[..n], &ys[..n], RESAMPLES, 0.95, SEED)?;
    let p = mann_whitney_u(&xs, &ys).map_or(1.0, |m| m.p_value);
    Some(Comparison {
        a: a.name().to_string(),
        b: b.name().to_string(),
        a_median_rps: stats::median(&xs),
        b_median_rps: stats::median(&ys),
        gain_pct: gain,
        ci95: ci,
        mann_whitney_p: p,
        verdict: stats::verdict(gain, ci, p, CLAIMED_GAIN_PCT[0], CLAIMED_GAIN_PCT[1], quick),
    })
}

/// Flamegraph and pprof per mode, and sync against each tokio mode as a diff.
fn write_profiles(
    scenario: &Scenario,
    runs: &BTreeMap<Mode, Vec<Measured>>,
    out: &Path,
) -> BTreeMap<Mode, ProfileFiles> {
    let mut merged: BTreeMap<Mode, Captured> = BTreeMap::new();
    for (mode, measured) in runs {
        for m in measured {
            if let Some(p) = &m.profile {
                merged.entry(*mode).or_default().merge(p.clone());
            }
        }
    }
    if merged.is_empty() {
        return BTreeMap::new();
    }
    let dir = out.join("profiles").join(&scenario.name);
    let mut files = BTreeMap::new();
    let written = (|| -> anyhow::Result<()> {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for (mode, captured) in &merged {
            let svg = dir.join(format!("{mode}.svg"));
            let pb = dir.join(format!("{mode}.pb"));
            profile::write_flamegraph(captured, &format!("{} — {mode}", scenario.name), &svg)?;
            std::fs::write(&pb, &captured.pprof)
                .with_context(|| format!("writing {}", pb.display()))?;
            let rel = |p: &Path| p.strip_prefix(out).unwrap_or(p).display().to_string();
            files.insert(
                *mode,
                ProfileFiles {
                    flamegraph_svg: rel(&svg),
                    pprof: rel(&pb),
                    samples: captured.samples(),
                },
            );
        }
        if let Some(sync) = merged.get(&Mode::Sync) {
            for mode in [Mode::Tokio, Mode::TokioNative] {
                if let Some(other) = merged.get(&mode) {
                    let path = dir.join(format!("diff-sync-vs-{mode}.svg"));
                    let title = format!(
                        "{}: {mode} against sync (red: more in {mode})",
                        scenario.name
                    );
                    profile::write_diff_flamegraph(sync, other, &title, &path)?;
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = written {
        tracing::warn!(scenario = %scenario.name, error = %format!("{e:#}"), "could not write profiles");
    }
    files
}

/// Adds busy work per record to find the engine cost at which tokio's overhead
/// shrinks to the claimed 8–10% (FR-081-07 assumes 55 µs per record).
fn sweep(
    scenario: &Scenario,
    costs: &[u64],
    broker: &Broker,
    opts: &CompareOptions,
) -> anyhow::Result<Sweep> {
    let reps = if opts.quick { 2 } else { 3 };
    let mut points = Vec::new();
    for &cost in costs {
        // About a second of synthetic work per run at the higher costs.
        let records = (1_000_000_000 / cost.max(1)).clamp(2_000, scenario.source.records);
        let s = scenario.clone().with_records(records);
        let run = RunOptions {
            synthetic_cost_ns: cost,
            profile: false,
            ..opts.run.clone()
        };
        let mut by_mode: BTreeMap<Mode, Vec<f64>> = BTreeMap::new();
        for _ in 0..reps {
            for mode in [Mode::Sync, Mode::Tokio] {
                eprintln!("sweep {} {mode} at {cost} ns/record", s.name);
                by_mode
                    .entry(mode)
                    .or_default()
                    .push(run_mode(&s, mode, broker, &run)?.throughput_rps());
            }
        }
        let gain = stats::paired_gain_pct(&by_mode[&Mode::Sync], &by_mode[&Mode::Tokio]);
        points.push(SweepPoint {
            cost_ns: cost,
            throughput_rps: by_mode
                .iter()
                .map(|(m, xs)| (m.name().to_string(), stats::median(xs)))
                .collect(),
            gain_pct: gain,
        });
    }
    Ok(Sweep {
        scenario: scenario.name.clone(),
        points,
    })
}
