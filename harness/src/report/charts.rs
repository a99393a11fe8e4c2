//! Report charts, drawn with plotters as SVG (inlined in the HTML report) and
//! PNG (for viewers that show no SVG). A chart that cannot be drawn never
//! stops a report: its SVG becomes a placeholder that says why, and a PNG that
//! fails is skipped with a warning.

use std::any::Any;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::results::{Percentiles, Results, ScenarioResult, Sweep};
use crate::report::view::{fmt_ns, fmt_pct, fmt_rate, fmt_us, mode_order};

const WIDTH: u32 = 960;
const FONT: &str = "sans-serif";
const PANEL_COLUMNS: usize = 3;
const PANEL_HEIGHT: u32 = 330;
const TITLE_HEIGHT: u32 = 50;

/// What a chart shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartKind {
    /// Median throughput per scenario and mode, whiskers at the 95% CI.
    Throughput,
    /// Latency percentiles of one scenario, one series per mode.
    Latency { scenario: String },
    /// Gain of sync over tokio against the synthetic per-record cost.
    Sweep,
    /// Allocations per record per scenario and mode.
    Allocations,
}

/// A chart a report links to: `charts/<file_stem>.svg` and `.png`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartSpec {
    pub kind: ChartKind,
    pub file_stem: String,
    pub title: String,
}

/// A drawn chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub spec: ChartSpec,
    pub svg: String,
    /// False when drawing failed and `svg` is a placeholder saying why.
    pub drawn: bool,
}

/// The charts `results` has data for, in report order. File stems are unique.
pub fn specs(results: &Results) -> Vec<ChartSpec> {
    let mut out = Vec::new();
    let has_modes = results.scenarios.iter().any(|s| !s.modes.is_empty());
    if has_modes {
        out.push(spec(
            ChartKind::Throughput,
            "throughput".into(),
            "Throughput per scenario and mode (median rec/s, whiskers 95% CI)".into(),
        ));
    }
    let mut stems = Vec::new();
    for s in results.scenarios.iter().filter(|s| has_latency(s)) {
        let base = format!("latency-{}", slug(&s.name));
        let mut stem = base.clone();
        for n in 2.. {
            if !stems.contains(&stem) {
                break;
            }
            stem = format!("{base}-{n}");
        }
        stems.push(stem.clone());
        let title = format!("Latency percentiles, {} (µs, log scales)", s.name);
        out.push(spec(
            ChartKind::Latency {
                scenario: s.name.clone(),
            },
            stem,
            title,
        ));
    }
    if let Some(sweep) = results.sweep.as_ref().filter(|s| !s.points.is_empty()) {
        let title = format!(
            "Gain of sync over tokio by per-record cost ({})",
            sweep.scenario
        );
        out.push(spec(ChartKind::Sweep, "sweep".into(), title));
    }
    if has_modes {
        out.push(spec(
            ChartKind::Allocations,
            "allocations".into(),
            "Allocations per record (median, whiskers min–max)".into(),
        ));
    }
    out
}

fn spec(kind: ChartKind, file_stem: String, title: String) -> ChartSpec {
    ChartSpec {
        kind,
        file_stem,
        title,
    }
}

fn has_latency(s: &ScenarioResult) -> bool {
    s.modes
        .values()
        .any(|m| percentile_points(&m.summary.latency_us).next().is_some())
}

/// A file-name-safe form of a scenario name.
fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "scenario".to_string()
    } else {
        s.to_string()
    }
}

/// Draws `spec` as SVG; on failure (fonts missing, a plotters panic) returns a
/// placeholder SVG that names the error, and logs a warning.
pub fn render_svg(results: &Results, spec: &ChartSpec) -> Chart {
    let size = size(results, spec);
    let mut svg = String::new();
    let drawn = guarded(|| {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root, results, spec)
    });
    match drawn {
        Ok(()) => Chart {
            spec: spec.clone(),
            svg,
            drawn: true,
        },
        Err(e) => {
            tracing::warn!(chart = %spec.file_stem, "chart not drawn: {e:#}");
            Chart {
                spec: spec.clone(),
                svg: placeholder_svg(&spec.title, &format!("{e:#}")),
                drawn: false,
            }
        }
    }
}

