//! The Markdown report: compact GitHub-flavoured tables that read in a
//! terminal and in a pull-request comment.

use std::fmt::Write;

use crate::report::results::Results;
use crate::report::view::{self, Table};

/// Renders the whole report from `results` alone. Chart links point at
/// `charts/<stem>.svg` and `.png` beside the report, as `render_all` writes them.
pub fn render(results: &Results) -> String {
    let v = view::build(results);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, &v);
    out
}

fn write_report(out: &mut String, v: &view::View) -> std::fmt::Result {
    writeln!(out, "# {}\n", text(&v.title))?;
    writeln!(out, "{}  ", pairs(&v.run))?;
    writeln!(out, "{}  ", pairs(&v.config))?;
    writeln!(out, "Command: {}\n", code_span(&v.command))?;
    for n in &v.notices {
        writeln!(out, "> **Warning:** {}\n", text(n))?;
    }
    if !v.bottom_line.is_empty() {
        writeln!(out, "**Bottom line:** {}\n", text(&v.bottom_line))?;
    }

    for s in &v.scenarios {
        writeln!(out, "## Scenario {}\n", text(&s.name))?;
        if !s.description.is_empty() {
            writeln!(out, "{}\n", text(&s.description))?;
        }
        writeln!(out, "{}\n", text(&s.facts))?;
        if !s.sql.is_empty() {
            writeln!(out, "{}\n", code_block("sql", &s.sql))?;
        }
        for w in &s.warnings {
            writeln!(out, "> **Warning:** {}\n", text(w))?;
        }
        write_table(out, &s.table)?;
        for n in &s.table_notes {
            writeln!(out, "{}  ", text(n))?;
        }
        writeln!(out, "\n**sync vs tokio:** {}\n", text(&s.verdict))?;
        for p in &s.other_pairs {
            writeln!(out, "- {}", text(p))?;
        }
        if !s.other_pairs.is_empty() {
            writeln!(out)?;
        }
        if !s.flamegraphs.is_empty() {
            let links: Vec<String> = s
                .flamegraphs
                .iter()
                .map(|(mode, path, samples)| format!("{} ({samples} samples)", link(mode, path)))
                .collect();
            writeln!(out, "Flamegraphs: {}\n", links.join(", "))?;
        }
    }

    writeln!(out, "## FR-081-07 claims vs measured\n")?;
    write_table(out, &v.claims)?;
    writeln!(out)?;
    if let Some(t) = &v.claims_by_scenario {
        writeln!(out, "Per scenario (change, [95% CI], verdict):\n")?;
        write_table(out, t)?;
        writeln!(out)?;
    }
    for n in &v.claims_notes {
        writeln!(out, "- {}", text(n))?;
    }
    writeln!(out)?;

    if let Some(s) = &v.sweep {
        writeln!(out, "## Per-record cost sweep ({})\n", text(&s.scenario))?;
        write_table(out, &s.table)?;
        writeln!(out)?;
        for l in &s.lines {
            writeln!(out, "- {}", text(l))?;
        }
        writeln!(out)?;
    }

    if !v.charts.is_empty() {
        writeln!(out, "## Charts\n")?;
        for c in &v.charts {
            let svg = link("SVG", &format!("charts/{}.svg", c.file_stem));
            let png = link("PNG", &format!("charts/{}.png", c.file_stem));
            writeln!(out, "- {}: {svg}, {png}", text(&c.title))?;
        }
    }
    Ok(())
}

fn pairs(items: &[(&str, String)]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|(k, v)| format!("{k}: {}", text(v)))
        .collect();
    parts.join(" · ")
}

fn write_table(out: &mut String, t: &Table) -> std::fmt::Result {
    if t.rows.is_empty() {
        return Ok(()); // the view says why in a note
    }
    let row = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.collect();
        format!("| {} |", cells.join(" | "))
    };
    writeln!(out, "{}", row(&mut t.headers.iter().map(|h| text(h))))?;
    let rule = t
        .numeric
        .iter()
        .map(|n| if *n { "---:" } else { "---" }.to_string());
    writeln!(out, "{}", row(&mut rule.into_iter()))?;
    for r in &t.rows {
        writeln!(out, "{}", row(&mut r.iter().map(|c| text(&c.text))))?;
    }
    Ok(())
}

