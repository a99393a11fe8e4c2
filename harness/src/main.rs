//! The `tokio-tax` command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tokio_tax::compare::{compare, CompareOptions};
use tokio_tax::components::{component_table_markdown, read_criterion_estimates};
use tokio_tax::datagen::generate;
use tokio_tax::gate::iai::{
    collect_instruction_counts, gate_instructions, write_baseline, IaiBaseline,
};
use tokio_tax::gate::{compare_history, compare_results, parse_percent, write_step_summary};
use tokio_tax::history::{draw_trend_chart, trend_markdown, History};
use tokio_tax::kafka::{topic_service, Broker, BrokerKind};
use tokio_tax::measure::alloc::CountingAllocator;
use tokio_tax::mode::Mode;
use tokio_tax::report;
use tokio_tax::report::bmf::to_bmf;
use tokio_tax::report::results::{BuildCost, Results};
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
    /// With --kafka external against `tokio-tax broker`: the topic service it prints.
    #[arg(long)]
    topic_service: Option<String>,
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
        /// Produce open loop at this many records/s and report end-to-end latency.
        #[arg(long, value_name = "RATE")]
        latency: Option<u64>,
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
        /// Produce open loop at this many records/s; latency is then end to end
        /// from each record's due time (no coordinated omission).
        #[arg(long, value_name = "RATE")]
        latency: Option<u64>,
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
        /// Extra output: `bmf` also writes Bencher Metric Format JSON (bmf.json).
        #[arg(long)]
        format: Option<String>,
        /// The run history every compare is appended to ("none" to skip).
        #[arg(long, default_value = "reports/history.sqlite")]
        history_db: PathBuf,
        /// Build cost measured by scripts/build-cost.sh, included when present.
        #[arg(long, default_value = "reports/build-cost.json")]
        build_cost: PathBuf,
        #[command(flatten)]
        broker: BrokerArgs,
    },
    /// Render report.md, report.html and charts again from DIR/results.json.
    Report {
        dir: PathBuf,
        /// Also set criterion's runtime-component estimates (target/criterion) beside FR-081-07's claims.
        #[arg(long)]
        components: Option<PathBuf>,
        /// Also write Bencher Metric Format JSON here.
        #[arg(long)]
        bmf: Option<PathBuf>,
    },
    /// Fail (exit 1) on a significant throughput regression; exit 2 on missing data.
    Gate {
        #[arg(long, required_unless_present_any = ["history", "iai"])]
        baseline: Option<PathBuf>,
        #[arg(long, default_value = "reports/latest/results.json")]
        current: PathBuf,
        /// Largest slowdown tolerated, e.g. 5%.
        #[arg(long, default_value = "5%", value_parser = parse_percent)]
        max_regression: f64,
        /// Compare against the last N runs in the history database instead of --baseline.
        #[arg(long)]
        history: Option<usize>,
        #[arg(long, default_value = "reports/history.sqlite")]
        db: PathBuf,
        /// Gate iai-callgrind instruction counts found under this directory (target/iai).
        #[arg(long)]
        iai: Option<PathBuf>,
        #[arg(long, default_value = "reports/baseline/iai.json")]
        iai_baseline: PathBuf,
        /// Write the current instruction counts as the new baseline instead of gating.
        #[arg(long)]
        update_iai_baseline: bool,
    },
    /// Print the throughput trend from the history database, and draw it.
    History {
        scenario: Option<String>,
        #[arg(long, default_value = "reports/history.sqlite")]
        db: PathBuf,
        #[arg(long, default_value = "reports/history.svg")]
        svg: PathBuf,
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
            latency,
            out,
            broker,
        } => {
            let s = one_scenario(&cli.scenarios, &scenario, records)?;
            let timeout = Duration::from_secs(broker.timeout);
            let kind = BrokerKind::parse(
                &broker.kafka,
                broker.bootstrap.as_deref(),
                broker.topic_service.as_deref(),
            )?;
            let broker = Broker::start(kind, timeout)?;
            let opts = RunOptions {
                timeout,
                profile,
                latency_rate: latency,
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
            latency,
            no_ceiling,
            sweep,
            sweep_costs,
            out,
            format,
            history_db,
            build_cost,
            broker,
        } => {
            if format.as_deref().is_some_and(|f| f != "bmf") {
                bail!("--format takes bmf");
            }
            let scenarios = select(load_dir(&cli.scenarios)?, &names)?;
            if modes.is_empty() {
                bail!("--modes needs at least one mode");
            }
            let timeout = Duration::from_secs(broker.timeout);
            let kind = BrokerKind::parse(
                &broker.kafka,
                broker.bootstrap.as_deref(),
                broker.topic_service.as_deref(),
            )?;
            let kafka = kind.name().to_string();
            let mut broker = Broker::start(kind, timeout)?;
            let opts = CompareOptions {
                modes,
                reps,
                warmup,
                records,
                quick,
                // The ceiling is a closed-loop drain; it means nothing beside an open-loop run.
                ceiling: !no_ceiling && latency.is_none(),
                sweep: sweep.then_some(sweep_costs),
                run: RunOptions {
                    timeout,
                    profile,
                    latency_rate: latency,
                    synthetic_cost_ns: 0,
                    sink: Sink::Kafka,
                },
                kafka,
                command_line: std::env::args().collect::<Vec<_>>().join(" "),
                out: out.clone(),
            };
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let mut results = compare(&scenarios, &mut broker, &opts)?;
            results.build_cost = read_build_cost(&build_cost)?;
            let path = out.join("results.json");
            results.save(&path)?;
            for written in report::render_all(&results, &out)? {
                tracing::debug!(path = %written.display(), "wrote");
            }
            if format.is_some() {
                write_bmf(&results, &out.join("bmf.json"))?;
            }
            if history_db.as_os_str() != "none" {
                let id = History::open(&history_db)?.append(&results)?;
                eprintln!("history: run {id} appended to {}", history_db.display());
            }
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
            println!(
                "results: {}  report: {}",
                path.display(),
                out.join("report.md").display()
            );
            Ok(if results.complete {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Report {
            dir,
            components,
            bmf,
        } => {
            let results = Results::load(&dir.join("results.json"))?;
            for written in report::render_all(&results, &dir)? {
                println!("{}", written.display());
            }
            if let Some(criterion) = components {
                let table = component_table_markdown(&read_criterion_estimates(&criterion)?);
                let path = dir.join("components.md");
                std::fs::write(&path, &table)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("{table}");
            }
            if let Some(path) = bmf {
                write_bmf(&results, &path)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Gate {
            baseline,
            current,
            max_regression,
            history,
            db,
            iai,
            iai_baseline,
            update_iai_baseline,
        } => {
            let outcome = if let Some(dir) = iai {
                let counts = collect_instruction_counts(&dir)?;
                if update_iai_baseline {
                    write_baseline(&counts, &iai_baseline, 2.0)?;
                    println!(
                        "wrote {} instruction counts to {}",
                        counts.len(),
                        iai_baseline.display()
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                let o = gate_instructions(&IaiBaseline::load(&iai_baseline)?, &counts)?;
                (o.markdown, o.exit_code)
            } else {
                let current = Results::load(&current)?;
                let o = match (history, baseline) {
                    (Some(n), _) => {
                        let runs = History::open(&db)?.last_runs_like(
                            n,
                            &current.config.kafka,
                            current.config.quick,
                        )?;
                        compare_history(&runs, &current, max_regression)?
                    }
                    (None, Some(b)) => {
                        compare_results(&Results::load(&b)?, &current, max_regression)?
                    }
                    (None, None) => bail!("give --baseline FILE, --history N or --iai DIR"),
                };
                (o.markdown, o.exit_code)
            };
            println!("{}", outcome.0);
            write_step_summary(&outcome.0)?;
            Ok(ExitCode::from(outcome.1.clamp(0, 255) as u8))
        }
        Command::History { scenario, db, svg } => {
            let points = History::open(&db)?.trend(scenario.as_deref())?;
            println!("{}", trend_markdown(&points));
            if !points.is_empty() {
                draw_trend_chart(&points, &svg)?;
                println!("chart: {}", svg.display());
            }
            Ok(ExitCode::SUCCESS)
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

fn read_build_cost(path: &Path) -> anyhow::Result<Option<BuildCost>> {
    if !path.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .map(Some)
        .with_context(|| format!("{} is not a build-cost file", path.display()))
}

fn write_bmf(results: &Results, path: &Path) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(&to_bmf(results))?;
    std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
}

fn serve_broker(port: Option<u16>) -> anyhow::Result<ExitCode> {
    let broker = Broker::start(BrokerKind::Embedded, Duration::from_secs(30))?;
    let bootstrap = match port {
        // The mock picks its own port; a forwarder gives the one asked for.
        Some(port) => {
            let target = broker
                .bootstrap
                .split(',')
                .next()
                .and_then(|a| a.parse().ok())
                .with_context(|| {
                    format!("unexpected mock bootstrap address {}", broker.bootstrap)
                })?;
            tokio_tax::kafka::forward::forward(port, target)?.to_string()
        }
        None => broker.bootstrap.clone(),
    };
    let service =
        std::net::TcpListener::bind("127.0.0.1:0").context("opening the topic service")?;
    println!("bootstrap={bootstrap}");
    println!("topic_service={}", service.local_addr()?);
    println!(
        "embedded broker running; another tokio-tax uses it with --kafka external --bootstrap {bootstrap} \
         --topic-service {} (the mock has no CreateTopics); Ctrl-C to stop",
        service.local_addr()?
    );
    std::io::stdout().flush()?;
    // The mock's handle stays on this thread; topic requests are served here until Ctrl-C.
    topic_service::serve(service, |name, partitions| {
        broker.create_topic(name, partitions)
    });
    Ok(ExitCode::SUCCESS)
}