/// Draws `spec` as a PNG at `path`. The image is written to a temporary name
/// and renamed, so a failed drawing leaves no partial file.
pub fn render_png(results: &Results, spec: &ChartSpec, path: &Path) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp.png");
    let size = size(results, spec);
    let drawn = guarded(|| {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        draw(&root, results, spec)
    });
    match drawn {
        Ok(()) => fs::rename(&tmp, path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display())),
        Err(e) => {
            let _ = fs::remove_file(&tmp); // may not exist; nothing else to undo
            Err(e)
        }
    }
}

/// Writes every chart of `results` into `dir` as SVG and PNG. Returns the
/// charts (for inlining) and the paths written. Only I/O on the SVG files is
/// an error; a PNG that cannot be drawn is skipped with a warning.
pub fn write_all(results: &Results, dir: &Path) -> anyhow::Result<(Vec<Chart>, Vec<PathBuf>)> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (mut charts, mut paths) = (Vec::new(), Vec::new());
    for spec in specs(results) {
        let chart = render_svg(results, &spec);
        let svg_path = dir.join(format!("{}.svg", spec.file_stem));
        fs::write(&svg_path, &chart.svg)
            .with_context(|| format!("writing {}", svg_path.display()))?;
        paths.push(svg_path);
        let png_path = dir.join(format!("{}.png", spec.file_stem));
        let png = match chart.drawn {
            true => render_png(results, &spec, &png_path),
            false => Err(anyhow!("the SVG could not be drawn either")),
        };
        match png {
            Ok(()) => paths.push(png_path),
            Err(e) => {
                tracing::warn!(chart = %spec.file_stem, "PNG skipped, SVG kept: {e:#}");
                // A PNG left by an earlier render would contradict the new SVG.
                let _ = fs::remove_file(&png_path);
            }
        }
        charts.push(chart);
    }
    Ok((charts, paths))
}

/// Runs a drawing, turning a panic inside plotters or font loading into an error.
fn guarded(draw: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    catch_unwind(AssertUnwindSafe(draw))
        .unwrap_or_else(|payload| Err(anyhow!("drawing panicked: {}", panic_text(&*payload))))
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => "unknown panic".to_string(),
    }
}

/// A chart-sized SVG that needs no font metrics, so it can always be made.
fn placeholder_svg(title: &str, error: &str) -> String {
    let esc = crate::report::html::escape;
    format!(
        "<svg width=\"{WIDTH}\" height=\"90\" viewBox=\"0 0 {WIDTH} 90\" xmlns=\"http://www.w3.org/2000/svg\">\
         <rect x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"89\" fill=\"#fff8e1\" stroke=\"#c9a227\"/>\
         <text x=\"16\" y=\"36\" font-family=\"sans-serif\" font-size=\"16\">{}</text>\
         <text x=\"16\" y=\"64\" font-family=\"sans-serif\" font-size=\"13\">chart could not be drawn: {}</text></svg>",
        WIDTH - 1,
        esc(title),
        esc(error)
    )
}

fn size(results: &Results, spec: &ChartSpec) -> (u32, u32) {
    match spec.kind {
        ChartKind::Throughput | ChartKind::Allocations => {
            let panels = results.scenarios.len().max(1);
            let rows = panels.div_ceil(PANEL_COLUMNS) as u32;
            // A lone panel at full width makes slabs of bars; keep room for the title.
            let width = (panels.min(PANEL_COLUMNS) as u32 * WIDTH / PANEL_COLUMNS as u32).max(680);
            (width, TITLE_HEIGHT + rows * PANEL_HEIGHT)
        }
        ChartKind::Latency { .. } | ChartKind::Sweep => (WIDTH, 500),
    }
}

/// Colour of a mode, the same in every chart.
fn mode_color(mode: &str) -> RGBColor {
    match mode {
        "sync" => RGBColor(31, 119, 180),
        "tokio" => RGBColor(255, 127, 14),
        "tokio-native" => RGBColor(44, 160, 44),
        other => {
            const MORE: [RGBColor; 4] = [
                RGBColor(214, 39, 40),
                RGBColor(148, 103, 189),
                RGBColor(140, 86, 75),
                RGBColor(127, 127, 127),
            ];
            let h = other.bytes().fold(0usize, |h, b| {
                h.wrapping_mul(31).wrapping_add(usize::from(b))
            });
            MORE[h % MORE.len()]
        }
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    results: &Results,
    spec: &ChartSpec,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let body = root.titled(&spec.title, (FONT, 22))?;
    match &spec.kind {
        ChartKind::Throughput => draw_panels(&body, results, throughput_bars, fmt_rate)?,
        ChartKind::Allocations => {
            draw_panels(&body, results, allocation_bars, |x| format!("{x:.2}"))?
        }
        ChartKind::Latency { scenario } => match results.scenario(scenario) {
            Some(s) => draw_latency(&body, results, s)?,
            None => no_data(&body, "scenario not in results")?,
        },
        ChartKind::Sweep => match &results.sweep {
            Some(sweep) => draw_sweep(&body, sweep, results.config.claimed_gain_pct)?,
            None => no_data(&body, "no sweep in results")?,
        },
    }
    root.present()?;
    Ok(())
}

fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, why: &str) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let style = TextStyle::from((FONT, 16)).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(why, &style, (w as i32 / 2, h as i32 / 2))?;
    Ok(())
}

