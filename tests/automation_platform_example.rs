//! The automation-platform parity example (reference file 003): run it in both serving
//! modes (mounted in the platform's axum app, and standalone on flowmeter's own endpoint, the
//! reference's `start_metrics_server`), scrape it over HTTP and assert every collector metric
//! of the fixed workload (type, HELP, labels, exact buckets, exact values: `automation_platform/expected.rs`),
//! the process and system families, the app's own routes and `promtool check metrics`; that
//! while serving, the steady workload moves every family; and, in this process
//! (`automation_platform/in_process.rs`), that the collectors turn bad input into a typed error that records
//! nothing and that the SafeAsyncBridge measures what it runs.
#![cfg(all(feature = "axum", feature = "system"))]

mod common;

// The example's collectors and bridge, compiled into this test so their errors can be
// matched by type, and the test code kept next to the example.
#[allow(dead_code)]
#[path = "../examples/automation_platform/api_client.rs"]
mod api_client;
#[allow(dead_code)]
#[path = "../examples/automation_platform/audit_agent.rs"]
mod audit_agent;
#[path = "automation_platform/expected.rs"]
mod expected;
#[allow(dead_code)]
#[path = "../examples/automation_platform/file_watcher.rs"]
mod file_watcher;
#[path = "automation_platform/in_process.rs"]
mod in_process;
#[allow(dead_code)]
#[path = "../examples/automation_platform/safe_async_bridge.rs"]
mod safe_async_bridge;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Exposition, KillOnDrop, http_get, parse, promtool_check_metrics};
use expected::{FAMILIES, assert_workload_exposition, unix_now};

const METRICS_PATH: &str = "/internal/metrics";

