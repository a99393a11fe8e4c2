//! Run history in SQLite: every `compare` can be appended, so trends across
//! commits can be charted and the gate can pool several earlier runs instead
//! of trusting one baseline.
//!
//! Per-repetition measurements are stored in a narrow table for ad-hoc SQL;
//! the whole results.json is kept beside them so `last_runs` can return
//! exactly what was measured, including fields this table does not model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::report::results::{Repetition, Results};
use crate::stats::median;

mod trend;

pub use trend::{draw_trend_chart, trend_markdown};

/// `PRAGMA user_version` of the schema below; bump it with a migration.
const DB_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at   TEXT NOT NULL,
    git_commit   TEXT,
    tool         TEXT NOT NULL,
    kafka        TEXT NOT NULL,
    quick        INTEGER NOT NULL,
    config_json  TEXT NOT NULL,
    results_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS measurements (
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    scenario TEXT NOT NULL,
    mode     TEXT NOT NULL,
    metric   TEXT NOT NULL,
    rep      INTEGER NOT NULL,
    value    REAL,
    PRIMARY KEY (run_id, scenario, mode, metric, rep)
);
CREATE INDEX IF NOT EXISTS measurements_by_series ON measurements (scenario, mode, metric);
";

type MetricOf = fn(&Repetition) -> f64;

/// Metrics stored per repetition. SQLite stores a NaN as NULL, which the
/// trend treats as absent.
const METRICS: [(&str, MetricOf); 5] = [
    ("throughput_rps", |r| r.throughput_rps),
    ("latency_p50_us", |r| r.latency_us.p50),
    ("latency_p99_us", |r| r.latency_us.p99),
    ("bytes_per_record", |r| r.bytes_per_record),
    ("cpu_util", |r| r.cpu_util),
];

/// One scenario and mode of one run, as plotted on the trend chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub run_id: i64,
    pub created_at: String,
    pub git_commit: Option<String>,
    pub scenario: String,
    pub mode: String,
    /// Median over repetitions; NaN when none was recorded.
    pub median_throughput_rps: f64,
    /// Median over repetitions of the p99 latency; NaN when none was recorded.
    pub p99_us: f64,
}

