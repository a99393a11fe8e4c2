//! Reports rendered from results.json alone: Markdown for a terminal or a PR
//! comment, one self-contained HTML page, and SVG and PNG charts.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub mod bmf;
pub mod charts;
pub mod claims;
pub mod html;
pub mod markdown;
pub mod results;
mod view;

#[cfg(test)]
pub(crate) mod fixtures;

/// Writes `report.md`, `report.html` and `charts/*.svg` + `charts/*.png` into
/// `out_dir` (created if missing) and returns the paths written: the two
/// reports first, then the charts. A chart that cannot be drawn is a warning,
/// not an error (see [`charts`]); failing to write a file is an error.
pub fn render_all(results: &results::Results, out_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let (charts, chart_paths) = charts::write_all(results, &out_dir.join("charts"))?;
    let md = out_dir.join("report.md");
    fs::write(&md, markdown::render(results))
        .with_context(|| format!("writing {}", md.display()))?;
    let inline: Vec<(&str, &str)> = charts
        .iter()
        .map(|c| (c.spec.title.as_str(), c.svg.as_str()))
        .collect();
    let page = out_dir.join("report.html");
    fs::write(&page, html::render(results, &inline))
        .with_context(|| format!("writing {}", page.display()))?;
    let mut paths = vec![md, page];
    paths.extend(chart_paths);
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            TempDir(
                std::env::temp_dir()
                    .join(format!("tokio-tax-{tag}-{}-{nanos}", std::process::id())),
            )
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn render_all_writes_every_file() {
        let dir = TempDir::new("render-all");
        let r = fixtures::sample_results();
        let paths = render_all(&r, &dir.0).expect("render into a temp dir");
        let names: Vec<String> = paths
            .iter()
            .map(|p| {
                p.strip_prefix(&dir.0)
                    .expect("inside out_dir")
                    .display()
                    .to_string()
            })
            .collect();
        // PNGs need fonts; without them the SVGs are placeholders (see charts).
        let fonts = charts::fonts_available();
        let mut want = vec!["report.md".to_string(), "report.html".to_string()];
        for stem in [
            "throughput",
            "latency-nexmark-q5",
            "latency-fr081-trades",
            "sweep",
            "allocations",
        ] {
            want.push(format!("charts/{stem}.svg"));
            if fonts {
                want.push(format!("charts/{stem}.png"));
            }
        }
        assert_eq!(names, want);
        for p in &paths {
            let len = fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            assert!(len > 0, "{} is empty", p.display());
        }
        if fonts {
            let png = fs::read(dir.0.join("charts/throughput.png")).expect("png written");
            assert!(png.starts_with(b"\x89PNG"));
        }
        let files = fs::read_dir(dir.0.join("charts"))
            .expect("charts dir")
            .count();
        assert_eq!(files, want.len() - 2, "no temporary files left behind");
        let page = fs::read_to_string(dir.0.join("report.html")).expect("html written");
        assert_eq!(page.matches("<svg").count(), 5);
    }

    #[test]
    fn degenerate_results_still_render() {
        // A failed run: no repetitions in one mode, no comparison, a one-point
        // sweep at cost 0, no latency, and a scenario with no modes at all.
        let mut r = fixtures::sync_slower_results();
        r.complete = false;
        let s = &mut r.scenarios[0];
        s.error = Some("tokio mode timed out".into());
        s.comparison = None;
        s.comparisons.clear();
        s.ceiling = None;
        if let Some(m) = s.modes.get_mut("tokio") {
            m.reps.clear();
            m.summary.throughput_rps = crate::stats::summarize(&[]);
            m.summary.throughput_ci95 = None;
            m.summary.cpu_util = crate::stats::summarize(&[]);
            m.summary.allocs_per_record = crate::stats::summarize(&[]);
            m.summary.bytes_per_record = crate::stats::summarize(&[]);
            m.summary.fraction_of_ceiling = None;
        }
        s.modes
            .values_mut()
            .for_each(|m| m.summary.latency_us = results::Percentiles::default());
        let mut empty = r.scenarios[0].clone();
        empty.name = "empty".into();
        empty.modes.clear();
        r.scenarios.push(empty);
        r.sweep = Some(results::Sweep {
            scenario: "slow-sync".into(),
            points: vec![results::SweepPoint {
                cost_ns: 0,
                throughput_rps: Default::default(),
                gain_pct: f64::NAN,
            }],
        });
        let dir = TempDir::new("degenerate");
        let paths = render_all(&r, &dir.0).expect("renders");
        assert!(paths.len() >= 2);
        let md = fs::read_to_string(dir.0.join("report.md")).expect("md written");
        assert!(md.contains("Incomplete run") && md.contains("tokio mode timed out"));
        assert!(md.contains("**sync vs tokio:** not compared"));
        assert!(
            md.contains("No mode produced results.")
                && md.contains("No sweep point has a measured gain.")
        );
        let empty = results::Results {
            scenarios: vec![],
            sweep: None,
            ..r
        };
        let md = markdown::render(&empty);
        assert!(md.contains("No scenario results") && md.contains("| Throughput | +10% "));
        render_all(&empty, &dir.0.join("empty")).expect("renders with nothing in it");
    }

    #[test]
    fn results_round_trip_through_json_before_rendering() {
        // `tokio-tax report DIR` renders what Results::load reads back.
        let dir = TempDir::new("round-trip");
        fs::create_dir_all(&dir.0).expect("temp dir");
        let path = dir.0.join("results.json");
        let r = fixtures::with_build_cost(fixtures::sample_results());
        r.save(&path).expect("save");
        let back = results::Results::load(&path).expect("load");
        assert_eq!(markdown::render(&back), markdown::render(&r));
    }
}
