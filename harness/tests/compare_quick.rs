//! `tokio-tax compare --quick` end to end: results.json matches its schema and
//! keeps the paths the README promises; the report renders from it alone.

mod common;

use tokio_tax::report::results::{Results, SCHEMA_VERSION};

#[test]
fn quick_compare_writes_a_valid_results_file_and_report() {
    let out = tempfile::tempdir().unwrap();
    let status = common::tokio_tax()
        .args([
            "compare",
            "nexmark-q2",
            "nexmark-q7",
            "--quick",
            "--records",
            "2000",
            "--history-db",
            "none",
            "--out",
        ])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success(), "compare failed: {status}");

    let path = out.path().join("results.json");
    let results = Results::load(&path).expect("results.json matches the schema");
    assert_eq!(results.schema_version, SCHEMA_VERSION);
    assert!(results.complete && results.config.quick);
    assert_eq!(results.scenarios.len(), 2);

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (i, name) in ["nexmark-q2", "nexmark-q7"].iter().enumerate() {
        let s = &json["scenarios"][i];
        assert_eq!(s["name"], *name);
        for mode in ["sync", "tokio", "tokio-native"] {
            let m = &s["modes"][mode];
            assert!(
                m["summary"]["throughput_rps"]["median"].as_f64().unwrap() > 0.0,
                "{name} {mode}"
            );
            assert!(
                m["summary"]["latency_us"]["p99"].as_f64().is_some(),
                "{name} {mode}"
            );
            assert_eq!(
                m["output_digest"], s["modes"]["sync"]["output_digest"],
                "{name} {mode}"
            );
            assert_eq!(m["reps"].as_array().unwrap().len(), 3);
        }
        let c = &s["comparison"];
        assert!(c["gain_pct"].as_f64().is_some());
        assert!(c["ci95"]["lo"].as_f64().unwrap() <= c["ci95"]["hi"].as_f64().unwrap());
        assert!(c["verdict"]["text"]
            .as_str()
            .unwrap()
            .contains("low precision"));
        assert!(s["ceiling"]["summary"]["median"].as_f64().unwrap() > 0.0);
    }
    for file in ["report.md", "report.html", "charts/throughput.svg"] {
        assert!(out.path().join(file).exists(), "{file} missing");
    }

    // Re-rendering from results.json alone.
    std::fs::remove_file(out.path().join("report.md")).unwrap();
    let status = common::tokio_tax()
        .arg("report")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("nexmark-q2") && md.contains("nexmark-q7"));
}

#[test]
fn a_bad_scenario_is_rejected_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"bad\"\ndescription = \"x\"\nsql = \"SELECT * FROM bid\"\nrecordz = 5\n[source]\ngenerator = \"nexmark\"\nrecords = 10\nkeys = 1\n",
    )
    .unwrap();
    let out = common::tokio_tax()
        .args(["--scenarios"])
        .arg(dir.path())
        .args(["compare", "--quick"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("recordz"),
        "{stderr}"
    );
}

#[test]
fn profiled_compare_writes_flamegraphs_and_a_diff_naming_tokio() {
    let out = tempfile::tempdir().unwrap();
    let status = common::tokio_tax()
        .args([
            "compare",
            "nexmark-q5",
            "--profile",
            "--reps",
            "2",
            "--warmup",
            "0",
            "--records",
            "20000",
        ])
        .args(["--no-ceiling", "--history-db", "none", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let dir = out.path().join("profiles/nexmark-q5");
    for mode in ["sync", "tokio", "tokio-native"] {
        let svg = std::fs::read_to_string(dir.join(format!("{mode}.svg"))).unwrap();
        assert!(
            svg.contains("<svg") && svg.matches("<title>").count() > 3,
            "{mode} flamegraph is empty"
        );
        assert!(
            std::fs::metadata(dir.join(format!("{mode}.pb")))
                .unwrap()
                .len()
                > 0
        );
    }
    let diff = std::fs::read_to_string(dir.join("diff-sync-vs-tokio.svg")).unwrap();
    assert!(
        diff.contains("tokio::runtime"),
        "the differential flamegraph shows no tokio runtime frame"
    );
    let results = Results::load(&out.path().join("results.json")).unwrap();
    assert!(results.config.profile);
    assert!(std::fs::read_to_string(out.path().join("report.md"))
        .unwrap()
        .to_lowercase()
        .contains("profiled"));
}

#[test]
fn open_loop_latency_run_completes() {
    let out = common::tokio_tax()
        .args([
            "run",
            "nexmark-q7",
            "--mode",
            "tokio",
            "--latency",
            "4000",
            "--records",
            "4000",
            "--sink",
            "discard",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("4000 records"));
}
