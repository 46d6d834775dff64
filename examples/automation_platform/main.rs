//! Parity with the reference automation platform (reference file 003): one collector per
//! component, timers as guards, process and system metrics, and the exposition mounted into
//! the platform's own axum app, served on loopback port 9090 by default.
//!
//! | component | counters | gauges | histograms (seconds) |
//! |---|---|---|---|
//! | file watcher (`file_watcher.rs`) | `test_watcher_files_processed_total`, `test_watcher_tests_run_total{status}`, `test_watcher_api_calls_total{api,status}`, `test_watcher_errors_total{error_type}` | `test_watcher_changed_files_current`, `test_watcher_memory_usage_bytes`, `test_watcher_is_running` | `test_watcher_processing_duration_seconds`, `test_watcher_debounce_duration_seconds`, `test_watcher_test_execution_duration_seconds` |
//! | audit agent (`audit_agent.rs`) | `audit_agent_runs_total{trigger}`, `audit_agent_completion_markers_found_total`, `audit_agent_git_commits_detected_total`, `audit_agent_errors_total{error_type}` | `audit_agent_coverage_percent`, `audit_agent_last_run_timestamp_seconds`, `audit_agent_active_tasks` | `audit_agent_run_duration_seconds`, `audit_agent_analysis_duration_seconds` |
//! | API client (`api_client.rs`) | `api_deepseek_calls_total{status}`, `api_perplexity_calls_total{status}`, `api_rate_limits_total{api}`, `api_errors_total{api,error_type}`, `api_tokens_used_total{api,token_type}` | `api_deepseek_response_time_seconds`, `api_perplexity_response_time_seconds` | `api_request_duration_seconds{api}` |
//! | process, host (flowmeter's `system` feature) | `process_cpu_seconds_total` | `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`, `process_threads`, `process_start_time_seconds`, `system_cpu_percent`, `system_memory_percent`, `system_disk_percent` | |
//!
//! Differences from the reference, on purpose:
//! - The reference's `SystemCollector` becomes two builder options (`process_metrics`,
//!   `system_metrics`): the values are measured at each scrape instead of when a demo loop
//!   calls `collect_all()`. The process metrics keep the standard names every Prometheus
//!   client library exports (`process_open_fds`, `process_threads`) rather than the
//!   reference's `process_open_file_descriptors` and `process_threads_count`, so stock
//!   dashboards and alerts work.
//! - The reference's fourth component, SafeAsyncBridge, has metrics but no collector there
//!   and no part in its demo; it is left out here too.
//! - The server binds `127.0.0.1`, not `0.0.0.0`: put a reverse proxy or an explicit
//!   address in front to expose it.
//!
//! ```text
//! cargo run --example automation_platform --features axum,system
//!     # runs the workload, then serves http://127.0.0.1:9090/ until Ctrl-C:
//!     # /, /status, /metrics, /catalog, /metadata, /summary, /health
//! cargo run --example automation_platform --features axum,system -- --port 0 --metrics-path /internal/metrics
//! cargo run --example automation_platform --features axum,system -- --once   # prints the exposition
//! ```

mod api_client;
mod audit_agent;
mod file_watcher;
mod web;
mod workload;

use std::error::Error;

use flowmeter::Telemetry;

const USAGE: &str = "usage: automation_platform [--port PORT] [--metrics-path PATH] [--once]
  --port PORT          loopback port to serve on (default 9090; 0 lets the OS pick)
  --metrics-path PATH  where the app mounts the exposition (default /metrics)
  --once               run the workload, print the exposition and exit";

/// The command line.
#[derive(Debug)]
struct Options {
    /// Default 9090, the reference's port.
    port: u16,
    /// Default `/metrics`, the reference's Flask mount path.
    metrics_path: String,
    /// Default off: serve until Ctrl-C.
    once: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut options = Options { port: 9090, metrics_path: "/metrics".into(), once: false };
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
            match arg.as_str() {
                "--port" => {
                    let port = value()?;
                    options.port = port.parse().map_err(|e| format!("--port {port}: {e}"))?;
                }
                "--metrics-path" => options.metrics_path = value()?,
                "--once" => options.once = true,
                "--help" | "-h" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument {other}\n{USAGE}")),
            }
        }
        let path = &options.metrics_path;
        if !path.starts_with('/') || web::APP_ROUTES.contains(&path.as_str()) {
            return Err(format!(
                "--metrics-path {path}: must start with `/` and not be one of the app's routes {:?}",
                web::APP_ROUTES
            ));
        }
        Ok(options)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(if message == USAGE { 0 } else { 2 });
        }
    };
    let telemetry = Telemetry::builder()
        .service_name("automation-platform")
        // The app's server answers; flowmeter starts no listener of its own.
        .serve(false)
        // The process collector reads procfs, so it exists on Linux only.
        .process_metrics(cfg!(target_os = "linux"))
        .system_metrics(true)
        .install()?;

    let collectors = workload::Collectors::new()?;
    workload::run(&collectors)?;
    if options.once {
        print!("{}", telemetry.render());
        return Ok(());
    }

    let app = web::app(telemetry.pipeline(), &options.metrics_path);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
    // Tests wait for this line, and read the port from it when `--port 0`.
    println!("serving http://{}{}", listener.local_addr()?, options.metrics_path);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
