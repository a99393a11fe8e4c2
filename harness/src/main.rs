//! The `tokio-tax` command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tokio_tax::compare::{compare, CompareOptions};
use tokio_tax::datagen::generate;
use tokio_tax::kafka::{Broker, BrokerKind};
use tokio_tax::measure::alloc::CountingAllocator;
use tokio_tax::mode::Mode;
use tokio_tax::runner::{run_mode, RunOptions, Sink};
use tokio_tax::scenario::{load_dir, select, Scenario};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[derive(Parser)]
#[command(
    name = "tokio-tax",
    version,
    about = "Measures what the tokio runtime costs a streaming SQL pipeline over Kafka"
)]
struct Cli {
    /// Directory of scenario files.
    #[arg(long, global = true, default_value = "scenarios")]
    scenarios: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct BrokerArgs {
    /// embedded (librdkafka's mock, in process), tansu, external or testcontainers.
    #[arg(long, default_value = "embedded")]
    kafka: String,
    /// Bootstrap servers for --kafka external.
    #[arg(long)]
    bootstrap: Option<String>,
    /// Seconds any wait on the broker may take before it is an error.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

#[derive(Subcommand)]
enum Command {
    /// List the scenarios.
    List,
    /// Write exactly the records a run would produce, as JSON lines.
    Gen {
        scenario: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        records: Option<u64>,
    },
    /// Run one scenario once in one mode.
    Run {
        scenario: String,
        #[arg(long, default_value = "sync")]
        mode: Mode,
        /// kafka (an output topic), discard, or file:PATH (JSON lines).
        #[arg(long, default_value = "kafka")]
        sink: String,
        #[arg(long)]
        records: Option<u64>,
        /// Write a flamegraph and a pprof profile of the run into --out.
        #[arg(long)]
        profile: bool,
        #[arg(long, default_value = "reports/latest")]
        out: PathBuf,
        #[command(flatten)]
        broker: BrokerArgs,
    },
    /// Run scenarios in every mode and compare them (the main job).
    Compare {
        /// Scenario names; all when none are given.
        names: Vec<String>,
        #[arg(long, value_delimiter = ',', default_value = "sync,tokio,tokio-native")]
        modes: Vec<Mode>,
        #[arg(long)]
        reps: Option<usize>,
        #[arg(long)]
        warmup: Option<usize>,
        #[arg(long)]
        records: Option<u64>,
        /// A fast, less precise pass.
        #[arg(long)]
        quick: bool,
        /// Sample every measured run with pprof and write flamegraphs.
        #[arg(long)]
        profile: bool,
        /// Skip the raw-consume broker ceiling runs.
        #[arg(long)]
        no_ceiling: bool,
        /// Add a synthetic per-record cost sweep on the first scenario.
        #[arg(long)]
        sweep: bool,
        /// The sweep's costs in ns per record.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "0,1000,5000,10000,25000,55000,100000"
        )]
        sweep_costs: Vec<u64>,
        #[arg(long, default_value = "reports/latest")]
        out: PathBuf,
        #[command(flatten)]
        broker: BrokerArgs,
    },
    /// Keep an embedded broker up for other clients until Ctrl-C.
    Broker {
        #[arg(long)]
        port: Option<u16>,
    },
}

