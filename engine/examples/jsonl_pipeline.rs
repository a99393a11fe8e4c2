//! A whole pipeline in one small binary: JSON lines in, SQL, JSON lines out.
//! Built with and without the `tokio` feature by scripts/build-cost.sh, so the
//! binary size and build time tokio adds can be measured.
//!
//! Usage: jsonl_pipeline SCHEMA_JSON SQL IN.jsonl OUT.jsonl
//! where SCHEMA_JSON is e.g. '{"columns":[{"name":"k","type":"int"},{"name":"ts","type":"timestamp"}]}'.

use std::process::ExitCode;

use tokio_tax_engine::io::jsonl::{JsonlReader, JsonlWriter};
use tokio_tax_engine::job::JobConfig;
use tokio_tax_engine::{Engine, EngineConfig, Schema};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, schema, sql, input, output] = args.as_slice() else {
        eprintln!("usage: jsonl_pipeline SCHEMA_JSON SQL IN.jsonl OUT.jsonl");
        return ExitCode::from(2);
    };
    match run(schema, sql, input, output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    schema: &str,
    sql: &str,
    input: &str,
    output: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let schema: Schema = serde_json::from_str(schema)?;
    let engine = Engine::from_sql(
        sql,
        &schema,
        EngineConfig {
            partitions: 0,
            max_out_of_order_ms: 0,
        },
    )?;
    let reader = JsonlReader::open(input, schema, 1_000)?;
    let writer = JsonlWriter::create(output, engine.output_schema().clone())?;
    let stats = process(reader, writer, engine, JobConfig::default())?;
    eprintln!(
        "{} records read, {} rows written, {} rejected",
        stats.records_read, stats.emitted, stats.rejected
    );
    Ok(())
}

#[cfg(not(feature = "tokio"))]
fn process(
    mut reader: JsonlReader,
    mut writer: JsonlWriter,
    mut engine: Engine,
    config: JobConfig,
) -> Result<tokio_tax_engine::job::JobStats, Box<dyn std::error::Error>> {
    let processor = tokio_tax_engine::job::SyncJobProcessor::new(config);
    Ok(processor.process_job(&mut reader, &mut writer, &mut engine, &mut ())?)
}

#[cfg(feature = "tokio")]
fn process(
    reader: JsonlReader,
    writer: JsonlWriter,
    engine: Engine,
    config: JobConfig,
) -> Result<tokio_tax_engine::job::JobStats, Box<dyn std::error::Error>> {
    let processor = tokio_tax_engine::job::TokioJobProcessor::new(config)?;
    Ok(processor
        .process_job(Box::new(reader), Box::new(writer), engine, ())?
        .0)
}
