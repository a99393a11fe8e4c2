//! Fabricated, internally consistent results for the report's tests: summaries
//! and comparisons are computed from the repetitions with the real statistics.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::report::results::*;
use crate::stats;

const RECORDS: u64 = 1_000_000;
const CEILING_RPS: f64 = 1_100_000.0;

/// What one mode does in a fabricated scenario.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ModeSpec {
    pub rps: f64,
    pub p50_us: f64,
    pub cpu: f64,
    pub allocs: f64,
    pub bytes: f64,
    pub rss_mib: u64,
}

fn mode_result(spec: &ModeSpec, reps: usize, seed: u64) -> ModeResult {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let reps: Vec<Repetition> = (0..reps)
        .map(|index| {
            let jitter = 1.0 + rng.gen_range(-0.01..0.01);
            let rps = spec.rps * jitter;
            let wall_s = RECORDS as f64 / rps;
            let p50 = spec.p50_us / jitter;
            Repetition {
                index,
                throughput_rps: rps,
                wall_s,
                user_s: wall_s * spec.cpu * 0.9,
                sys_s: wall_s * spec.cpu * 0.1,
                cpu_util: spec.cpu * jitter,
                allocs_per_record: spec.allocs,
                bytes_per_record: spec.bytes * jitter,
                peak_rss_kib: spec.rss_mib * 1024 + index as u64,
                latency_us: Percentiles {
                    p50,
                    p95: p50 * 1.9,
                    p99: p50 * 3.2,
                    p999: p50 * 9.5,
                    max: p50 * 60.0,
                },
                records_read: RECORDS,
                emitted: 4_200,
                rejected: 0,
                late: 3,
                output_digest: "4200:9f3a1c".to_string(),
                fraction_of_ceiling: Some(rps / CEILING_RPS),
            }
        })
        .collect();
    let col = |f: fn(&Repetition) -> f64| reps.iter().map(f).collect::<Vec<f64>>();
    let tps = col(|r| r.throughput_rps);
    let median_of = |f: fn(&Percentiles) -> f64| {
        stats::median(&reps.iter().map(|r| f(&r.latency_us)).collect::<Vec<_>>())
    };
    let summary = ModeSummary {
        throughput_rps: stats::summarize(&tps),
        throughput_ci95: stats::bootstrap_median_ci(&tps, 1000, 0.95, seed),
        latency_us: Percentiles {
            p50: median_of(|p| p.p50),
            p95: median_of(|p| p.p95),
            p99: median_of(|p| p.p99),
            p999: median_of(|p| p.p999),
            max: median_of(|p| p.max),
        },
        cpu_util: stats::summarize(&col(|r| r.cpu_util)),
        allocs_per_record: stats::summarize(&col(|r| r.allocs_per_record)),
        bytes_per_record: stats::summarize(&col(|r| r.bytes_per_record)),
        peak_rss_kib: reps.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0),
        fraction_of_ceiling: Some(stats::median(&tps) / CEILING_RPS),
    };
    ModeResult {
        reps,
        summary,
        output_digest: "4200:9f3a1c".to_string(),
        profile: None,
    }
}

fn compare(
    a: &str,
    b: &str,
    modes: &BTreeMap<String, ModeResult>,
    quick: bool,
) -> Option<Comparison> {
    let tps = |m: &str| -> Option<Vec<f64>> {
        Some(
            modes
                .get(m)?
                .reps
                .iter()
                .map(|r| r.throughput_rps)
                .collect(),
        )
    };
    let (xa, xb) = (tps(a)?, tps(b)?);
    let (gain_pct, ci95) = stats::bootstrap_paired_gain(&xa, &xb, 2000, 0.95, 7)?;
    let p = stats::mann_whitney_u(&xa, &xb)?.p_value;
    Some(Comparison {
        a: a.to_string(),
        b: b.to_string(),
        a_median_rps: stats::median(&xa),
        b_median_rps: stats::median(&xb),
        gain_pct,
        ci95,
        mann_whitney_p: p,
        verdict: stats::verdict(gain_pct, ci95, p, 8.0, 10.0, quick),
    })
}

pub(crate) fn scenario(
    name: &str,
    description: &str,
    modes: &[(&str, ModeSpec)],
    reps: usize,
    quick: bool,
) -> ScenarioResult {
    let modes: BTreeMap<String, ModeResult> = modes
        .iter()
        .enumerate()
        .map(|(i, (m, spec))| (m.to_string(), mode_result(spec, reps, 100 + i as u64)))
        .collect();
    let pairs = [
        ("sync", "tokio"),
        ("sync", "tokio-native"),
        ("tokio-native", "tokio"),
    ];
    let comparisons = pairs
        .iter()
        .filter_map(|(a, b)| compare(a, b, &modes, quick))
        .collect();
    let ceiling: Vec<f64> = (0..5)
        .map(|i| CEILING_RPS * (1.0 + 0.002 * f64::from(i)))
        .collect();
    ScenarioResult {
        name: name.to_string(),
        description: description.to_string(),
        sql: format!("SELECT auction, COUNT(*) AS bids\nFROM {name}\nGROUP BY auction, TUMBLE(ts, INTERVAL '10' SECOND)"),
        records: RECORDS,
        partitions: 4,
        comparison: compare("sync", "tokio", &modes, quick),
        modes,
        ceiling: Some(Ceiling {
            summary: stats::summarize(&ceiling),
            throughput_rps: ceiling,
        }),
        digests_match: true,
        comparisons,
        error: None,
    }
}