/// One bar of a panel: a mode's value with optional whiskers.
struct Bar {
    mode: String,
    value: f64,
    whiskers: Option<(f64, f64)>,
}

fn throughput_bars(results: &Results, s: &ScenarioResult) -> Vec<Bar> {
    bars(results, s, |m| {
        let t = &m.summary.throughput_rps;
        let w = m
            .summary
            .throughput_ci95
            .map_or((t.min, t.max), |ci| (ci.lo, ci.hi));
        (t.median, w)
    })
}

fn allocation_bars(results: &Results, s: &ScenarioResult) -> Vec<Bar> {
    bars(results, s, |m| {
        let a = &m.summary.allocs_per_record;
        (a.median, (a.min, a.max))
    })
}

fn bars(
    results: &Results,
    s: &ScenarioResult,
    value: impl Fn(&crate::report::results::ModeResult) -> (f64, (f64, f64)),
) -> Vec<Bar> {
    mode_order(results, s)
        .into_iter()
        .filter_map(|mode| {
            let (v, (lo, hi)) = value(s.modes.get(mode)?);
            v.is_finite().then(|| Bar {
                mode: mode.to_string(),
                value: v,
                whiskers: (lo.is_finite() && hi.is_finite() && lo <= hi).then_some((lo, hi)),
            })
        })
        .collect()
}

/// Small multiples: one bar panel per scenario, each with its own y scale, since
/// scenarios' magnitudes differ by orders.
fn draw_panels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    results: &Results,
    bars: fn(&Results, &ScenarioResult) -> Vec<Bar>,
    fmt: fn(f64) -> String,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let n = results.scenarios.len();
    if n == 0 {
        return no_data(area, "no scenarios");
    }
    let cols = n.min(PANEL_COLUMNS);
    let panels = area.split_evenly((n.div_ceil(cols), cols));
    for (s, panel) in results.scenarios.iter().zip(&panels) {
        let caption = match &s.comparison {
            Some(c) if c.gain_pct.is_finite() => {
                format!("{}: sync vs tokio {}", s.name, fmt_pct(c.gain_pct))
            }
            _ => s.name.clone(),
        };
        draw_bar_panel(panel, &caption, &bars(results, s), fmt)?;
    }
    Ok(())
}

fn draw_bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    bars: &[Bar],
    fmt: fn(f64) -> String,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    if bars.is_empty() {
        return no_data(&area.titled(caption, (FONT, 15))?, "no data");
    }
    let top = bars
        .iter()
        .map(|b| b.whiskers.map_or(b.value, |(_, hi)| hi.max(b.value)))
        .fold(0.0_f64, f64::max);
    let y_max = if top > 0.0 { top * 1.2 } else { 1.0 };
    let n = bars.len();
    let keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 15))
        .margin(10)
        .x_label_area_size(28)
        .y_label_area_size(62)
        .build_cartesian_2d(Keyed::new(-0.5..n as f64 - 0.5, keys), 0.0..y_max)?;
    let label = |x: &f64| {
        let i = x.round();
        match (i >= 0.0).then(|| bars.get(i as usize)).flatten() {
            Some(b) => b.mode.clone(),
            None => String::new(),
        }
    };
    let y_fmt = |y: &f64| fmt(*y);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .x_label_formatter(&label)
        .y_label_formatter(&y_fmt)
        .y_labels(6)
        .label_style((FONT, 13))
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
        let x = i as f64;
        Rectangle::new(
            [(x - 0.32, 0.0), (x + 0.32, b.value)],
            mode_color(&b.mode).filled(),
        )
    }))?;
    // Whiskers by hand: plotters' ErrorBar marks the centre with a circle.
    chart.draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
        let (lo, hi) = b.whiskers?;
        let (x, cap) = (i as f64, 0.07);
        let path = vec![
            (x - cap, lo),
            (x + cap, lo),
            (x, lo),
            (x, hi),
            (x - cap, hi),
            (x + cap, hi),
        ];
        Some(PathElement::new(path, BLACK.stroke_width(1)))
    }))?;
    let value_style = TextStyle::from((FONT, 13)).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
        let top = b.whiskers.map_or(b.value, |(_, hi)| hi.max(b.value));
        EmptyElement::at((i as f64, top)) + Text::new(fmt(b.value), (0, -4), value_style.clone())
    }))?;
    Ok(())
}

