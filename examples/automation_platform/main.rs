//! Parity with the reference automation platform (reference file 003): one collector per
//! component, timers as guards, process and system metrics, served both ways the reference
//! offers: mounted into the platform's own axum app (its `register_flask_metrics`, the
//! default) or standalone on flowmeter's own endpoint (its `start_metrics_server(port,
//! host)`, `--standalone`), on loopback port 9090 by default. The same families either way.
//!
//! | component | counters | gauges | histograms (seconds) |
//! |---|---|---|---|
//! | file watcher (`file_watcher.rs`) | `test_watcher_files_processed_total`, `test_watcher_tests_run_total{status}`, `test_watcher_api_calls_total{api,status}`, `test_watcher_errors_total{error_type}` | `test_watcher_changed_files_current`, `test_watcher_memory_usage_bytes`, `test_watcher_is_running` | `test_watcher_processing_duration_seconds`, `test_watcher_debounce_duration_seconds`, `test_watcher_test_execution_duration_seconds` |
//! | audit agent (`audit_agent.rs`) | `audit_agent_runs_total{trigger}`, `audit_agent_completion_markers_found_total`, `audit_agent_git_commits_detected_total`, `audit_agent_errors_total{error_type}` | `audit_agent_coverage_percent`, `audit_agent_last_run_timestamp_seconds`, `audit_agent_active_tasks` | `audit_agent_run_duration_seconds`, `audit_agent_analysis_duration_seconds` |
//! | SafeAsyncBridge (`safe_async_bridge.rs`) | `safe_async_bridge_calls_total`, `safe_async_bridge_errors_total{error_type}`, `safe_async_bridge_timeouts_total` | `safe_async_bridge_pending_tasks`, `safe_async_bridge_active_loops` | `safe_async_bridge_execution_duration_seconds` |
//! | API client (`api_client.rs`) | `api_deepseek_calls_total{status}`, `api_perplexity_calls_total{status}`, `api_rate_limits_total{api}`, `api_errors_total{api,error_type}`, `api_tokens_used_total{api,token_type}` | `api_deepseek_response_time_seconds`, `api_perplexity_response_time_seconds` | `api_request_duration_seconds{api}` |
//! | process, host (flowmeter's `system` feature) | `process_cpu_seconds_total` | `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`, `process_threads`, `process_start_time_seconds`, `system_cpu_percent`, `system_memory_percent`, `system_disk_percent` | |
//!
//! The reference gives SafeAsyncBridge's metric names only (`calls_total`, `errors`,
//! `timeouts`, `pending_tasks`, `active_loops`, `execution_duration`). Chosen here, as for
//! the other components: the component's name as prefix, `error_type` on errors (`task`,
//! `panic`, `runtime`; a timeout is counted in `timeouts` only), seconds for the duration,
//! with the Python client's default buckets. The bridge runs the API client's calls (with a
//! timeout) and the background publication of test results.
//!
//! The fixed workload (`workload.rs`) runs first and leaves exact values; while serving, the
//! steady workload (`steady.rs`) adds a round every `--interval-ms` (default 500 ms), so
//! rates and quantiles in a real Prometheus have data (`queries.yml`: the panels of 003's
//! planned dashboards). `--interval-ms 0` keeps the fixed workload's values.
//!
//! Differences from the reference, on purpose:
//! - The reference's `SystemCollector` becomes two builder options (`process_metrics`,
//!   `system_metrics`): the values are measured at each scrape instead of when a demo loop
//!   calls `collect_all()`. The process metrics keep the standard names every Prometheus
//!   client library exports (`process_open_fds`, `process_threads`) rather than the
//!   reference's `process_open_file_descriptors` and `process_threads_count`, so stock
//!   dashboards and alerts work.
//! - The server binds `127.0.0.1` by default, not `0.0.0.0`: `--host 0.0.0.0` exposes it.
//!
//! ```text
//! cargo run --example automation_platform --features axum,system
//!     # runs the workload, then serves http://127.0.0.1:9090/ until Ctrl-C, from the app:
//!     # /, /status, /metrics, /catalog, /metadata, /summary, /health
//! cargo run --example automation_platform --features axum,system -- --standalone --host 0.0.0.0 --port 9090
//!     # the same metrics from flowmeter's endpoint: /metrics, /catalog, /metadata, /summary, /health
//! cargo run --example automation_platform --features axum,system -- --port 0 --metrics-path /internal/metrics
//! cargo run --example automation_platform --features axum,system -- --interval-ms 0   # no steady workload
//! cargo run --example automation_platform --features axum,system -- --once   # prints the exposition
//! ```

