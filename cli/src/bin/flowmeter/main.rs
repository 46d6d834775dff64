//! The `flowmeter` command line.
//!
//! ```text
//! flowmeter rules --out DIR [--namespace NS | --catalog URL|FILE] [--objectives FILE] [--target HOST:PORT] [--check] [--prune] [ALERT SETTINGS]
//! flowmeter check --rules FILE|DIR... [--dashboards FILE|DIR...] --metrics URL|FILE|- [--ignore-label L]...
//! flowmeter demo [--listen ADDR] [--namespace NS] [--once]
//! ```
//!
//! Exit status: 0 on success; 1 when `check` finds a problem or `rules --check` finds the
//! directory out of date; 2 for a usage error or an input that cannot be read.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use flowmeter::telemetry::{DEFAULT_LISTEN, DEFAULT_NAMESPACE};
use flowmeter_cli::check::{self, Checker, Drift, Exposition, Source, SourceKind};
use flowmeter_cli::{GenerateConfig, ServiceCatalog, generate, parse_objectives};

use alert_args::AlertArgs;
use flowmeter_naming::validate_identifier;

/// Prometheus rules, alerts and Grafana dashboards for flowmeter's metrics: generate them,
/// check them against a real scrape, or run a demo workflow to try them on.
#[derive(Debug, Parser)]
#[command(name = "flowmeter", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  flowmeter rules --out observability --objectives observability/objectives.toml
  flowmeter rules --out my-service --catalog http://127.0.0.1:9464/catalog
  flowmeter rules --out my-service --scrape-job checkout --budget-remaining-share 0.1
  flowmeter demo    # serves http://127.0.0.1:9464/metrics
  flowmeter check --rules observability/rules --dashboards observability/dashboards \\
      --metrics http://127.0.0.1:9464/metrics

Exit status: 0 on success, 1 for problems found (check, rules --check), 2 for errors.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Write prometheus.yml, rules/ and dashboards/ for a namespace (generated from the metric
    /// catalog).
    Rules(Box<RulesArgs>),
    /// Report every metric and label that rules or dashboards query but a scrape lacks.
    Check(CheckArgs),
    /// Run a small instrumented workflow in a loop, serving /metrics.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
struct RulesArgs {
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Metric namespace: the prefix of flowmeter's metric names.
    #[arg(long, default_value = DEFAULT_NAMESPACE)]
    namespace: String,
    /// A running service's catalog (`http://HOST:PORT/catalog`, a saved copy, or `-`): its
    /// namespace, the objectives declared in its code and its `flowmeter::app` metrics (a
    /// dashboard of their own) are used.
    #[arg(long, value_name = "URL_OR_FILE", conflicts_with = "namespace")]
    catalog: Option<String>,
    /// Objectives (TOML, `[[objective]]` entries) for SLO rules and burn-rate alerts.
    #[arg(long, value_name = "FILE")]
    objectives: Option<PathBuf>,
    /// The scrape target written into prometheus.yml.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_LISTEN)]
    target: String,
    /// Write nothing; exit 1 if DIR differs from what would be written.
    #[arg(long)]
    check: bool,
    /// Also delete files under DIR/rules and DIR/dashboards that are no longer generated.
    #[arg(long, conflicts_with = "check")]
    prune: bool,
    #[command(flatten)]
    alerts: AlertArgs,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Prometheus rule files (YAML), or directories of *.yml / *.yaml.
    #[arg(long, value_name = "FILE", num_args = 1.., required_unless_present = "dashboards")]
    rules: Vec<PathBuf>,
    /// Grafana dashboards (JSON), or directories of *.json.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    dashboards: Vec<PathBuf>,
    /// The exposition: an http:// URL to scrape, a file, or `-` for standard input.
    #[arg(long, value_name = "URL_OR_FILE")]
    metrics: String,
    /// A label added after the scrape (relabeling, external labels): never reported.
    #[arg(long = "ignore-label", value_name = "LABEL")]
    ignore_labels: Vec<String>,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Where to serve /metrics; port 0 picks a free loopback port (printed).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_LISTEN)]
    listen: String,
    /// Metric namespace.
    #[arg(long, default_value = DEFAULT_NAMESPACE)]
    namespace: String,
    /// Run one batch, print the exposition and exit (serves nothing).
    #[arg(long)]
    once: bool,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Rules(args) => rules(*args),
        Command::Check(args) => run_check(args),
        Command::Demo(args) => demo::run(args),
    };
    result.unwrap_or_else(|error| {
        eprintln!("error: {error}");
        ExitCode::from(2)
    })
}