/// A linear f64 axis whose ticks are exactly `keys` (mode slots, percentiles,
/// round costs); plotters' `with_key_points` loses f64 label formatting.
struct Keyed {
    range: std::ops::Range<f64>,
    keys: Vec<f64>,
}

impl Keyed {
    fn new(range: std::ops::Range<f64>, keys: Vec<f64>) -> Keyed {
        Keyed { range, keys }
    }
}

impl Ranged for Keyed {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let frac = (v - self.range.start) / span;
        limit.0 + (f64::from(limit.1 - limit.0) * frac).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Only bold points are drawn with labels; no light grid lines.
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        self.keys
            .iter()
            .copied()
            .filter(|k| self.range.contains(k))
            .collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

impl ValueFormatter<f64> for Keyed {
    fn format(value: &f64) -> String {
        format!("{value}")
    }
}

/// Percentiles placed on a "nines" axis, x = -log10(1 - q): p50 at 0.3, p99
/// at 2, p99.9 at 3; max is drawn one step further, at 4.
const PERCENTILE_AXIS: [(f64, &str); 5] = [
    (std::f64::consts::LOG10_2, "p50"),
    (1.301_029_995_663_981_2, "p95"),
    (2.0, "p99"),
    (3.0, "p99.9"),
    (4.0, "max"),
];

/// (nines, µs) points of the recorded (positive, finite) percentiles.
fn percentile_points(p: &Percentiles) -> impl Iterator<Item = (f64, f64)> {
    let values = [p.p50, p.p95, p.p99, p.p999, p.max];
    PERCENTILE_AXIS
        .into_iter()
        .zip(values)
        .filter(|(_, v)| v.is_finite() && *v > 0.0)
        .map(|((x, _), v)| (x, v))
}

fn draw_latency<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    results: &Results,
    s: &ScenarioResult,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let series: Vec<(&str, Vec<(f64, f64)>)> = mode_order(results, s)
        .into_iter()
        .filter_map(|m| {
            Some((
                m,
                percentile_points(&s.modes.get(m)?.summary.latency_us).collect::<Vec<_>>(),
            ))
        })
        .filter(|(_, pts)| !pts.is_empty())
        .collect();
    let ys = || series.iter().flat_map(|(_, pts)| pts.iter().map(|p| p.1));
    let (lo, hi) = (
        ys().fold(f64::INFINITY, f64::min),
        ys().fold(0.0_f64, f64::max),
    );
    if series.is_empty() || lo <= 0.0 || !hi.is_finite() {
        return no_data(area, "no latency recorded");
    }
    let keys: Vec<f64> = PERCENTILE_AXIS.iter().map(|(x, _)| *x).collect();
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(
            Keyed::new(0.1..4.2, keys),
            (lo * 0.7..hi * 1.4)
                .log_scale()
                .with_key_points(log_ticks(lo * 0.7, hi * 1.4)),
        )?;
    let x_label = |x: &f64| {
        let near = PERCENTILE_AXIS.iter().find(|(k, _)| (k - x).abs() < 1e-6);
        near.map_or(String::new(), |(_, l)| l.to_string())
    };
    let y_label = |y: &f64| fmt_us(*y);
    chart
        .configure_mesh()
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc("percentile")
        .y_desc("latency (µs)")
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()?;
    for (mode, pts) in &series {
        let color = mode_color(mode);
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))?
            .label(*mode)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 14))
        .draw()?;
    Ok(())
}

/// Sweep costs usually span decades, so the x axis is log10(ns) when they span
/// 20x or more (a cost of 0 then sits half a decade left of the smallest
/// positive cost), linear otherwise.
struct CostAxis {
    log: bool,
    /// Where a cost of 0 is drawn on a log axis.
    zero_x: f64,
}

