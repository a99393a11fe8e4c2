//! The HTML report: one self-contained page (inline CSS and SVG, no scripts,
//! nothing fetched) with the same content as the Markdown report.

use std::fmt::Write;

use crate::report::claims::ClaimVerdict;
use crate::report::results::Results;
use crate::report::view::{self, Table};

const STYLE: &str = "
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif; color: #1d1d1f;
       margin: 0; background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { margin: 0 0 8px; font-size: 26px; }
h2 { margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; font-size: 21px; }
h3 { margin: 0 0 6px; font-size: 17px; }
.meta { color: #555; font-size: 13px; margin: 2px 0; }
.meta b { color: #333; font-weight: 600; }
code, pre { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 13px; }
pre { background: #f4f4f6; padding: 10px 12px; overflow-x: auto; margin: 6px 0 10px; }
.notice { background: #fff4e5; border-left: 4px solid #e69a1c; padding: 8px 12px; margin: 10px 0; }
.warning { background: #fdecea; border-left: 4px solid #d33b2c; padding: 8px 12px; margin: 10px 0; }
.bottom { background: #eef4fb; border-left: 4px solid #1f77b4; padding: 10px 12px; margin: 14px 0; }
section.scenario { margin: 22px 0 30px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13.5px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }
th { background: #f0f0f3; text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafc; }
.v-holds { color: #1a7f37; font-weight: 600; }
.v-does-not-hold { color: #9a6700; font-weight: 600; }
.v-opposite { color: #cf222e; font-weight: 600; }
.v-not-measured { color: #6e7781; }
.verdict { margin: 8px 0; }
ul { margin: 6px 0; padding-left: 22px; }
figure { margin: 18px 0 28px; }
figure svg { max-width: 100%; height: auto; display: block; border: 1px solid #eee; }
figcaption { color: #555; font-size: 13px; margin-top: 4px; }
";

/// Renders the page. `charts` are (title, SVG document) pairs drawn by
/// [`crate::report::charts`]; the SVG is inlined as is, so it must be trusted
/// markup (an XML prolog before `<svg` is dropped).
pub fn render(results: &Results, charts: &[(&str, &str)]) -> String {
    let v = view::build(results);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_page(&mut out, &v, &results.created_at, charts);
    out
}

fn write_page(
    out: &mut String,
    v: &view::View,
    date: &str,
    charts: &[(&str, &str)],
) -> std::fmt::Result {
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(out, "<title>{} {}</title>", escape(&v.title), escape(date))?;
    writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>")?;
    writeln!(out, "<h1>{}</h1>", escape(&v.title))?;
    for group in [&v.run, &v.config] {
        let parts: Vec<String> = group
            .iter()
            .map(|(k, v)| format!("<b>{}:</b> {}", escape(k), escape(v)))
            .collect();
        writeln!(out, "<p class=\"meta\">{}</p>", parts.join(" · "))?;
    }
    writeln!(
        out,
        "<p class=\"meta\"><b>Command:</b> <code>{}</code></p>",
        escape(&v.command)
    )?;
    for n in &v.notices {
        writeln!(
            out,
            "<div class=\"notice\"><strong>Warning:</strong> {}</div>",
            escape(n)
        )?;
    }
    if !v.bottom_line.is_empty() {
        writeln!(
            out,
            "<p class=\"bottom\"><strong>Bottom line:</strong> {}</p>",
            escape(&v.bottom_line)
        )?;
    }

    for s in &v.scenarios {
        writeln!(
            out,
            "<section class=\"scenario\">\n<h2>Scenario {}</h2>",
            escape(&s.name)
        )?;
        if !s.description.is_empty() {
            writeln!(out, "<p>{}</p>", escape(&s.description))?;
        }
        writeln!(out, "<p class=\"meta\">{}</p>", escape(&s.facts))?;
        if !s.sql.is_empty() {
            writeln!(out, "<pre><code>{}</code></pre>", escape(s.sql.trim_end()))?;
        }
        for w in &s.warnings {
            writeln!(
                out,
                "<div class=\"warning\"><strong>Warning:</strong> {}</div>",
                escape(w)
            )?;
        }
        write_table(out, &s.table)?;
        for n in &s.table_notes {
            writeln!(out, "<p class=\"meta\">{}</p>", escape(n))?;
        }
        writeln!(
            out,
            "<p class=\"verdict\"><strong>sync vs tokio:</strong> {}</p>",
            escape(&s.verdict)
        )?;
        write_list(out, &s.other_pairs)?;
        if !s.flamegraphs.is_empty() {
            let links: Vec<String> = s
                .flamegraphs
                .iter()
                .map(|(mode, path, n)| match path.contains(':') {
                    // Relative files only: no scheme (javascript:, http:) as a link.
                    true => format!("{} {} ({n} samples)", escape(mode), escape(path)),
                    false => format!(
                        "<a href=\"{}\">{}</a> ({n} samples)",
                        escape(path),
                        escape(mode)
                    ),
                })
                .collect();
            writeln!(out, "<p>Flamegraphs: {}</p>", links.join(", "))?;
        }
        writeln!(out, "</section>")?;
    }

    writeln!(out, "<h2>FR-081-07 claims vs measured</h2>")?;
    write_table(out, &v.claims)?;
    if let Some(t) = &v.claims_by_scenario {
        writeln!(out, "<p>Per scenario (change, [95% CI], verdict):</p>")?;
        write_table(out, t)?;
    }
    write_list(out, &v.claims_notes)?;

    if let Some(s) = &v.sweep {
        writeln!(
            out,
            "<h2>Per-record cost sweep ({})</h2>",
            escape(&s.scenario)
        )?;
        write_table(out, &s.table)?;
        write_list(out, &s.lines)?;
    }

    if !charts.is_empty() {
        writeln!(out, "<h2>Charts</h2>")?;
        for (title, svg) in charts {
            let svg = svg.find("<svg").map_or(*svg, |i| &svg[i..]);
            writeln!(
                out,
                "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>",
                svg.trim(),
                escape(title)
            )?;
        }
    }
    writeln!(out, "</main>\n</body>\n</html>")
}

fn write_list(out: &mut String, items: &[String]) -> std::fmt::Result {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "<ul>")?;
    for i in items {
        writeln!(out, "<li>{}</li>", escape(i))?;
    }
    writeln!(out, "</ul>")
}

fn write_table(out: &mut String, t: &Table) -> std::fmt::Result {
    if t.rows.is_empty() {
        return Ok(()); // the view says why in a note
    }
    let class = |i: usize| {
        if t.numeric.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        }
    };
    writeln!(out, "<div class=\"scroll\"><table>\n<thead><tr>")?;
    for (i, h) in t.headers.iter().enumerate() {
        write!(out, "<th{}>{}</th>", class(i), escape(h))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for row in &t.rows {
        write!(out, "<tr>")?;
        for (i, cell) in row.iter().enumerate() {
            match cell.verdict {
                Some(v) => write!(
                    out,
                    "<td class=\"{}\">{}</td>",
                    verdict_class(v),
                    escape(&cell.text)
                )?,
                None => write!(out, "<td{}>{}</td>", class(i), escape(&cell.text))?,
            }
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody></table></div>")
}

fn verdict_class(v: ClaimVerdict) -> &'static str {
    match v {
        ClaimVerdict::Holds => "v-holds",
        ClaimVerdict::DoesNotHold => "v-does-not-hold",
        ClaimVerdict::Opposite => "v-opposite",
        ClaimVerdict::NotMeasured => "v-not-measured",
    }
}

/// Escapes text for HTML element content and double- or single-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    const SVG: &str = "<?xml version=\"1.0\"?>\n<svg width=\"10\" height=\"10\" xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"10\" height=\"10\"/></svg>";

    #[test]
    fn one_self_contained_page() {
        let r = fixtures::sample_results();
        let page = render(&r, &[("Throughput", SVG), ("Latency", SVG)]);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert_eq!(page.matches("<html").count(), 1);
        assert_eq!(page.matches("</html>").count(), 1);
        assert_eq!(page.matches("<svg").count(), 2);
        assert!(!page.contains("<?xml"), "prolog dropped when inlining");
        for external in ["<script", "<link", " src=", "@import", "url("] {
            assert!(!page.contains(external), "{external}");
        }
        for s in &r.scenarios {
            assert!(page.contains(&format!("<h2>Scenario {}</h2>", escape(&s.name))));
        }
        assert!(page.contains("FR-081-07 claims vs measured"));
        assert!(page.contains("<td class=\"v-not-measured\">not measured</td>"));
    }

    #[test]
    fn links_flamegraphs_by_relative_path() {
        let mut r = fixtures::sample_results();
        let profile = |path: &str| crate::report::results::ProfileFiles {
            flamegraph_svg: path.into(),
            pprof: "x.pb".into(),
            samples: 1234,
        };
        let modes = &mut r.scenarios[0].modes;
        modes.get_mut("sync").expect("sync").profile =
            Some(profile("profiles/nexmark-q5/sync.svg"));
        modes.get_mut("tokio").expect("tokio").profile = Some(profile("javascript:alert(1)"));
        let page = render(&r, &[]);
        assert!(page.contains("<a href=\"profiles/nexmark-q5/sync.svg\">sync</a> (1234 samples)"));
        assert!(!page.contains("href=\"javascript:"));
        let md = crate::report::markdown::render(&r);
        assert!(md.contains("Flamegraphs: [sync](profiles/nexmark-q5/sync.svg) (1234 samples)"));
    }

    #[test]
    fn escapes_scenario_text() {
        let mut r = fixtures::sample_results();
        r.scenarios[0].description = "latency <1ms & \"fast\" <script>alert(1)</script>".into();
        r.scenarios[0].name = "q5<b>".into();
        let page = render(&r, &[]);
        assert!(page.contains("latency &lt;1ms &amp; &quot;fast&quot; &lt;script&gt;"));
        assert!(!page.contains("<script>") && !page.contains("<1ms") && !page.contains("q5<b>"));
    }
}
