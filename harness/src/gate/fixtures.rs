//! Small fabricated `Results` for the gate, history and BMF tests.

use crate::gate::{GateOutcome, GateStatus};
use crate::report::results::{
    Machine, ModeResult, ModeSummary, Percentiles, Repetition, Results, RunConfig, ScenarioResult,
    SCHEMA_VERSION,
};
use crate::stats::summarize;

/// A repetition with `rps` throughput and fixed latency and allocation figures.
pub(crate) fn rep(index: usize, rps: f64) -> Repetition {
    Repetition {
        index,
        throughput_rps: rps,
        wall_s: 1.0,
        user_s: 0.8,
        sys_s: 0.1,
        cpu_util: 0.9,
        allocs_per_record: 2.0,
        bytes_per_record: 64.0 + index as f64,
        peak_rss_kib: 10_000,
        latency_us: Percentiles {
            p50: 100.0,
            p95: 200.0,
            p99: 300.0 + index as f64,
            p999: 400.0,
            max: 500.0,
        },
        records_read: 1000,
        emitted: 10,
        rejected: 0,
        late: 0,
        output_digest: "10:abc".into(),
        fraction_of_ceiling: None,
    }
}

pub(crate) fn mode(rps: &[f64]) -> ModeResult {
    let reps: Vec<Repetition> = rps.iter().enumerate().map(|(i, &x)| rep(i, x)).collect();
    let pick = |f: fn(&Repetition) -> f64| summarize(&reps.iter().map(f).collect::<Vec<_>>());
    ModeResult {
        summary: ModeSummary {
            throughput_rps: pick(|r| r.throughput_rps),
            throughput_ci95: None,
            latency_us: Percentiles {
                p99: pick(|r| r.latency_us.p99).median,
                ..Percentiles::default()
            },
            cpu_util: pick(|r| r.cpu_util),
            allocs_per_record: pick(|r| r.allocs_per_record),
            bytes_per_record: pick(|r| r.bytes_per_record),
            peak_rss_kib: 10_000,
            fraction_of_ceiling: None,
        },
        reps,
        output_digest: "10:abc".into(),
        profile: None,
    }
}

pub(crate) fn scenario(name: &str, modes: &[(&str, &[f64])]) -> ScenarioResult {
    ScenarioResult {
        name: name.into(),
        description: String::new(),
        sql: "SELECT 1".into(),
        records: 1000,
        partitions: 1,
        modes: modes
            .iter()
            .map(|(m, rps)| (m.to_string(), mode(rps)))
            .collect(),
        ceiling: None,
        digests_match: true,
        comparison: None,
        comparisons: Vec::new(),
        error: None,
    }
}

pub(crate) fn results(created_at: &str, scenarios: Vec<ScenarioResult>) -> Results {
    Results {
        schema_version: SCHEMA_VERSION,
        tool: "tokio-tax 0.1.0".into(),
        created_at: created_at.into(),
        git_commit: Some("0123456789abcdef".into()),
        machine: Machine {
            cpu_model: "Test CPU".into(),
            cores: 2,
            os: "linux".into(),
            kernel: "6.0".into(),
        },
        config: RunConfig {
            modes: vec!["sync".into(), "tokio".into()],
            reps: 5,
            warmup: 1,
            quick: false,
            kafka: "memory".into(),
            records_override: None,
            profile: false,
            latency_rate: None,
            claimed_gain_pct: [8.0, 10.0],
            command_line: "tokio-tax compare".into(),
        },
        complete: true,
        scenarios,
        sweep: None,
        build_cost: None,
    }
}

/// `n` values around `center` with +-1% deterministic jitter.
pub(crate) fn around(center: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| center * (1.0 + 0.01 * ((i % 5) as f64 - 2.0) / 2.0))
        .collect()
}

pub(crate) fn one(name: &str, created: &str, sync: &[f64], tokio: &[f64]) -> Results {
    results(
        created,
        vec![scenario(name, &[("sync", sync), ("tokio", tokio)])],
    )
}

pub(crate) fn status_of(out: &GateOutcome, mode: &str) -> GateStatus {
    out.rows
        .iter()
        .find(|r| r.mode == mode)
        .map(|r| r.status)
        .expect("row for mode")
}