fn results(scenarios: Vec<ScenarioResult>, sweep: Option<Sweep>, quick: bool) -> Results {
    Results {
        schema_version: SCHEMA_VERSION,
        tool: "tokio-tax 0.1.0".to_string(),
        created_at: "2025-06-01T12:00:00Z".to_string(),
        git_commit: Some("8d5c3251f0e4b2a7c9d1e6f3a5b7c9d1e2f3a4b5".to_string()),
        machine: Machine {
            cpu_model: "AMD EPYC 7B13".to_string(),
            cores: 2,
            os: "Debian GNU/Linux 12".to_string(),
            kernel: "6.1.0".to_string(),
        },
        config: RunConfig {
            modes: vec!["sync".into(), "tokio".into(), "tokio-native".into()],
            reps: scenarios
                .first()
                .map_or(0, |s| s.modes.values().next().map_or(0, |m| m.reps.len())),
            warmup: 1,
            quick,
            kafka: "embedded".to_string(),
            records_override: None,
            profile: false,
            latency_rate: Some(20_000),
            claimed_gain_pct: [8.0, 10.0],
            command_line: "tokio-tax compare --sweep".to_string(),
        },
        complete: true,
        scenarios,
        sweep,
        build_cost: None,
    }
}

/// Tokio's fixed cost per record in the fabricated sweep: the gain falls as
/// the synthetic per-record work grows.
fn sweep(scenario: &str) -> Sweep {
    let base_ns = 1_500.0;
    let tax_ns = 400.0;
    let points = [0u64, 100, 250, 500, 1_000, 2_000, 3_000, 5_000, 10_000]
        .into_iter()
        .map(|cost_ns| {
            let sync = 1e9 / (base_ns + cost_ns as f64);
            let tokio = 1e9 / (base_ns + tax_ns + cost_ns as f64);
            SweepPoint {
                cost_ns,
                throughput_rps: BTreeMap::from([
                    ("sync".to_string(), sync),
                    ("tokio".to_string(), tokio),
                ]),
                gain_pct: (sync / tokio - 1.0) * 100.0,
            }
        })
        .collect();
    Sweep {
        scenario: scenario.to_string(),
        points,
    }
}

/// Two scenarios, three modes, ten repetitions and a sweep: sync a little
/// faster in one scenario and a little slower in the other. The first
/// description has markup characters in it.
pub(crate) fn sample_results() -> Results {
    let nexmark = [
        (
            "sync",
            ModeSpec {
                rps: 412_000.0,
                p50_us: 38.0,
                cpu: 0.98,
                allocs: 3.0,
                bytes: 182.0,
                rss_mib: 41,
            },
        ),
        (
            "tokio",
            ModeSpec {
                rps: 398_000.0,
                p50_us: 41.0,
                cpu: 1.46,
                allocs: 5.2,
                bytes: 266.0,
                rss_mib: 47,
            },
        ),
        (
            "tokio-native",
            ModeSpec {
                rps: 371_000.0,
                p50_us: 47.0,
                cpu: 1.62,
                allocs: 9.1,
                bytes: 611.0,
                rss_mib: 52,
            },
        ),
    ];
    let trades = [
        (
            "sync",
            ModeSpec {
                rps: 180_000.0,
                p50_us: 95.0,
                cpu: 0.99,
                allocs: 6.0,
                bytes: 420.0,
                rss_mib: 63,
            },
        ),
        (
            "tokio",
            ModeSpec {
                rps: 183_000.0,
                p50_us: 92.0,
                cpu: 1.31,
                allocs: 7.5,
                bytes: 455.0,
                rss_mib: 66,
            },
        ),
        (
            "tokio-native",
            ModeSpec {
                rps: 176_000.0,
                p50_us: 99.0,
                cpu: 1.55,
                allocs: 11.0,
                bytes: 780.0,
                rss_mib: 71,
            },
        ),
    ];
    let scenarios = vec![
        scenario(
            "nexmark-q5",
            "Hot items: bids per auction, window <10s & slide 2s>",
            &nexmark,
            10,
            false,
        ),
        scenario(
            "fr081-trades",
            "FR-081 trades: VWAP per symbol, 1 min tumbling window",
            &trades,
            10,
            false,
        ),
    ];
    results(scenarios, Some(sweep("nexmark-q5")), false)
}

/// One `--quick` scenario in which sync is 10% slower than tokio.
pub(crate) fn sync_slower_results() -> Results {
    let modes = [
        (
            "sync",
            ModeSpec {
                rps: 90_000.0,
                p50_us: 60.0,
                cpu: 1.0,
                allocs: 4.0,
                bytes: 300.0,
                rss_mib: 40,
            },
        ),
        (
            "tokio",
            ModeSpec {
                rps: 100_000.0,
                p50_us: 55.0,
                cpu: 1.2,
                allocs: 5.0,
                bytes: 320.0,
                rss_mib: 44,
            },
        ),
    ];
    let mut r = results(
        vec![scenario("slow-sync", "sync loses", &modes, 5, true)],
        None,
        true,
    );
    r.config.modes.truncate(2);
    r
}

pub(crate) fn with_build_cost(mut r: Results) -> Results {
    r.build_cost = Some(BuildCost {
        sync_binary_bytes: 9_400_000,
        tokio_binary_bytes: 11_200_000,
        sync_build_s: 71.0,
        tokio_build_s: 84.0,
    });
    r
}
