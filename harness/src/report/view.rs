//! What a report says, as plain text: tables, sentences and links. markdown.rs
//! and html.rs only add markup and escaping, so both say the same thing.

use crate::report::charts::{self, ChartSpec};
use crate::report::claims::{self, ClaimRow, ClaimVerdict, Metric};
use crate::report::results::{Comparison, ModeResult, Results, ScenarioResult, Sweep};

/// A table of plain-text cells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub headers: Vec<String>,
    /// Right-align the column (numbers).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<Cell>>,
}

/// A table cell; a cell that states a claim verdict carries it, so HTML can colour it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    pub text: String,
    pub verdict: Option<ClaimVerdict>,
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell {
            text,
            verdict: None,
        }
    }
}

fn cells(texts: Vec<String>) -> Vec<Cell> {
    texts.into_iter().map(Cell::from).collect()
}

impl Table {
    fn new(columns: &[(&str, bool)]) -> Table {
        Table {
            headers: columns.iter().map(|(h, _)| h.to_string()).collect(),
            numeric: columns.iter().map(|(_, n)| *n).collect(),
            rows: Vec::new(),
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct View {
    pub title: String,
    /// Which run: tool, date, commit, machine.
    pub run: Vec<(&'static str, String)>,
    /// How it was configured, without the command line.
    pub config: Vec<(&'static str, String)>,
    pub command: String,
    /// Run-wide cautions: quick, profiled, incomplete.
    pub notices: Vec<String>,
    pub bottom_line: String,
    pub scenarios: Vec<ScenarioView>,
    pub claims: Table,
    pub claims_by_scenario: Option<Table>,
    pub claims_notes: Vec<String>,
    pub sweep: Option<SweepView>,
    pub charts: Vec<ChartSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScenarioView {
    pub name: String,
    pub description: String,
    pub facts: String,
    pub sql: String,
    pub table: Table,
    pub table_notes: Vec<String>,
    /// comparison.verdict.text, or why there is none.
    pub verdict: String,
    /// The other pairs of modes, one sentence each.
    pub other_pairs: Vec<String>,
    pub warnings: Vec<String>,
    /// (mode, flamegraph path, samples).
    pub flamegraphs: Vec<(String, String, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SweepView {
    pub scenario: String,
    pub table: Table,
    pub lines: Vec<String>,
}

pub(crate) fn build(r: &Results) -> View {
    let rows = claims::evaluate(r);
    View {
        title: "tokio-tax report".to_string(),
        run: run_meta(r),
        config: config_meta(r),
        command: r.config.command_line.clone(),
        notices: notices(r),
        bottom_line: bottom_line(r, &rows),
        scenarios: r.scenarios.iter().map(|s| scenario(r, s)).collect(),
        claims: claims_table(&rows),
        claims_by_scenario: claims_by_scenario(r, &rows),
        claims_notes: claims_notes(),
        sweep: r.sweep.as_ref().map(|s| sweep(r, s)),
        charts: charts::specs(r),
    }
}

fn run_meta(r: &Results) -> Vec<(&'static str, String)> {
    let m = &r.machine;
    let commit = r
        .git_commit
        .as_deref()
        .map_or("unknown".to_string(), |h| h.chars().take(12).collect());
    vec![
        ("Tool", r.tool.clone()),
        ("Date", r.created_at.clone()),
        ("Git commit", commit),
        (
            "Machine",
            format!(
                "{} ({} cores), {}, kernel {}",
                m.cpu_model, m.cores, m.os, m.kernel
            ),
        ),
    ]
}

fn config_meta(r: &Results) -> Vec<(&'static str, String)> {
    let c = &r.config;
    let records = c
        .records_override
        .map_or("as in each scenario file".to_string(), |n| {
            format!("{} per scenario (override)", fmt_int(n))
        });
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    vec![
        ("Modes", c.modes.join(", ")),
        (
            "Repetitions",
            format!("{} per mode, after {} warm-up", c.reps, c.warmup),
        ),
        ("Broker", c.kafka.clone()),
        ("Records", records),
        (
            "Latency rate",
            c.latency_rate
                .map_or("not set".to_string(), |n| format!("{} rec/s", fmt_int(n))),
        ),
        ("Quick", yes_no(c.quick)),
        ("Profiled", yes_no(c.profile)),
        (
            "Claimed gain",
            format!(
                "{}–{}% (FR-081-07)",
                c.claimed_gain_pct[0], c.claimed_gain_pct[1]
            ),
        ),
    ]
}

fn notices(r: &Results) -> Vec<String> {
    let mut out = Vec::new();
    if r.config.quick {
        out.push(
            "Quick run (--quick): results are low precision (few repetitions, few records); \
             good for a smoke test, not for judging the claim."
                .to_string(),
        );
    }
    if r.config.profile {
        out.push(
            "Profiled run (--profile): these numbers come from a profiled run; the sampling profiler \
             costs time, so throughput and latency are not those of an unprofiled run."
                .to_string(),
        );
    }
    if !r.complete {
        out.push("Incomplete run: at least one scenario failed or was cut short; its partial data is shown.".to_string());
    }
    if r.scenarios.is_empty() {
        out.push("No scenario results in this file.".to_string());
    }
    out
}

fn bottom_line(r: &Results, rows: &[ClaimRow]) -> String {
    let [lo, hi] = r.config.claimed_gain_pct;
    let Some(t) = rows
        .iter()
        .find(|row| row.claim.metric == Metric::Throughput)
    else {
        return String::new();
    };
    let Some(gain) = t.measured_pct else {
        return format!("Throughput of sync against tokio was not measured, so FR-081-07's {lo}–{hi}% gain is untested.");
    };
    let n = t.per_scenario.iter().filter(|v| !v.excluded).count();
    let over = if n == 1 {
        "1 scenario".to_string()
    } else {
        format!("median over {n} scenarios")
    };
    let (mut faster, mut slower, mut neither) = (0, 0, 0);
    for c in r.scenarios.iter().filter_map(|s| s.comparison.as_ref()) {
        match (c.verdict.significant, c.gain_pct > 0.0) {
            (true, true) => faster += 1,
            (true, false) => slower += 1,
            (false, _) => neither += 1,
        }
    }
    format!(
        "Throughput of sync against tokio is {} ({over}). FR-081-07 claims {lo}–{hi}% (+{}% in its table): \
         {}. Per scenario, sync is significantly faster in {faster}, significantly slower in {slower}, and not \
         significantly different in {neither}.",
        fmt_pct(gain),
        t.claim.change_pct,
        t.verdict
    )
}

/// Modes of a scenario in the run's order, then any others.
pub(crate) fn mode_order<'a>(r: &'a Results, s: &'a ScenarioResult) -> Vec<&'a str> {
    let mut out: Vec<&str> = r
        .config
        .modes
        .iter()
        .map(String::as_str)
        .filter(|m| s.modes.contains_key(*m))
        .collect();
    out.extend(
        s.modes
            .keys()
            .map(String::as_str)
            .filter(|m| !r.config.modes.iter().any(|c| c == m)),
    );
    out
}

fn scenario(r: &Results, s: &ScenarioResult) -> ScenarioView {
    let ceiling = s
        .ceiling
        .as_ref()
        .map_or("broker ceiling not measured".to_string(), |c| {
            format!(
                "broker ceiling (poll and drop) {} rec/s",
                fmt_rate(c.summary.median)
            )
        });
    let facts = format!(
        "{} records, {} partitions, {ceiling}",
        fmt_int(s.records),
        s.partitions
    );
    let mut table = Table::new(&[
        ("Mode", false),
        ("n", true),
        ("Throughput rec/s", true),
        ("95% CI", true),
        ("p50 µs", true),
        ("p99 µs", true),
        ("p99.9 µs", true),
        ("CPU cores", true),
        ("Allocs/rec", true),
        ("Bytes/rec", true),
        ("Peak RSS MiB", true),
        ("Of ceiling", true),
    ]);
    let mut ranged = false;
    for mode in mode_order(r, s) {
        let Some(m) = s.modes.get(mode) else { continue };
        let (row, range) = mode_row(mode, m);
        ranged |= range;
        table.rows.push(cells(row));
    }
    let mut table_notes = Vec::new();
    if table.rows.is_empty() {
        table_notes.push("No mode produced results.".to_string());
    }
    if ranged {
        table_notes.push(
            "\"range\": no bootstrap CI (fewer than 2 repetitions); min–max shown instead."
                .to_string(),
        );
    }
    let both = s.modes.contains_key("sync") && s.modes.contains_key("tokio");
    let verdict = match &s.comparison {
        Some(c) => c.verdict.text.clone(),
        None if !both => "not compared (the scenario did not run both modes)".to_string(),
        None if !s.digests_match => {
            "not compared (the modes emitted different outputs)".to_string()
        }
        None => "not compared (needs at least 2 repetitions of each)".to_string(),
    };
    let other_pairs = s
        .comparisons
        .iter()
        .filter(|c| !(c.a == "sync" && c.b == "tokio"))
        .map(pair_sentence)
        .collect();
    let mut warnings = Vec::new();
    if !s.digests_match {
        let digests: Vec<String> = mode_order(r, s)
            .into_iter()
            .filter_map(|m| Some(format!("{m} {}", s.modes.get(m)?.output_digest)))
            .collect();
        warnings.push(format!(
            "Output digests differ between modes or repetitions ({}): the modes did not compute the same \
             result, so their numbers are not comparable.",
            digests.join(", ")
        ));
    }
    if let Some(e) = &s.error {
        warnings.push(format!("Scenario error: {e}"));
    }
    let flamegraphs = mode_order(r, s)
        .into_iter()
        .filter_map(|m| {
            let p = s.modes.get(m)?.profile.as_ref()?;
            Some((m.to_string(), p.flamegraph_svg.clone(), p.samples))
        })
        .collect();
    ScenarioView {
        name: s.name.clone(),
        description: s.description.clone(),
        facts,
        sql: s.sql.clone(),
        table,
        table_notes,
        verdict,
        other_pairs,
        warnings,
        flamegraphs,
    }
}

/// A mode's table row, and whether its interval is a min-max range.
fn mode_row(mode: &str, m: &ModeResult) -> (Vec<String>, bool) {
    let s = &m.summary;
    let t = &s.throughput_rps;
    let (ci, range) = match s.throughput_ci95 {
        Some(ci) => (format!("{}–{}", fmt_rate(ci.lo), fmt_rate(ci.hi)), false),
        None if t.n > 0 => (
            format!("{}–{} range", fmt_rate(t.min), fmt_rate(t.max)),
            true,
        ),
        None => (DASH.to_string(), false),
    };
    let row = vec![
        mode.to_string(),
        t.n.to_string(),
        fmt_rate(t.median),
        ci,
        fmt_us(s.latency_us.p50),
        fmt_us(s.latency_us.p99),
        fmt_us(s.latency_us.p999),
        fmt_fixed(s.cpu_util.median, 2),
        fmt_fixed(s.allocs_per_record.median, 2),
        fmt_fixed(s.bytes_per_record.median, 0),
        fmt_fixed(s.peak_rss_kib as f64 / 1024.0, 1),
        s.fraction_of_ceiling
            .map_or(DASH.to_string(), |f| format!("{:.0}%", f * 100.0)),
    ];
    (row, range)
}

fn pair_sentence(c: &Comparison) -> String {
    let significant = if c.verdict.significant {
        "significant"
    } else {
        "not significant"
    };
    format!(
        "{} vs {}: {} throughput (95% CI {}..{}, {}), {significant}",
        c.a,
        c.b,
        fmt_pct(c.gain_pct),
        fmt_pct(c.ci95.lo),
        fmt_pct(c.ci95.hi),
        fmt_p(c.mann_whitney_p)
    )
}

fn claims_table(rows: &[ClaimRow]) -> Table {
    let mut t = Table::new(&[
        ("Metric", false),
        ("FR-081-07 claim (tokio → sync)", false),
        ("Measured (tokio → sync)", false),
        ("Verdict", false),
        ("Measured as", false),
    ]);
    for row in rows {
        let c = &row.claim;
        let claimed = format!(
            "{} ({})",
            fmt_pct_whole(c.change_pct),
            fmt_values(c.tokio, c.sync, c.unit)
        );
        let measured = match (row.measured_pct, row.values) {
            (None, _) => "not measured".to_string(),
            (Some(p), Some((tokio, sync))) => {
                format!("{} ({})", fmt_pct(p), fmt_values(tokio, sync, c.unit))
            }
            (Some(p), None) => format!(
                "{} (median of {} scenarios)",
                fmt_pct(p),
                row.per_scenario.iter().filter(|v| !v.excluded).count()
            ),
        };
        let verdict = Cell {
            text: row.verdict.to_string(),
            verdict: Some(row.verdict),
        };
        let mut cells = cells(vec![c.name.to_string(), claimed, measured]);
        cells.extend([verdict, Cell::from(row.basis.clone())]);
        t.rows.push(cells);
    }
    t
}

/// Per-scenario changes of the per-scenario claims; None with fewer than two
/// scenarios, where the claims table already says it all.
fn claims_by_scenario(r: &Results, rows: &[ClaimRow]) -> Option<Table> {
    let cols: Vec<&ClaimRow> = rows
        .iter()
        .filter(|row| row.claim.metric.per_scenario())
        .collect();
    let names: Vec<&str> = r
        .scenarios
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| {
            cols.iter()
                .any(|c| c.per_scenario.iter().any(|v| v.scenario == *n))
        })
        .collect();
    if names.len() < 2 {
        return None;
    }
    let mut headers = vec![("Scenario", false)];
    headers.extend(cols.iter().map(|c| (c.claim.name, false)));
    let mut t = Table::new(&headers);
    for name in names {
        let mut row = vec![Cell::from(name.to_string())];
        for c in &cols {
            let cell = c.per_scenario.iter().find(|v| v.scenario == name).map_or(
                Cell::from(DASH.to_string()),
                |v| {
                    let ci = v.ci95.map_or(String::new(), |ci| {
                        format!(" [{}..{}]", fmt_pct(ci.lo), fmt_pct(ci.hi))
                    });
                    let left_out = if v.excluded {
                        ", left out: outputs differ"
                    } else {
                        ""
                    };
                    Cell {
                        text: format!("{}{ci} {}{left_out}", fmt_pct(v.change_pct), v.verdict),
                        verdict: Some(v.verdict),
                    }
                },
            );
            row.push(cell);
        }
        t.rows.push(row);
    }
    Some(t)
}

fn claims_notes() -> Vec<String> {
    vec![
        "Changes are sync relative to tokio, (sync / tokio − 1) × 100: positive throughput and negative \
         latency, memory, size, time or CPU favour sync."
            .to_string(),
        format!("Verdicts use point estimates: {}.", claims::VERDICT_RULE),
        "For context: FR-081-07's own per-component breakdown (\"Total Performance Gain\") adds up to 0.7%; \
         its 8–10% comes from a per-record recalculation that attributes 5 of 60 µs per record to overhead."
            .to_string(),
    ]
}

fn sweep(r: &Results, sweep: &Sweep) -> SweepView {
    let mut points: Vec<_> = sweep.points.iter().collect();
    points.sort_by_key(|p| p.cost_ns);
    // The run's modes first, then any other mode a point has.
    let config = r.config.modes.iter().map(String::as_str);
    let mut modes: Vec<&str> = Vec::new();
    for m in config.chain(
        points
            .iter()
            .flat_map(|p| p.throughput_rps.keys().map(String::as_str)),
    ) {
        if !modes.contains(&m) && points.iter().any(|p| p.throughput_rps.contains_key(m)) {
            modes.push(m);
        }
    }
    let headers: Vec<String> = std::iter::once("Cost ns/record".to_string())
        .chain(modes.iter().map(|m| format!("{m} rec/s")))
        .chain(std::iter::once("Gain of sync over tokio".to_string()))
        .collect();
    let mut table = Table {
        numeric: vec![true; headers.len()],
        headers,
        rows: Vec::new(),
    };
    for p in &points {
        let mut row = vec![fmt_int(p.cost_ns)];
        row.extend(modes.iter().map(|m| {
            p.throughput_rps
                .get(*m)
                .map_or(DASH.to_string(), |v| fmt_rate(*v))
        }));
        row.push(fmt_pct(p.gain_pct));
        table.rows.push(cells(row));
    }
    let [lo, hi] = r.config.claimed_gain_pct;
    let mut thresholds = vec![hi.max(lo), hi.min(lo)];
    thresholds.dedup();
    let measured = points.iter().filter(|p| p.gain_pct.is_finite());
    let Some(max_cost) = measured.map(|p| p.cost_ns).max() else {
        return SweepView {
            scenario: sweep.scenario.clone(),
            table,
            lines: vec!["No sweep point has a measured gain.".to_string()],
        };
    };
    let mut lines: Vec<String> = thresholds
        .into_iter()
        .map(|t| match claims::gain_falls_to(sweep, t) {
            Some(p) => format!(
                "The gain first falls to {t}% or less at {} ns of work per record.",
                fmt_int(p.cost_ns)
            ),
            None => format!(
                "The gain stays above {t}% up to {} ns of work per record.",
                fmt_int(max_cost)
            ),
        })
        .collect();
    lines.push(
        "The sweep adds synthetic work to every record: as it grows, a fixed per-record runtime cost \
         becomes a smaller share of the total."
            .to_string(),
    );
    SweepView {
        scenario: sweep.scenario.clone(),
        table,
        lines,
    }
}

pub(crate) const DASH: &str = "–";

/// Records per second: 523.1k, 1.234M.
pub(crate) fn fmt_rate(x: f64) -> String {
    match x.abs() {
        a if !a.is_finite() => DASH.to_string(),
        a if a >= 1e6 => format!("{:.3}M", x / 1e6),
        a if a >= 1e3 => format!("{:.1}k", x / 1e3),
        _ => format!("{x:.1}"),
    }
}

/// Microseconds with three significant digits; 0 (not recorded) shows as a dash.
pub(crate) fn fmt_us(x: f64) -> String {
    match x {
        x if !x.is_finite() || x <= 0.0 => DASH.to_string(),
        x if x < 10.0 => format!("{x:.2}"),
        x if x < 100.0 => format!("{x:.1}"),
        x => format!("{x:.0}"),
    }
}

/// Signed percent with one decimal: +3.4%.
pub(crate) fn fmt_pct(x: f64) -> String {
    if x.is_finite() {
        format!("{x:+.1}%")
    } else {
        DASH.to_string()
    }
}

fn fmt_pct_whole(x: f64) -> String {
    format!("{x:+}%")
}

pub(crate) fn fmt_fixed(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        DASH.to_string()
    }
}

/// A p-value as the verdict text writes it.
fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".to_string()
    } else {
        format!("p={p:.3}")
    }
}

/// Nanoseconds for an axis: 500, 2k, 10k.
pub(crate) fn fmt_ns(x: f64) -> String {
    if x >= 1000.0 && (x / 1000.0).fract() == 0.0 {
        format!("{}k", x / 1000.0)
    } else {
        format!("{x:.0}")
    }
}

/// 1234567 -> "1,234,567".
pub(crate) fn fmt_int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "tokio → sync unit".
fn fmt_values(tokio: f64, sync: f64, unit: &str) -> String {
    let space = if unit == "%" { "" } else { " " };
    format!(
        "{} → {}{space}{unit}",
        fmt_value(tokio, unit),
        fmt_value(sync, unit)
    )
}

/// A claim-table value in its unit.
fn fmt_value(x: f64, unit: &str) -> String {
    match unit {
        "rec/s" => fmt_rate(x),
        "µs" => fmt_us(x),
        "MB" => fmt_fixed(x, 1),
        "s" | "B" | "%" => fmt_fixed(x, 0),
        _ => format!("{x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn number_formats() {
        assert_eq!(fmt_rate(412_345.0), "412.3k");
        assert_eq!(fmt_rate(1_234_567.0), "1.235M");
        assert_eq!(fmt_rate(f64::NAN), "–");
        assert_eq!(fmt_us(0.0), "–");
        assert_eq!(fmt_us(38.04), "38.0");
        assert_eq!(fmt_us(1234.4), "1234");
        assert_eq!(fmt_pct(3.44), "+3.4%");
        assert_eq!(fmt_pct(-1.06), "-1.1%");
        assert_eq!(fmt_int(1_000_000), "1,000,000");
        assert_eq!(fmt_int(999), "999");
        assert_eq!(fmt_ns(2000.0), "2k");
        assert_eq!(fmt_ns(250.0), "250");
        assert_eq!(fmt_pct_whole(-8.0), "-8%");
        assert_eq!(fmt_p(0.0004), "p<0.001");
        assert_eq!(fmt_values(75.0, 70.0, "%"), "75 → 70%");
        assert_eq!(fmt_values(800.0, 600.0, "B"), "800 → 600 B");
    }

    #[test]
    fn mode_order_follows_config() {
        let r = fixtures::sample_results();
        assert_eq!(
            mode_order(&r, &r.scenarios[0]),
            ["sync", "tokio", "tokio-native"]
        );
    }

    #[test]
    fn single_rep_shows_range() {
        let mut r = fixtures::sync_slower_results();
        r.scenarios[0]
            .modes
            .values_mut()
            .for_each(|m| m.summary.throughput_ci95 = None);
        let v = build(&r);
        assert!(v.scenarios[0].table.rows[0][3].text.ends_with("range"));
        assert_eq!(v.scenarios[0].table_notes.len(), 1);
    }

    #[test]
    fn sweep_lines_name_crossings() {
        let v = build(&fixtures::sample_results());
        let s = v.sweep.expect("sample has a sweep");
        assert_eq!(s.table.rows.len(), 9);
        assert!(
            s.lines[0].contains("10% or less at 3,000 ns"),
            "{:?}",
            s.lines
        );
        assert!(
            s.lines[1].contains("8% or less at 5,000 ns"),
            "{:?}",
            s.lines
        );
    }
}