impl CostAxis {
    fn new(costs: &[u64]) -> CostAxis {
        let smallest = costs.iter().copied().filter(|&c| c > 0).min().unwrap_or(1);
        let largest = costs.iter().copied().max().unwrap_or(0);
        CostAxis {
            log: largest >= 20 * smallest,
            zero_x: (smallest as f64).log10() - 0.5,
        }
    }

    fn x(&self, cost_ns: u64) -> f64 {
        match (self.log, cost_ns) {
            (false, c) => c as f64,
            (true, 0) => self.zero_x,
            (true, c) => (c as f64).log10(),
        }
    }

    fn cost(&self, x: f64) -> f64 {
        match self.log {
            false => x,
            true if (x - self.zero_x).abs() < 1e-9 => 0.0,
            true => 10f64.powf(x),
        }
    }

    /// Tick positions: 0 when measured, then 1-2-5 steps (decades only when
    /// the costs span more than four) on a log axis; round steps when linear.
    fn ticks(&self, costs: &[u64]) -> Vec<f64> {
        let (min, max) = (
            costs.iter().copied().min().unwrap_or(0),
            costs.iter().copied().max().unwrap_or(0),
        );
        if !self.log {
            return linear_ticks(min, max);
        }
        let smallest = costs.iter().copied().filter(|&c| c > 0).min().unwrap_or(1);
        let zero = (min == 0).then_some(self.zero_x);
        zero.into_iter()
            .chain(
                log_ticks(smallest as f64, max as f64)
                    .into_iter()
                    .map(f64::log10),
            )
            .collect()
    }
}

/// 1-2-5 ticks within [lo, hi] (lo > 0); decades only over more than four.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi >= lo) {
        return Vec::new();
    }
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let steps: &[f64] = if last - first <= 4 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let within = |t: &f64| *t >= lo * (1.0 - 1e-9) && *t <= hi * (1.0 + 1e-9);
    (first..=last)
        .flat_map(|d| steps.iter().map(move |s| s * 10f64.powi(d)))
        .filter(within)
        .collect()
}

