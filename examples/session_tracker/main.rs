//! Parity with the session metrics of reference systems 001/002 (Session-Buddy): session
//! lifecycle counters, a session duration histogram (buckets 60 s .. 8 h), MCP event emission
//! counters with `error_type` and an emission duration histogram (1 ms .. 10 s), and the
//! `active_sessions` and `session_quality_score` gauges, recorded by a [`SessionTracker`]
//! through `flowmeter::app`, with the reference's names, types, labels and HELP texts.
//!
//! The three operations of the reference exist three ways:
//!
//! | operation | library call | HTTP | MCP tool (`--mcp`) |
//! |---|---|---|---|
//! | exposition | `telemetry.render()` | the metrics path (`/metrics`) | `get_prometheus_metrics` |
//! | metric list | `flowmeter::exporter::metadata` | `/metadata`; grouped: `/sessions/metrics` | `list_session_metrics` (grouped) |
//! | summary | `flowmeter::exporter::summary` | `/summary`; reference shape: `/sessions/summary` | `get_metrics_summary` (reference shape) |
//!
//! Configuration, builder > `FLOWMETER_*` environment > TOML file (`--config FILE` or
//! `FLOWMETER_CONFIG`), mapped from the reference's settings:
//!
//! | reference setting | flowmeter key | environment |
//! |---|---|---|
//! | `enable_prometheus_metrics` | `enabled` | `FLOWMETER_ENABLED` |
//! | `prometheus_metrics_port` | `listen = "127.0.0.1:PORT"` (or `--port PORT`, which wins) | `FLOWMETER_LISTEN` |
//! | `prometheus_metrics_path` | `metrics_path` | `FLOWMETER_METRICS_PATH` |
//!
//! The example serves HTTP itself (flowmeter's routes plus its own two), so `serve` /
//! `FLOWMETER_SERVE` do not apply. With metrics disabled the fixed workload runs, records
//! nothing, nothing listens, and the program exits 0 (the reference's graceful
//! degradation). With `--mcp` nothing listens either: stdout carries JSON-RPC only.
//!
//! Every metric is built at startup ([`metrics::declare_all`]), so `/metadata` and
//! `list_session_metrics` list all eight before the first event. Then the workload
//! (`--workload`):
//!
//! | workload | records | for |
//! |---|---|---|
//! | `steady` (default) | the ten fixed events, then, while serving, a round of [`steady`] sessions every `--interval-ms` (default 500) | Prometheus, the dashboard and `queries.yml`: rates, p95 and ratios have data |
//! | `fixed` | the ten events of [`workload`], then frozen values | the exact-value tests |
//! | `none` | nothing | what a client sees before the first session |
//!
//! `grafana-dashboard.json` and `queries.yml` next to this file are the reference's own
//! dashboard and PromQL queries, as its documents write them.
//!
//! ```text
//! cargo run --example session_tracker                          # serves until Ctrl-C
//! cargo run --example session_tracker -- --interval-ms 100     # a steady round every 100 ms
//! cargo run --example session_tracker -- --port 0              # a port the OS picks
//! cargo run --example session_tracker -- --once                # prints the exposition
//! cargo run --example session_tracker -- --config session.toml
//! cargo run --example session_tracker --features mcp -- --mcp  # MCP tools over stdio
//! ```

mod args;
mod http;
#[cfg(feature = "mcp")]
mod mcp_server;
mod metrics;
mod reference;
mod steady;
mod tracker;
mod workload;

use std::process::ExitCode;

use flowmeter::Telemetry;

use crate::args::{Args, Workload};
use crate::tracker::SessionTracker;
use crate::workload::ScriptedPeer;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("session_tracker: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = args::parse(std::env::args().skip(1))?;
    let mut builder = Telemetry::builder()
        .service_name("session-buddy")
        .service_version(env!("CARGO_PKG_VERSION"))
        .serve(false);
    if let Some(path) = &args.config {
        builder = builder.config_file(path);
    }
    if let Some(port) = args.port {
        if port == 0 {
            // The configuration refuses port 0 unless asked for an OS-picked port.
            builder = builder.ephemeral_port();
        }
        builder = builder.listen(format!("127.0.0.1:{port}"));
    }
    let telemetry = builder.install()?;
    metrics::declare_all();

    let tracker = SessionTracker::new(ScriptedPeer::workload());
    let events = match args.workload {
        Workload::None => 0,
        Workload::Fixed | Workload::Steady => workload::run(&tracker)?,
    };
    let enabled = telemetry.config().enabled;

    if args.mcp {
        start_steady(&args, enabled)?;
        return serve_mcp().await;
    }
    if !enabled {
        println!(
            "metrics disabled: handled {events} session events ({} sessions active); \
             nothing recorded, nothing served",
            tracker.active()
        );
        return Ok(());
    }
    if args.once {
        print!("{}", telemetry.render());
        return Ok(());
    }
    start_steady(&args, enabled)?;
    http::serve(telemetry.pipeline(), telemetry.config()).await?;
    Ok(())
}

/// Starts the steady workload if it was asked for and anything is recorded.
fn start_steady(args: &Args, enabled: bool) -> std::io::Result<()> {
    if args.workload == Workload::Steady && enabled {
        steady::spawn(args.interval)?;
    }
    Ok(())
}

#[cfg(feature = "mcp")]
async fn serve_mcp() -> Result<(), Box<dyn std::error::Error>> {
    eprintln!("session_tracker: serving the metrics tools over stdio until stdin closes");
    mcp_server::serve().await?;
    Ok(())
}

#[cfg(not(feature = "mcp"))]
async fn serve_mcp() -> Result<(), Box<dyn std::error::Error>> {
    Err("built without the `mcp` feature; run \
         `cargo run --example session_tracker --features mcp -- --mcp`"
        .into())
}
