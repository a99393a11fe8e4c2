//! The history's trend as a Markdown table and an SVG chart.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::bail;
use plotters::prelude::*;

use super::TrendPoint;

/// A table of the trend with the change against the previous run of the same
/// scenario and mode, so a step in the series stands out.
pub fn trend_markdown(points: &[TrendPoint]) -> String {
    let mut md = String::from(
        "| run | created | commit | scenario | mode | median throughput (rec/s) | vs previous | p99 (µs) |\n\
         | ---: | --- | --- | --- | --- | ---: | ---: | ---: |\n",
    );
    let mut previous: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for p in points {
        let commit = p
            .git_commit
            .as_deref()
            .map_or("-", |c| c.get(..8).unwrap_or(c));
        let key = (p.scenario.as_str(), p.mode.as_str());
        let now = p.median_throughput_rps;
        // Against the last run that measured something, so one failed run
        // does not hide the step across it.
        let change = match previous.get(&key) {
            Some(&prev) if now.is_finite() && prev != 0.0 => {
                format!("{:+.1}%", (now / prev - 1.0) * 100.0)
            }
            _ => "-".to_string(),
        };
        if now.is_finite() {
            previous.insert(key, now);
        }
        let _ = writeln!(
            md,
            "| {} | {} | {commit} | {} | {} | {} | {change} | {} |",
            p.run_id,
            p.created_at,
            p.scenario,
            p.mode,
            whole(now),
            whole(p.p99_us)
        );
    }
    md
}

/// A number rounded for a table; "-" for a missing one.
fn whole(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.0}")
    } else {
        "-".to_string()
    }
}

/// Draws median throughput per run as an SVG, one line per scenario and mode;
/// x is the run's position in `points` (0 = oldest), not its time, so runs
/// made minutes apart don't crowd together.
pub fn draw_trend_chart(points: &[TrendPoint], svg_path: &Path) -> anyhow::Result<()> {
    let runs: Vec<i64> = {
        let mut ids: Vec<i64> = points.iter().map(|p| p.run_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let mut series: BTreeMap<(&str, &str), Vec<(usize, f64)>> = BTreeMap::new();
    for p in points
        .iter()
        .filter(|p| p.median_throughput_rps.is_finite())
    {
        let x = runs.binary_search(&p.run_id).unwrap_or_default();
        series
            .entry((p.scenario.as_str(), p.mode.as_str()))
            .or_default()
            .push((x, p.median_throughput_rps));
    }
    if series.is_empty() {
        bail!(
            "no throughput in the history to draw into {}",
            svg_path.display()
        );
    }
    let y_max = series
        .values()
        .flatten()
        .map(|&(_, y)| y)
        .fold(0.0, f64::max)
        * 1.1;
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    let x_max = runs.len().saturating_sub(1).max(1);

    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::new(svg_path, (960, 540)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Median throughput per run", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0..x_max, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc("run (oldest = 0)")
            .y_desc("records/s")
            .x_labels(runs.len().clamp(2, 12))
            .draw()?;
        for (i, ((scenario, mode), pts)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))?
                .label(format!("{scenario} / {mode}"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| anyhow::anyhow!("drawing the trend chart {}: {e}", svg_path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(run_id: i64, scenario: &str, mode: &str, rps: f64) -> TrendPoint {
        TrendPoint {
            run_id,
            created_at: format!("2024-01-0{run_id}"),
            git_commit: Some("0123456789abcdef".into()),
            scenario: scenario.into(),
            mode: mode.into(),
            median_throughput_rps: rps,
            p99_us: 300.0,
        }
    }

    #[test]
    fn markdown_shows_change_against_the_previous_run() {
        let points = [
            point(1, "q1", "sync", 1000.0),
            point(1, "q1", "tokio", 900.0),
            point(2, "q1", "sync", 1100.0),
            point(3, "q1", "sync", f64::NAN),
            point(4, "q1", "sync", 990.0),
        ];
        let md = trend_markdown(&points);
        let rows = [
            "| 1 | 2024-01-01 | 01234567 | q1 | sync | 1000 | - | 300 |",
            "| 2 | 2024-01-02 | 01234567 | q1 | sync | 1100 | +10.0% | 300 |",
            "| 3 | 2024-01-03 | 01234567 | q1 | sync | - | - | 300 |",
            "| 4 | 2024-01-04 | 01234567 | q1 | sync | 990 | -10.0% | 300 |",
        ];
        for row in rows {
            assert!(md.contains(row), "{row}\n{md}");
        }
    }

    #[test]
    fn chart_is_written_as_svg() {
        let dir = tempfile::tempdir().expect("tempdir");
        let points = [
            point(4, "q1", "sync", 1000.0),
            point(4, "q2", "sync", 500.0),
            point(7, "q1", "sync", 1050.0),
            point(9, "q1", "sync", 990.0),
            point(9, "q2", "sync", f64::NAN),
        ];
        let svg = dir.path().join("trend.svg");
        draw_trend_chart(&points, &svg).expect("draws");
        let text = std::fs::read_to_string(&svg).expect("svg written");
        assert!(
            text.starts_with("<svg") && text.contains("q1 / sync") && text.contains("q2 / sync")
        );
        let err = draw_trend_chart(&[], &svg)
            .expect_err("nothing to draw")
            .to_string();
        assert!(err.contains("trend.svg"), "{err}");
        let missing_dir = dir.path().join("no/such/dir/trend.svg");
        let err = draw_trend_chart(&points, &missing_dir)
            .expect_err("unwritable")
            .to_string();
        assert!(err.contains("no/such/dir/trend.svg"), "{err}");
    }
}
