//! Export to the Bencher Metric Format (BMF), so `bencher run --adapter json
//! --file bmf.json` can track tokio-tax results across commits.
//!
//! BMF is `{ benchmark: { measure: { value, lower_value?, upper_value? } } }`
//! (<https://bencher.dev/docs/reference/bencher-metric-format/>). Benchmarks
//! are named `<scenario>/<mode>`. Measures are identified by slug, so they are
//! kebab-case: `throughput` is Bencher's built-in ops/s measure (records/s
//! here); `latency-p99-us` and `bytes-per-record` are created on first upload.
//! The p99 deliberately does not use the built-in `latency`, which is in
//! nanoseconds and would mislabel a microsecond percentile.

use serde_json::{json, Map, Value};

use crate::report::results::Results;

pub const THROUGHPUT: &str = "throughput";
pub const LATENCY_P99_US: &str = "latency-p99-us";
pub const BYTES_PER_RECORD: &str = "bytes-per-record";

/// BMF for every scenario and mode of `results`. Non-finite values are left
/// out (JSON has no NaN and Bencher requires numbers); a benchmark with no
/// finite measure is left out entirely.
pub fn to_bmf(results: &Results) -> Value {
    let mut benchmarks = Map::new();
    for scenario in &results.scenarios {
        for (mode, result) in &scenario.modes {
            let s = &result.summary;
            let mut measures = Map::new();
            if s.throughput_rps.median.is_finite() {
                let mut m = json!({ "value": s.throughput_rps.median });
                // Bounds only as a pair, and only when they bracket the value,
                // so Bencher never draws a band that excludes its own point.
                if let Some(ci) = s.throughput_ci95 {
                    let median = s.throughput_rps.median;
                    if ci.lo.is_finite() && ci.hi.is_finite() && ci.lo <= median && median <= ci.hi
                    {
                        m["lower_value"] = json!(ci.lo);
                        m["upper_value"] = json!(ci.hi);
                    }
                }
                measures.insert(THROUGHPUT.into(), m);
            }
            if s.latency_us.p99.is_finite() {
                measures.insert(LATENCY_P99_US.into(), json!({ "value": s.latency_us.p99 }));
            }
            if s.bytes_per_record.median.is_finite() {
                measures.insert(
                    BYTES_PER_RECORD.into(),
                    json!({ "value": s.bytes_per_record.median }),
                );
            }
            if !measures.is_empty() {
                benchmarks.insert(format!("{}/{mode}", scenario.name), Value::Object(measures));
            }
        }
    }
    Value::Object(benchmarks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::fixtures::{around, results, scenario};
    use crate::stats::Interval;

    #[test]
    fn shape_matches_bmf() {
        let mut r = results(
            "a",
            vec![scenario(
                "q1",
                &[("sync", &around(1000.0, 5)), ("tokio", &[])],
            )],
        );
        let sync = r.scenarios[0].modes.get_mut("sync").expect("sync");
        sync.summary.throughput_ci95 = Some(Interval {
            lo: 990.0,
            hi: 1010.0,
        });
        let bmf = to_bmf(&r);
        let want = json!({
            "q1/sync": {
                "throughput": { "value": 1000.0, "lower_value": 990.0, "upper_value": 1010.0 },
                "latency-p99-us": { "value": 302.0 },
                "bytes-per-record": { "value": 66.0 }
            }
        });
        // tokio had no repetitions: every summary is NaN, so it is left out.
        assert_eq!(bmf, want);
    }

    #[test]
    fn measure_names_are_slugs_and_values_are_numbers() {
        let mut r = results("a", vec![scenario("q1", &[("sync", &around(1000.0, 5))])]);
        // An interval that excludes the median is dropped, the value kept.
        let sync = r.scenarios[0].modes.get_mut("sync").expect("sync");
        sync.summary.throughput_ci95 = Some(Interval { lo: 1.0, hi: 2.0 });
        let bmf = to_bmf(&r);
        let measures = bmf["q1/sync"].as_object().expect("benchmark object");
        assert!(measures["throughput"].get("lower_value").is_none());
        for (name, metric) in measures {
            let slug = name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.starts_with('-')
                && !name.ends_with('-');
            assert!(slug, "{name}");
            let fields = metric.as_object().expect("metric object");
            assert!(
                fields["value"].is_number() && fields.values().all(Value::is_number),
                "{metric}"
            );
        }
    }
}