mod api_client;
mod audit_agent;
mod file_watcher;
mod safe_async_bridge;
mod steady;
mod web;
mod workload;

use std::error::Error;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use flowmeter::Telemetry;

const USAGE: &str = "usage: automation_platform [--standalone] [--host HOST] [--port PORT]
                           [--metrics-path PATH] [--interval-ms MS] [--once]
  --standalone         serve through flowmeter's own endpoint (the reference's
                       start_metrics_server) instead of mounting it in the platform's axum app
  --host HOST          IP address to serve on (default 127.0.0.1)
  --port PORT          port to serve on (default 9090; 0 lets the OS pick)
  --metrics-path PATH  where the exposition is served (default /metrics)
  --interval-ms MS     while serving, a round of steady workload every MS ms (default 500;
                       0: none, the fixed workload's values stay as they are)
  --once               run the fixed workload, print the exposition and exit";

/// The command line.
#[derive(Debug)]
struct Options {
    /// Default off: mount the exposition in the platform's axum app.
    standalone: bool,
    /// Default `127.0.0.1:9090`, the reference's port on loopback.
    addr: SocketAddr,
    /// Default `/metrics`, the reference's Flask mount path.
    metrics_path: String,
    /// Default 500 ms; `None` (`--interval-ms 0`) for no steady workload.
    interval: Option<Duration>,
    /// Default off: serve until Ctrl-C.
    once: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut options = Options {
            standalone: false,
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9090),
            metrics_path: "/metrics".into(),
            interval: Some(Duration::from_millis(500)),
            once: false,
        };
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
            match arg.as_str() {
                "--standalone" => options.standalone = true,
                "--host" => {
                    let host = value()?;
                    let ip = host.parse().map_err(|e| format!("--host {host}: {e}"))?;
                    options.addr.set_ip(ip);
                }
                "--port" => {
                    let port = value()?;
                    options.addr.set_port(port.parse().map_err(|e| format!("--port {port}: {e}"))?);
                }
                "--metrics-path" => options.metrics_path = value()?,
                "--interval-ms" => {
                    let ms = value()?;
                    let ms: u64 = ms.parse().map_err(|e| format!("--interval-ms {ms}: {e}"))?;
                    options.interval = (ms > 0).then(|| Duration::from_millis(ms));
                }
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
    let mut builder = Telemetry::builder()
        .service_name("automation-platform")
        // Standalone, flowmeter's endpoint serves; mounted, the app's server does.
        .serve(options.standalone && !options.once)
        // The process collector reads procfs, so it exists on Linux only.
        .process_metrics(cfg!(target_os = "linux"))
        .system_metrics(true);
    if options.standalone {
        if options.addr.port() == 0 {
            // The builder refuses port 0 unless asked for an OS-picked port: ask, then
            // `listen` replaces `ephemeral_port`'s 127.0.0.1 with the chosen host.
            builder = builder.ephemeral_port();
        }
        builder = builder.listen(options.addr.to_string()).metrics_path(&options.metrics_path);
    }
    let telemetry = builder.install()?;

    let collectors = Arc::new(workload::Collectors::new()?);
    workload::run(&collectors)?;
    if options.once {
        print!("{}", telemetry.render());
        return Ok(());
    }
    if let Some(interval) = options.interval {
        let collectors = Arc::clone(&collectors);
        // A plain thread: the platform's components are sync code, and the bridge's `run`
        // takes its short path (no runtime on the calling thread).
        std::thread::Builder::new()
            .name("steady-workload".into())
            .spawn(move || steady::run(&collectors, interval))?;
    }

    if options.standalone {
        let url = telemetry.metrics_url().ok_or("flowmeter's endpoint is not serving")?;
        // Tests wait for this line, and read the port from it when `--port 0`.
        println!("serving {url}");
        let _ = tokio::signal::ctrl_c().await;
        return Ok(());
    }
    let app = web::app(telemetry.pipeline(), &options.metrics_path);
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    println!("serving http://{}{}", listener.local_addr()?, options.metrics_path);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