/// Escapes what would turn plain text into markup, and folds newlines so any
/// string fits a table cell. Only characters that can start markup here are
/// escaped, so text stays readable in a terminal: `<` before a letter or
/// `/!?` (HTML), `>` or `#` at the start (quote, heading), `](` and `][`
/// (links), and always `\`, `` ` ``, `*` and `|`.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let escape = match c {
            '\\' | '`' | '*' | '|' => true,
            '<' => next.is_some_and(|n| n.is_ascii_alphabetic() || "/!?".contains(n)),
            '>' | '#' => first,
            ']' => next.is_some_and(|n| n == '(' || n == '['),
            _ => false,
        };
        match c {
            '\r' => {}
            '\n' => out.push(' '),
            _ if escape => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        first = false;
    }
    out
}

/// Inline code with a fence longer than any backtick run inside.
fn code_span(s: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(s) + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('\n', " "))
}

fn code_block(lang: &str, s: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(s).max(2) + 1);
    format!("{fence}{lang}\n{}\n{fence}", s.trim_end())
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A link; angle brackets keep paths with spaces or parentheses intact.
fn link(label: &str, target: &str) -> String {
    let target = if target.contains([' ', '(', ')']) {
        format!("<{}>", target.replace('<', "%3C").replace('>', "%3E"))
    } else {
        target.to_string()
    };
    format!("[{}]({target})", text(label))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::claims::CLAIMS;
    use crate::report::fixtures;

    #[test]
    fn names_every_scenario_and_verdict() {
        let r = fixtures::sample_results();
        let md = render(&r);
        for s in &r.scenarios {
            assert!(
                md.contains(&format!("## Scenario {}", s.name)),
                "{}",
                s.name
            );
            let verdict = &s
                .comparison
                .as_ref()
                .expect("sample compares sync and tokio")
                .verdict
                .text;
            assert!(md.contains(&text(verdict)), "{verdict}");
        }
        assert!(md.contains("## FR-081-07 claims vs measured"));
        for c in CLAIMS {
            assert!(md.contains(&format!("| {} |", c.name)), "{}", c.name);
        }
        assert!(md.contains("not measured (run scripts/build-cost.sh)"));
        assert!(md.contains("allocated bytes per record"));
        assert!(md.contains("[SVG](charts/throughput.svg)"));
        assert!(md.contains("10% or less at 3,000 ns"));
        assert!(!md.contains("low precision"), "not a quick run");
    }

    #[test]
    fn quick_and_profiled_runs_say_so() {
        let mut r = fixtures::sync_slower_results();
        r.config.profile = true;
        let md = render(&r);
        assert!(md.contains("results are low precision"));
        assert!(md.contains("numbers come from a profiled run"));
    }

    #[test]
    fn sync_slower_is_reported_as_such() {
        let md = render(&fixtures::sync_slower_results());
        let row = md
            .lines()
            .find(|l| l.starts_with("| Throughput |"))
            .expect("throughput row");
        assert!(
            row.contains("| opposite |") || row.contains("| does not hold |"),
            "{row}"
        );
        assert!(
            md.contains("sync is 10.0% slower") || md.contains("% slower"),
            "{md}"
        );
    }

    #[test]
    fn warns_on_digest_mismatch_and_error() {
        let mut r = fixtures::sample_results();
        r.scenarios[1].digests_match = false;
        r.scenarios[1].comparison = None;
        r.scenarios[1].error = Some("broker went away after 3 repetitions".into());
        let md = render(&r);
        assert!(
            md.contains("**sync vs tokio:** not compared (the modes emitted different outputs)")
        );
        assert!(md.contains("> **Warning:** Output digests differ"));
        assert!(md.contains("> **Warning:** Scenario error: broker went away"));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(text("a|b <c> *d*\nе"), "a\\|b \\<c> \\*d\\* е");
        assert_eq!(
            text("> p<0.001 [x](y) [1..2]"),
            "\\> p<0.001 [x\\](y) [1..2]"
        );
        assert_eq!(code_span("a `b`"), "`` a `b` ``");
        assert_eq!(code_block("sql", "SELECT 1\n"), "```sql\nSELECT 1\n```");
        assert_eq!(link("x", "a b.svg"), "[x](<a b.svg>)");
        let md = render(&fixtures::sample_results());
        assert!(md.contains("window <10s & slide 2s>"));
        let mut r = fixtures::sample_results();
        r.scenarios[0].description = "<script>alert(1)</script> | x".into();
        assert!(render(&r).contains("\\<script>alert(1)\\</script> \\| x"));
    }
}
