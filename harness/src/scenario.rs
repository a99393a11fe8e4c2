//! scenarios/*.toml -> Scenario. Unknown keys, bad values and SQL the engine
//! doesn't support are rejected before anything runs, naming the file and key.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use tokio_tax_engine::sql::parse_query;
use tokio_tax_engine::EngineConfig;

use crate::datagen::{self, SourceSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The query, over a stream named by FROM whose columns are the generator's.
    pub sql: String,
    pub source: SourceSpec,
    #[serde(default)]
    pub run: RunSettings,
}

/// How a scenario is run; every field has a documented default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunSettings {
    /// Records per read.
    pub batch_size: usize,
    /// Measured repetitions per mode.
    pub reps: usize,
    /// Unmeasured repetitions per mode before the measured ones.
    pub warmup: usize,
    /// Allowed out-of-orderness of the engine's watermark; defaults to the source's.
    pub max_out_of_order_ms: Option<u64>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            batch_size: 500,
            reps: 5,
            warmup: 1,
            max_out_of_order_ms: None,
        }
    }
}

impl Scenario {
    pub fn from_file(path: &Path) -> anyhow::Result<Scenario> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading scenario {}", path.display()))?;
        Self::parse(&text, path)
    }

    /// Parses and validates; `origin` names the file in every error.
    pub fn parse(text: &str, origin: &Path) -> anyhow::Result<Scenario> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "scenario {}: {}",
                origin.display(),
                e.to_string().trim_end()
            )
        })?;
        scenario
            .validate()
            .with_context(|| format!("scenario {}", origin.display()))?;
        Ok(scenario)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!(
                "key 'name': '{}' must be non-empty letters, digits, '-' or '_'",
                self.name
            );
        }
        self.source
            .validate()
            .map_err(|e| anyhow::anyhow!("key {e}"))?;
        if self.run.batch_size == 0 {
            bail!("key 'run.batch_size' must be at least 1");
        }
        if self.run.reps == 0 {
            bail!("key 'run.reps' must be at least 1");
        }
        parse_query(&self.sql, &self.schema()).map_err(|e| anyhow::anyhow!("key 'sql': {e}"))?;
        Ok(())
    }

    pub fn schema(&self) -> tokio_tax_engine::Schema {
        datagen::schema(self.source.generator)
    }

    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            partitions: self.source.partitions,
            max_out_of_order_ms: self
                .run
                .max_out_of_order_ms
                .unwrap_or(self.source.max_out_of_order_ms) as i64,
        }
    }

    /// The same scenario with another record count (`--records`).
    pub fn with_records(mut self, records: u64) -> Scenario {
        self.source.records = records;
        self
    }
}

/// Every scenario in `dir`, sorted by name; any invalid file fails the whole load.
pub fn load_dir(dir: &Path) -> anyhow::Result<Vec<Scenario>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading scenario directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut scenarios = Vec::new();
    for path in paths {
        let s = Scenario::from_file(&path)?;
        if let Some(other) = scenarios.iter().find(|o: &&Scenario| o.name == s.name) {
            bail!(
                "scenario {}: name '{}' is already used by another file ({})",
                path.display(),
                s.name,
                other.description
            );
        }
        scenarios.push(s);
    }
    if scenarios.is_empty() {
        bail!("no scenarios (*.toml) in {}", dir.display());
    }
    Ok(scenarios)
}

/// Picks scenarios by name; an unknown name is an error listing the known ones.
pub fn select(all: Vec<Scenario>, names: &[String]) -> anyhow::Result<Vec<Scenario>> {
    if names.is_empty() {
        return Ok(all);
    }
    let known: Vec<String> = all.iter().map(|s| s.name.clone()).collect();
    names
        .iter()
        .map(|n| {
            all.iter()
                .find(|s| &s.name == n)
                .cloned()
                .with_context(|| format!("unknown scenario '{n}'; known: {}", known.join(", ")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "q7"
description = "max price per 10 s"
sql = "SELECT MAX(price) AS m FROM bid GROUP BY TUMBLE(date_time, INTERVAL '10' SECOND)"
[source]
generator = "nexmark"
records = 1000
keys = 10
"#;

    fn err(text: &str) -> String {
        format!(
            "{:#}",
            Scenario::parse(text, Path::new("scenarios/x.toml")).unwrap_err()
        )
    }

    #[test]
    fn good_scenario_gets_defaults() {
        let s = Scenario::parse(GOOD, Path::new("x.toml")).unwrap();
        assert_eq!(s.run, RunSettings::default());
        assert_eq!(s.source.partitions, 4);
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let e = err(&GOOD.replace("keys = 10", "keys = 10\nkeyz = 3"));
        assert!(e.contains("scenarios/x.toml") && e.contains("keyz"), "{e}");
        let e = err(&GOOD.replace("records = 1000", "records = -5"));
        assert!(
            e.contains("scenarios/x.toml") && e.contains("records"),
            "{e}"
        );
        let e = err(&GOOD.replace("keys = 10", "keys = 0"));
        assert!(e.contains("keys"), "{e}");
        let e = err(&GOOD.replace("MAX(price)", "MEDIAN(price)"));
        assert!(e.contains("key 'sql'") && e.contains("MEDIAN"), "{e}");
        let e = err(&format!("{GOOD}\n[run]\nbatch_size = 0\n"));
        assert!(e.contains("run.batch_size"), "{e}");
        let e = err(&format!("{GOOD}\n[run]\nbatchsize = 5\n"));
        assert!(e.contains("batchsize"), "{e}");
    }

    #[test]
    fn shipped_scenarios_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let all = load_dir(&dir).unwrap();
        for name in [
            "nexmark-q0",
            "nexmark-q1",
            "nexmark-q2",
            "nexmark-q5",
            "nexmark-q7",
            "nexmark-q11",
            "fr081-tumbling",
            "fr081-sliding",
        ] {
            assert!(
                all.iter().any(|s| s.name == name),
                "missing scenario {name}"
            );
        }
        assert!(select(all, &["nope".into()])
            .unwrap_err()
            .to_string()
            .contains("known: "));
    }
}