fn main() -> ExitCode {
    CountingAllocator::mark_installed();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,tokio_tax=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::List => {
            for s in load_dir(&cli.scenarios)? {
                println!("{:<16} {}", s.name, s.description);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen {
            scenario,
            out,
            records,
        } => {
            let s = one_scenario(&cli.scenarios, &scenario, records)?;
            write_generated(&s, &out)?;
            eprintln!(
                "wrote {} records of {} to {}",
                s.source.records,
                s.name,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            scenario,
            mode,
            sink,
            records,
            profile,
            out,
            broker,
        } => {
            let s = one_scenario(&cli.scenarios, &scenario, records)?;
            let timeout = Duration::from_secs(broker.timeout);
            let kind = BrokerKind::parse(&broker.kafka, broker.bootstrap.as_deref())?;
            let broker = Broker::start(kind, timeout)?;
            let opts = RunOptions {
                timeout,
                profile,
                synthetic_cost_ns: 0,
                sink: Sink::parse(&sink)?,
            };
            let m = run_mode(&s, mode, &broker, &opts)?;
            if let Some(p) = &m.profile {
                std::fs::create_dir_all(&out)?;
                let svg = out.join(format!("{}-{mode}.svg", s.name));
                tokio_tax::profile::write_flamegraph(p, &format!("{} — {mode}", s.name), &svg)?;
                std::fs::write(out.join(format!("{}-{mode}.pb", s.name)), &p.pprof)?;
                eprintln!("profile: {} ({} samples)", svg.display(), p.samples());
            }
            println!(
                "{} {mode}: {} records in {:.3} s = {:.0} records/s; emitted {}, rejected {}, late {}; p99 {:.0} µs; digest {}",
                s.name,
                m.stats.records_read,
                m.wall.as_secs_f64(),
                m.throughput_rps(),
                m.stats.emitted,
                m.stats.rejected,
                m.stats.late,
                m.latency.p99,
                m.stats.digest
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare {
            names,
            modes,
            reps,
            warmup,
            records,
            quick,
            profile,
            no_ceiling,
            sweep,
            sweep_costs,
            out,
            broker,
        } => {
            let scenarios = select(load_dir(&cli.scenarios)?, &names)?;
            if modes.is_empty() {
                bail!("--modes needs at least one mode");
            }
            let timeout = Duration::from_secs(broker.timeout);
            let kind = BrokerKind::parse(&broker.kafka, broker.bootstrap.as_deref())?;
            let kafka = kind.name().to_string();
            let mut broker = Broker::start(kind, timeout)?;
            let opts = CompareOptions {
                modes,
                reps,
                warmup,
                records,
                quick,
                ceiling: !no_ceiling,
                sweep: sweep.then_some(sweep_costs),
                run: RunOptions {
                    timeout,
                    profile,
                    synthetic_cost_ns: 0,
                    sink: Sink::Kafka,
                },
                kafka,
                command_line: std::env::args().collect::<Vec<_>>().join(" "),
                out: out.clone(),
            };
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let results = compare(&scenarios, &mut broker, &opts)?;
            let path = out.join("results.json");
            results.save(&path)?;
            for s in &results.scenarios {
                let verdict = s
                    .comparison
                    .as_ref()
                    .map_or("no sync/tokio comparison", |c| c.verdict.text.as_str());
                println!("{:<16} {verdict}", s.name);
                if let Some(e) = &s.error {
                    println!("{:<16} ERROR: {e}", "");
                }
            }
            println!("results: {}", path.display());
            Ok(if results.complete {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Broker { port } => serve_broker(port),
    }
}

fn one_scenario(dir: &Path, name: &str, records: Option<u64>) -> anyhow::Result<Scenario> {
    let s = select(load_dir(dir)?, &[name.to_string()])?.remove(0);
    Ok(match records {
        Some(n) => s.with_records(n),
        None => s,
    })
}

fn write_generated(s: &Scenario, out: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    for r in generate(&s.source) {
        w.write_all(&r.payload)?;
        w.write_all(b"\n")?;
    }
    w.flush()
        .with_context(|| format!("writing {}", out.display()))
}

fn serve_broker(port: Option<u16>) -> anyhow::Result<ExitCode> {
    if port.is_some() {
        // librdkafka picks the mock's listening port itself.
        tracing::warn!(
            "--port is not supported by the embedded broker; it listens where librdkafka chooses"
        );
    }
    let broker = Broker::start(BrokerKind::Embedded, Duration::from_secs(30))?;
    println!("bootstrap={}", broker.bootstrap);
    println!("embedded broker running; Ctrl-C to stop");
    std::io::stdout().flush()?;
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