fn rules(args: RulesArgs) -> Result<ExitCode, String> {
    validate_identifier(&args.namespace).map_err(|e| format!("--namespace: {e}"))?;
    validate_target(&args.target)?;
    let alerts = args.alerts.settings()?;
    let objectives = match &args.objectives {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            parse_objectives(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    let config = match &args.catalog {
        Some(source) => {
            let catalog = ServiceCatalog::read(source).map_err(|e| e.to_string())?;
            if catalog.flowmeter_version.as_deref() != Some(env!("CARGO_PKG_VERSION")) {
                eprintln!(
                    "note: {source} is served by flowmeter {}, this generator is {}",
                    catalog.flowmeter_version.as_deref().unwrap_or("(unknown)"),
                    env!("CARGO_PKG_VERSION")
                );
            }
            GenerateConfig { alerts, ..catalog.generate_config(objectives, args.target) }
        }
        None => GenerateConfig {
            namespace: args.namespace,
            objectives,
            scrape_target: args.target,
            alerts,
            ..GenerateConfig::default()
        },
    };
    let files = generate(&config);
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    if args.check {
        let drift = check::drift(&args.out, &files).map_err(|e| io(&args.out, e))?;
        if drift.is_empty() {
            println!("{} is up to date ({} files)", args.out.display(), files.len());
            return Ok(ExitCode::SUCCESS);
        }
        for d in &drift {
            println!("{}/{d}", args.out.display());
        }
        eprintln!(
            "{} is out of date: run without --check (and with --prune for stale files)",
            args.out.display()
        );
        return Ok(ExitCode::from(1));
    }
    for file in &files {
        let path = args.out.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        // Unchanged files are left alone (their modification time too).
        if std::fs::read(&path).ok().as_deref() != Some(file.contents.as_bytes()) {
            std::fs::write(&path, &file.contents).map_err(|e| io(&path, e))?;
        }
        println!("{}", path.display());
    }
    for d in check::drift(&args.out, &files).map_err(|e| io(&args.out, e))? {
        if let Drift::Extra(relative) = d {
            let path = args.out.join(relative);
            if args.prune {
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
                println!("removed {}", path.display());
            } else {
                eprintln!("note: {} is not generated (stale?); --prune deletes it", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `HOST:PORT` with a port from 1 to 65535 and a host safe to write into YAML.
fn validate_target(target: &str) -> Result<(), String> {
    let bad = || format!("--target: `{target}` is not HOST:PORT");
    let (host, port) = target.rsplit_once(':').ok_or_else(bad)?;
    let host_ok =
        !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-_[]:".contains(c));
    match port.parse::<u16>() {
        Ok(p) if p > 0 && host_ok => Ok(()),
        _ => Err(bad()),
    }
}

fn run_check(args: CheckArgs) -> Result<ExitCode, String> {
    let mut sources = Vec::new();
    for (paths, kind, extensions) in [
        (&args.rules, SourceKind::Rules, &["yml", "yaml"][..]),
        (&args.dashboards, SourceKind::Dashboard, &["json"][..]),
    ] {
        for path in expand(paths, extensions)? {
            let source = Source::read(kind, &path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            sources.push(source);
        }
    }
    let text = check::read_exposition(&args.metrics).map_err(|e| e.to_string())?;
    let exposition = Exposition::parse(&text).map_err(|e| format!("{}: {e}", args.metrics))?;
    if exposition.is_empty() {
        return Err(format!("{}: the exposition has no samples", args.metrics));
    }
    let checker =
        args.ignore_labels.iter().fold(Checker::new(&exposition), |c, l| c.ignore_label(l));
    let report = checker.check(&sources);
    let summary = format!(
        "{} files, {} expressions, {} selectors checked against {}",
        report.files, report.expressions, report.selectors, args.metrics
    );
    if report.is_clean() {
        println!("ok: {summary}");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{report}");
    let _ = std::io::stdout().flush();
    eprintln!("{} problem(s): {summary}", report.problems.len());
    Ok(ExitCode::from(1))
}

/// Files as given; directories replaced by their files with one of `extensions`, sorted.
fn expand(paths: &[PathBuf], extensions: &[&str]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let entries =
            std::fs::read_dir(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|entry| Some(entry.ok()?.path()))
            .filter(|p| p.is_file())
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| extensions.contains(&e))
            })
            .collect();
        if found.is_empty() {
            eprintln!("note: no *.{} file in {}", extensions.join(" / *."), path.display());
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

mod alert_args;
mod demo;