/// Starts the example with `args` (stdout and stderr piped) and reads the address and path of
/// its `serving http://ADDR/PATH` line.
fn serve(args: &[&str]) -> (KillOnDrop, SocketAddr, String) {
    let mut child = KillOnDrop(
        common::example("automation_platform")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = BufReader::new(child.0.stdout.take().unwrap());
    let serving = stdout.lines().map_while(Result::ok).find(|l| l.starts_with("serving "));
    let serving = serving.expect("the example prints `serving http://ADDR/PATH`");
    let url = serving.strip_prefix("serving http://").unwrap();
    let (addr, path) = url.split_at(url.find('/').unwrap());
    (child, addr.parse().unwrap(), path.to_owned())
}

/// `GET` the exposition: 200, the text format, parsed (and the text for promtool).
fn scrape(addr: SocketAddr, path: &str) -> (Exposition, String) {
    let response = http_get(addr, path);
    assert_eq!(response.status, 200, "{path}");
    assert_eq!(response.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    (parse(&response.body), response.body)
}

/// The fixed workload's exposition, exactly, and promtool reporting nothing: every name keeps
/// parity and lints clean.
fn assert_fixed_workload(addr: SocketAddr, started: f64) {
    let (scraped, text) = scrape(addr, METRICS_PATH);
    assert_workload_exposition(&scraped, started);
    if let Some(report) = promtool_check_metrics(&text) {
        assert_eq!(report.trim(), "", "promtool findings");
    }
    if let Some(families) = common::openmetrics::scrape_checked(addr, METRICS_PATH) {
        assert_eq!(families.len(), scraped.types.len(), "the same families in both formats");
    }
}

#[test]
fn the_app_serves_every_collector_metric_on_its_own_route() {
    let started = unix_now();
    // No steady workload: the values stay the fixed workload's.
    let args = ["--port", "0", "--metrics-path", METRICS_PATH, "--interval-ms", "0"];
    let (mut child, addr, path) = serve(&args);
    assert_eq!(path, METRICS_PATH);
    assert_fixed_workload(addr, started);

    // The app's own routes answer next to the exposition, which is not on `/metrics`.
    let index = http_get(addr, "/");
    assert_eq!(index.status, 200);
    assert!(index.body.contains(&format!("metrics: {METRICS_PATH}")), "{}", index.body);
    let status = http_get(addr, "/status");
    assert_eq!((status.status, status.header("content-type")), (200, Some("application/json")));
    let status: serde_json::Value = serde_json::from_str(&status.body).unwrap();
    let field = |pointer: &str| status.pointer(pointer).unwrap_or_else(|| panic!("{pointer}"));
    assert_eq!(field("/file_watcher/running"), true);
    for (pointer, expected) in [
        ("/file_watcher/files_processed", 5.0),
        ("/file_watcher/tests_run", 5.0),
        ("/file_watcher/changed_files", 2.0),
        ("/audit_agent/runs", 3.0),
        ("/audit_agent/coverage_percent", 85.5),
        ("/audit_agent/active_tasks", 0.0),
        ("/api_client/deepseek_calls", 3.0),
        ("/api_client/perplexity_calls", 2.0),
        ("/api_client/rate_limits", 1.0),
        ("/safe_async_bridge/calls", 10.0),
        ("/safe_async_bridge/pending_tasks", 0.0),
        ("/safe_async_bridge/active_loops", 1.0),
    ] {
        assert_eq!(field(pointer).as_f64(), Some(expected), "{pointer}");
    }
    assert_eq!(http_get(addr, "/metrics").status, 404, "/metrics is the app's 404");
    assert_eq!(http_get(addr, "/health").body, "ok");

    // The workload's bad input was reported as typed errors; the scrape showed that it
    // recorded nothing.
    let _ = child.0.kill();
    let mut stderr = String::new();
    child.0.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.contains("rejected coverage 120 %: metric `audit_agent.coverage`"), "{stderr}");
    assert!(
        stderr.contains("rejected a call to openai: metric `api.request_duration`"),
        "{stderr}"
    );
}

#[test]
fn the_standalone_endpoint_serves_the_same_families_on_the_chosen_host_and_port() {
    let started = unix_now();
    // On Linux all of 127.0.0.0/8 is loopback: a host other than the default shows the
    // program's choice is the one served on.
    let host = if cfg!(target_os = "linux") { "127.0.0.2" } else { "127.0.0.1" };
    let args = [
        "--standalone",
        "--host",
        host,
        "--port",
        "0",
        "--metrics-path",
        METRICS_PATH,
        "--interval-ms",
        "0",
    ];
    let (_child, addr, path) = serve(&args);
    assert_eq!((addr.ip().to_string().as_str(), path.as_str()), (host, METRICS_PATH));
    assert_ne!(addr.port(), 0, "the real bound port is printed");
    assert_fixed_workload(addr, started);
    // flowmeter's endpoint serves its own routes, and not the app's.
    assert_eq!(http_get(addr, "/health").status, 200);
    assert_eq!(http_get(addr, "/catalog").status, 200);
    assert_eq!(http_get(addr, "/status").status, 404, "no app routes when standalone");
}

#[test]
fn once_prints_the_same_exposition_and_exits() {
    let started = unix_now();
    let output = common::example("automation_platform")
        .arg("--once")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert_workload_exposition(&parse(&text), started);
    promtool_check_metrics(&text);
}

/// Each collector family's total over its series: a counter's sum, a histogram's `_count`.
fn totals(scraped: &Exposition) -> BTreeMap<&'static str, f64> {
    let total = |name: &str| scraped.find(name, &[]).iter().map(|s| s.value).sum();
    FAMILIES
        .iter()
        .filter_map(|(family, kind, ..)| match *kind {
            "counter" => Some((*family, total(family))),
            "histogram" => Some((*family, total(&format!("{family}_count")))),
            _ => None,
        })
        .collect()
}

/// While serving, the rounds keep every counter and histogram growing, the gauges that
/// follow the work changing, and the bridge's gauges above their resting value while work is
/// in flight. (`test_watcher_is_running` stays 1 and the process and host families are
/// measured at the scrape: not the workload's.)
#[test]
fn while_serving_a_steady_workload_keeps_the_families_moving() {
    let args =
        ["--standalone", "--port", "0", "--metrics-path", METRICS_PATH, "--interval-ms", "50"];
    let (_child, addr, _) = serve(&args);
    let (first, _) = scrape(addr, METRICS_PATH);
    let before = totals(&first);
    let mut still: Vec<&str> = before.keys().copied().collect();
    let mut unchanged =
        vec!["audit_agent_last_run_timestamp_seconds", "audit_agent_coverage_percent"];
    let mut at_rest =
        vec![("safe_async_bridge_pending_tasks", 0.0), ("safe_async_bridge_active_loops", 1.0)];
    // A generous deadline, for liveness on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !(still.is_empty() && unchanged.is_empty() && at_rest.is_empty()) {
        assert!(
            Instant::now() < deadline,
            "not growing: {still:?}; unchanged: {unchanged:?}; never above rest: {at_rest:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
        let (now, _) = scrape(addr, METRICS_PATH);
        let after = totals(&now);
        still.retain(|family| after[family] <= before[family]);
        unchanged.retain(|gauge| now.value(gauge, &[]) == first.value(gauge, &[]));
        at_rest.retain(|(gauge, rest)| now.value(gauge, &[]) <= *rest);
    }
}