fn draw_sweep<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sweep: &Sweep,
    band: [f64; 2],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let mut points: Vec<(u64, f64)> = sweep
        .points
        .iter()
        .filter(|p| p.gain_pct.is_finite())
        .map(|p| (p.cost_ns, p.gain_pct))
        .collect();
    points.sort_by_key(|p| p.0);
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return no_data(area, "no sweep points");
    };
    let (min_cost, max_cost) = (first.0, last.0);
    let costs: Vec<u64> = points.iter().map(|p| p.0).collect();
    let axis = CostAxis::new(&costs);
    let (x0, x1) = (axis.x(min_cost), axis.x(max_cost));
    let pad = ((x1 - x0) * 0.04).max(0.05);
    let (band_lo, band_hi) = (band[0].min(band[1]), band[0].max(band[1]));
    let gains = points.iter().map(|p| p.1);
    let y_lo = gains.clone().fold(band_lo.min(0.0), f64::min);
    let y_hi = gains.fold(band_hi.max(0.0), f64::max);
    let y_pad = ((y_hi - y_lo) * 0.1).max(1.0);
    let x_range = (x0 - pad)..(x1 + pad);
    let y_range = (y_lo - y_pad)..(y_hi + y_pad);
    let x_fmt = |x: &f64| fmt_ns(axis.cost(*x).round().max(0.0));
    let y_fmt = |y: &f64| format!("{y:.0}%");
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(Keyed::new(x_range, axis.ticks(&costs)), y_range)?;
    chart
        .configure_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(if axis.log {
            "synthetic work per record (ns, log scale)"
        } else {
            "synthetic work per record (ns)"
        })
        .y_desc("sync throughput gain over tokio")
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()?;
    let band_color = RGBColor(44, 160, 44).mix(0.22);
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(x0 - pad, band_lo), (x1 + pad, band_hi)],
            band_color.filled(),
        )))?
        .label(format!("FR-081-07 claim {band_lo}–{band_hi}%"))
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], band_color.filled()));
    chart.draw_series(LineSeries::new(
        [(x0 - pad, 0.0), (x1 + pad, 0.0)],
        BLACK.mix(0.5).stroke_width(1),
    ))?;
    let color = mode_color("sync");
    let xy: Vec<(f64, f64)> = points.iter().map(|&(c, g)| (axis.x(c), g)).collect();
    chart
        .draw_series(LineSeries::new(xy.iter().copied(), color.stroke_width(2)))?
        .label("measured gain (sync / tokio - 1)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    chart.draw_series(xy.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
    if xy.len() <= 12 {
        let style = TextStyle::from((FONT, 12)).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart.draw_series(xy.iter().map(|&(x, g)| {
            EmptyElement::at((x, g)) + Text::new(fmt_pct(g), (0, -7), style.clone())
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 14))
        .draw()?;
    Ok(())
}

/// About six round ticks over a linear cost range.
fn linear_ticks(min: u64, max: u64) -> Vec<f64> {
    let span = (max - min).max(1) as f64;
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(mag * 10.0);
    let start = (min as f64 / step).ceil() * step;
    (0..)
        .map(|i| start + f64::from(i) * step)
        .take_while(|t| *t <= max as f64)
        .collect()
}

/// True when plotters finds a font for text; tests that need drawn charts
/// check the placeholder path instead on a machine without fonts.
#[cfg(test)]
pub(crate) fn fonts_available() -> bool {
    let mut svg = String::new();
    guarded(|| {
        let root = SVGBackend::with_string(&mut svg, (40, 40)).into_drawing_area();
        root.titled("µ", (FONT, 12))?;
        Ok(())
    })
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn specs_follow_the_data() {
        let r = fixtures::sample_results();
        let stems: Vec<String> = specs(&r).into_iter().map(|s| s.file_stem).collect();
        let want = [
            "throughput",
            "latency-nexmark-q5",
            "latency-fr081-trades",
            "sweep",
            "allocations",
        ];
        assert_eq!(stems, want);
        let mut r = fixtures::sync_slower_results();
        r.scenarios[0]
            .modes
            .values_mut()
            .for_each(|m| m.summary.latency_us = Percentiles::default());
        let stems: Vec<String> = specs(&r).into_iter().map(|s| s.file_stem).collect();
        assert_eq!(stems, ["throughput", "allocations"]);
    }

    #[test]
    fn slugs_are_unique_and_safe() {
        assert_eq!(slug("Nexmark Q5/hop"), "nexmark-q5-hop");
        assert_eq!(slug("<>"), "scenario");
        let mut r = fixtures::sample_results();
        r.scenarios[1].name = "nexmark q5".into();
        let stems: Vec<String> = specs(&r).into_iter().map(|s| s.file_stem).collect();
        assert!(
            stems.contains(&"latency-nexmark-q5-2".to_string()),
            "{stems:?}"
        );
    }

    #[test]
    fn svg_charts_draw() {
        let r = fixtures::sample_results();
        let fonts = fonts_available();
        for spec in specs(&r) {
            let chart = render_svg(&r, &spec);
            // Without fonts every chart must still come back, as a placeholder.
            assert_eq!(chart.drawn, fonts, "{}: {}", spec.file_stem, chart.svg);
            assert!(chart.svg.starts_with("<svg") && chart.svg.trim_end().ends_with("</svg>"));
        }
    }

    #[test]
    fn failed_png_leaves_no_file() {
        let r = fixtures::sample_results();
        let spec = &specs(&r)[0];
        let dir =
            std::env::temp_dir().join(format!("tokio-tax-no-such-dir-{}", std::process::id()));
        let path = dir.join("throughput.png");
        assert!(render_png(&r, spec, &path).is_err());
        assert!(!path.exists() && !path.with_extension("tmp.png").exists());
    }

    #[test]
    fn panics_become_errors() {
        let err = guarded(|| panic!("font source exploded")).expect_err("panic is caught");
        assert!(err.to_string().contains("font source exploded"));
        let svg = placeholder_svg("a <b>", "x & y");
        assert!(svg.contains("a &lt;b&gt;") && svg.contains("x &amp; y"));
    }

    #[test]
    fn cost_axis_ticks() {
        let costs = [0, 100, 250, 500, 1_000, 10_000];
        let axis = CostAxis::new(&costs);
        let ticks: Vec<f64> = axis
            .ticks(&costs)
            .into_iter()
            .map(|x| axis.cost(x).round())
            .collect();
        assert_eq!(
            ticks,
            [0.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0]
        );
        assert!((axis.cost(axis.x(500)) - 500.0).abs() < 1e-6 && axis.cost(axis.x(0)) == 0.0);
        assert!(axis.x(0) < axis.x(100));
        let linear = CostAxis::new(&[0, 50, 100, 150, 200]);
        assert!(!linear.log);
        assert_eq!(linear.ticks(&[0, 200]), [0.0, 50.0, 100.0, 150.0, 200.0]);
        assert_eq!(
            log_ticks(26.0, 4000.0),
            [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0]
        );
    }
}