/// An open history database.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl History {
    /// Opens the database at `path`, creating the file, its directory and the
    /// schema when absent. A database written by a newer tokio-tax is refused
    /// rather than misread.
    pub fn open(path: &Path) -> anyhow::Result<History> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("opening history database {}", path.display()))?;
        let history = History {
            conn,
            path: path.to_path_buf(),
        };
        history.init()?;
        Ok(history)
    }

    fn init(&self) -> anyhow::Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .with_context(|| self.at("reading the schema version"))?;
        if version > DB_VERSION {
            bail!(
                "history database {} has schema version {version}; this tokio-tax knows version {DB_VERSION}",
                self.path.display()
            );
        }
        self.conn
            .execute_batch(&format!(
                "PRAGMA foreign_keys = ON; {SCHEMA} PRAGMA user_version = {DB_VERSION};"
            ))
            .with_context(|| self.at("creating the schema"))
    }

    /// Context for an error: what failed, and in which database.
    fn at(&self, what: &str) -> String {
        format!("{what} in history database {}", self.path.display())
    }

    /// Stores one run and all its repetitions in a single transaction, so a
    /// crash never leaves a run without its measurements. Returns the run id.
    pub fn append(&mut self, results: &Results) -> anyhow::Result<i64> {
        let config_json = serde_json::to_string(&results.config)?;
        let results_json = serde_json::to_string(results)?;
        let what = format!("appending the run of {}", results.created_at);
        let ctx = self.at(&what);
        let tx = self.conn.transaction().with_context(|| ctx.clone())?;
        tx.execute(
            "INSERT INTO runs (created_at, git_commit, tool, kafka, quick, config_json, results_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                results.created_at,
                results.git_commit,
                results.tool,
                results.config.kafka,
                results.config.quick,
                config_json,
                results_json
            ],
        )
        .with_context(|| ctx.clone())?;
        let run_id = tx.last_insert_rowid();
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO measurements (run_id, scenario, mode, metric, rep, value)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .with_context(|| ctx.clone())?;
            for scenario in &results.scenarios {
                for (mode, result) in &scenario.modes {
                    for (rep_no, rep) in result.reps.iter().enumerate() {
                        for (metric, get) in METRICS {
                            let rep_no =
                                i64::try_from(rep_no).context("repetition index overflows i64")?;
                            insert
                                .execute(params![
                                    run_id,
                                    scenario.name,
                                    mode,
                                    metric,
                                    rep_no,
                                    get(rep)
                                ])
                                .with_context(|| ctx.clone())?;
                        }
                    }
                }
            }
        }
        tx.commit().with_context(|| ctx.clone())?;
        Ok(run_id)
    }

    /// The whole results of the last `n` runs in insertion order, oldest
    /// first, for `gate --history N`.
    pub fn last_runs(&self, n: usize) -> anyhow::Result<Vec<Results>> {
        self.last_runs_where(n, None)
    }

    /// Like [`History::last_runs`], but only runs on the same broker kind and
    /// `--quick` setting, since pooling those with others mixes distributions.
    pub fn last_runs_like(
        &self,
        n: usize,
        kafka: &str,
        quick: bool,
    ) -> anyhow::Result<Vec<Results>> {
        self.last_runs_where(n, Some((kafka, quick)))
    }

    fn last_runs_where(
        &self,
        n: usize,
        filter: Option<(&str, bool)>,
    ) -> anyhow::Result<Vec<Results>> {
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        let (kafka, quick) = filter.map_or((None, None), |(k, q)| (Some(k), Some(q)));
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, results_json FROM runs
                 WHERE (?1 IS NULL OR kafka = ?1) AND (?2 IS NULL OR quick = ?2)
                 ORDER BY id DESC LIMIT ?3",
            )
            .with_context(|| self.at("reading runs"))?;
        let rows = stmt
            .query_map(params![kafka, quick, limit], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .with_context(|| self.at("reading runs"))?;
        let mut runs = Vec::new();
        for row in rows {
            let (id, json) = row.with_context(|| self.at("reading runs"))?;
            let results: Results = serde_json::from_str(&json)
                .with_context(|| self.at(&format!("run {id} does not match the results schema")))?;
            runs.push(results);
        }
        runs.reverse();
        Ok(runs)
    }

    /// The run with id `run_id`, if stored.
    pub fn run(&self, run_id: i64) -> anyhow::Result<Option<Results>> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT results_json FROM runs WHERE id = ?1",
                [run_id],
                |row| row.get(0),
            )
            .optional()
            .with_context(|| self.at(&format!("reading run {run_id}")))?;
        json.map(|j| {
            serde_json::from_str(&j).with_context(|| {
                self.at(&format!("run {run_id} does not match the results schema"))
            })
        })
        .transpose()
    }

    /// Median throughput and p99 per run, scenario and mode, ordered by run
    /// then scenario and mode; only `scenario` when given.
    pub fn trend(&self, scenario: Option<&str>) -> anyhow::Result<Vec<TrendPoint>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.id, r.created_at, r.git_commit, m.scenario, m.mode, m.metric, m.value
                 FROM measurements m JOIN runs r ON r.id = m.run_id
                 WHERE m.metric IN ('throughput_rps', 'latency_p99_us') AND (?1 IS NULL OR m.scenario = ?1)
                 ORDER BY r.id, m.scenario, m.mode, m.rep",
            )
            .with_context(|| self.at("reading the trend"))?;
        let rows = stmt
            .query_map([scenario], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, Option<f64>>(6)?,
                ))
            })
            .with_context(|| self.at("reading the trend"))?;
        type Series = (String, Option<String>, Vec<f64>, Vec<f64>);
        let mut groups: BTreeMap<(i64, String, String), Series> = BTreeMap::new();
        for row in rows {
            let (run_id, created_at, git_commit, scen, mode, metric, value) =
                row.with_context(|| self.at("reading the trend"))?;
            let entry = groups
                .entry((run_id, scen, mode))
                .or_insert_with(|| (created_at, git_commit, Vec::new(), Vec::new()));
            let Some(v) = value else { continue };
            match metric.as_str() {
                "throughput_rps" => entry.2.push(v),
                _ => entry.3.push(v),
            }
        }
        Ok(groups
            .into_iter()
            .map(
                |((run_id, scenario, mode), (created_at, git_commit, rps, p99))| TrendPoint {
                    run_id,
                    created_at,
                    git_commit,
                    scenario,
                    mode,
                    median_throughput_rps: median(&rps),
                    p99_us: median(&p99),
                },
            )
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::fixtures::{around, results, scenario};

    fn run(created: &str, sync_rps: f64, kafka: &str) -> Results {
        let mut r = results(
            created,
            vec![
                scenario(
                    "q1",
                    &[("sync", &around(sync_rps, 5)), ("tokio", &around(900.0, 5))],
                ),
                scenario("q2", &[("sync", &around(500.0, 3))]),
            ],
        );
        r.config.kafka = kafka.into();
        r
    }

    fn temp_db() -> (tempfile::TempDir, History) {
        let dir = tempfile::tempdir().expect("tempdir");
        let history = History::open(&dir.path().join("nested/history.sqlite")).expect("opens");
        (dir, history)
    }

    #[test]
    fn append_and_read_back_whole_runs() {
        let (_dir, mut h) = temp_db();
        let runs = [
            run("2024-01-01T00:00:00Z", 1000.0, "memory"),
            run("2024-01-02T00:00:00Z", 1100.0, "embedded"),
        ];
        let ids: Vec<i64> = runs.iter().map(|r| h.append(r).expect("appends")).collect();
        // serde_json without `float_roundtrip` may move a float by one ulp, as
        // a results.json save and load would; compare with that.
        let runs = runs.map(|r| {
            serde_json::from_str::<Results>(&serde_json::to_string(&r).expect("json"))
                .expect("parses")
        });
        assert!(ids[0] < ids[1]);
        assert_eq!(h.last_runs(10).expect("reads"), runs.to_vec());
        assert_eq!(h.last_runs(1).expect("reads"), runs[1..].to_vec());
        assert_eq!(
            h.last_runs_like(10, "memory", false).expect("reads"),
            runs[..1].to_vec()
        );
        assert!(h
            .last_runs_like(10, "memory", true)
            .expect("reads")
            .is_empty());
        assert_eq!(h.run(ids[0]).expect("reads"), Some(runs[0].clone()));
        assert_eq!(h.run(9999).expect("reads"), None);
        let count: i64 = h
            .conn
            .query_row(
                "SELECT COUNT(*) FROM measurements WHERE run_id = ?1",
                [ids[0]],
                |r| r.get(0),
            )
            .expect("counts");
        assert_eq!(count, (5 + 5 + 3) * 5);
    }

    #[test]
    fn reopening_keeps_data_and_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.sqlite");
        History::open(&path)
            .expect("creates")
            .append(&run("a", 1000.0, "memory"))
            .expect("appends");
        let h = History::open(&path).expect("reopens");
        assert_eq!(h.last_runs(5).expect("reads").len(), 1);
        h.conn
            .execute_batch("PRAGMA user_version = 99")
            .expect("bump");
        drop(h);
        let err = History::open(&path).err().expect("refused").to_string();
        assert!(
            err.contains("schema version 99") && err.contains("h.sqlite"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("not-a-db.sqlite");
        std::fs::write(
            &path,
            "this is not sqlite, just text long enough to have a header",
        )
        .expect("write");
        let err = format!("{:#}", History::open(&path).err().expect("not a database"));
        assert!(err.contains("not-a-db.sqlite"), "{err}");
    }

    #[test]
    fn trend_medians_and_markdown() {
        let (_dir, mut h) = temp_db();
        h.append(&run("2024-01-01", 1000.0, "memory"))
            .expect("appends");
        h.append(&run("2024-01-02", 1100.0, "memory"))
            .expect("appends");
        let all = h.trend(None).expect("trend");
        assert_eq!(all.len(), 6);
        let q1: Vec<TrendPoint> = h.trend(Some("q1")).expect("trend");
        let sync: Vec<&TrendPoint> = q1.iter().filter(|p| p.mode == "sync").collect();
        assert_eq!(sync.len(), 2);
        assert!(
            (sync[0].median_throughput_rps - 1000.0).abs() < 1e-9,
            "{:?}",
            sync[0]
        );
        assert!(
            (sync[1].median_throughput_rps - 1100.0).abs() < 1e-9,
            "{:?}",
            sync[1]
        );
        assert_eq!(sync[0].p99_us, 302.0); // reps 0..5 have p99 300..304
        let md = trend_markdown(&q1);
        assert!(
            md.contains("| 2024-01-02 | 01234567 | q1 | sync | 1100 | +10.0% | 302 |"),
            "{md}"
        );
        assert!(h.trend(Some("nope")).expect("trend").is_empty());
    }

    #[test]
    fn nan_is_stored_as_null_and_left_out_of_medians() {
        let (_dir, mut h) = temp_db();
        let mut r = run("2024-01-01", 1000.0, "memory");
        let sync = r.scenarios[0].modes.get_mut("sync").expect("sync");
        sync.reps[0].throughput_rps = f64::NAN;
        h.append(&r).expect("appends");
        let nulls: i64 = h
            .conn
            .query_row(
                "SELECT COUNT(*) FROM measurements WHERE value IS NULL",
                [],
                |row| row.get(0),
            )
            .expect("counts");
        assert_eq!(nulls, 1);
        let points = h.trend(Some("q1")).expect("trend");
        // Reps 995, 1000, 1005, 1010 remain.
        assert_eq!(points[0].median_throughput_rps, 1002.5);
    }
}
