//! The automation-platform parity example (reference file 003): run it, scrape the axum app
//! over HTTP, and assert every collector metric (type, HELP, labels, exact buckets, exact
//! values for the workload), the process and system families, the app's own routes and
//! `promtool check metrics`; and, in this process, that the collectors turn bad input into a
//! typed error that records nothing.
#![cfg(all(feature = "axum", feature = "system"))]

mod common;

// The example's collectors, compiled into this test so their errors can be matched by type.
#[allow(dead_code)]
#[path = "../examples/automation_platform/api_client.rs"]
mod api_client;
#[allow(dead_code)]
#[path = "../examples/automation_platform/audit_agent.rs"]
mod audit_agent;
#[allow(dead_code)]
#[path = "../examples/automation_platform/file_watcher.rs"]
mod file_watcher;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{Exposition, KillOnDrop, http_get, parse, promtool_check_metrics};
use flowmeter::app::AppMetricError;

const METRICS_PATH: &str = "/internal/metrics";

/// Every collector family: name, `# TYPE`, `# HELP`, label names (without `le`).
const FAMILIES: &[(&str, &str, &str, &[&str])] = &[
    (
        "test_watcher_files_processed_total",
        "counter",
        "Total number of files processed by TestWatcher",
        &[],
    ),
    ("test_watcher_tests_run_total", "counter", "Total number of test runs executed", &["status"]),
    (
        "test_watcher_api_calls_total",
        "counter",
        "Total API calls made by TestWatcher",
        &["api", "status"],
    ),
    ("test_watcher_errors_total", "counter", "Total errors in TestWatcher", &["error_type"]),
    (
        "test_watcher_changed_files_current",
        "gauge",
        "Number of changed files waiting to be processed",
        &[],
    ),
    ("test_watcher_memory_usage_bytes", "gauge", "Current memory usage in bytes", &[]),
    ("test_watcher_is_running", "gauge", "Whether TestWatcher is running (1) or stopped (0)", &[]),
    (
        "test_watcher_processing_duration_seconds",
        "histogram",
        "Time spent processing file changes",
        &[],
    ),
    (
        "test_watcher_debounce_duration_seconds",
        "histogram",
        "Time changes waited in the debounce window before processing",
        &[],
    ),
    (
        "test_watcher_test_execution_duration_seconds",
        "histogram",
        "Duration of a test run as reported by the test runner",
        &[],
    ),
    ("audit_agent_runs_total", "counter", "Total number of audit runs", &["trigger"]),
    (
        "audit_agent_completion_markers_found_total",
        "counter",
        "Total completion markers found in audited files",
        &[],
    ),
    ("audit_agent_git_commits_detected_total", "counter", "Total new git commits detected", &[]),
    ("audit_agent_errors_total", "counter", "Total errors in AuditAgent", &["error_type"]),
    ("audit_agent_coverage_percent", "gauge", "Test coverage measured by the last audit", &[]),
    (
        "audit_agent_last_run_timestamp_seconds",
        "gauge",
        "Unix time the last audit run finished",
        &[],
    ),
    ("audit_agent_active_tasks", "gauge", "Number of audit tasks in progress", &[]),
    ("audit_agent_run_duration_seconds", "histogram", "Duration of a whole audit run", &[]),
    (
        "audit_agent_analysis_duration_seconds",
        "histogram",
        "Duration of the analysis pass of an audit run",
        &[],
    ),
    ("api_deepseek_calls_total", "counter", "Total DeepSeek API calls", &["status"]),
    ("api_perplexity_calls_total", "counter", "Total Perplexity API calls", &["status"]),
    ("api_rate_limits_total", "counter", "Total API calls rejected by a rate limit", &["api"]),
    ("api_errors_total", "counter", "Total failed API calls", &["api", "error_type"]),
    ("api_tokens_used_total", "counter", "Total tokens billed by the APIs", &["api", "token_type"]),
    (
        "api_deepseek_response_time_seconds",
        "gauge",
        "Response time of the last DeepSeek API call",
        &[],
    ),
    (
        "api_perplexity_response_time_seconds",
        "gauge",
        "Response time of the last Perplexity API call",
        &[],
    ),
    ("api_request_duration_seconds", "histogram", "API request duration", &["api"]),
];

fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// The label names of a family over all its samples (`_bucket`/`_sum`/`_count` included),
/// without `le`.
fn label_names(scraped: &Exposition, family: &str) -> BTreeSet<String> {
    let series = [family.to_owned(), format!("{family}_bucket"), format!("{family}_sum")];
    let samples = scraped.samples.iter().filter(|s| series.contains(&s.name));
    samples.flat_map(|s| s.labels.keys().filter(|k| *k != "le").cloned()).collect()
}

/// The `le` boundaries of a histogram series, and its cumulative counts.
fn buckets(scraped: &Exposition, family: &str, matchers: &[(&str, &str)]) -> Vec<(String, f64)> {
    let samples = scraped.find(&format!("{family}_bucket"), matchers);
    samples.iter().map(|s| (s.label("le").unwrap().to_owned(), s.value)).collect()
}

/// A histogram series observed with known values: exact boundaries (`+Inf` last), cumulative
/// counts, and sum.
fn assert_histogram(
    scraped: &Exposition,
    (family, matchers): (&str, &[(&str, &str)]),
    boundaries: &[&str],
    counts: &[f64],
    sum: f64,
) {
    let expected: Vec<(String, f64)> =
        boundaries.iter().map(|le| (*le).to_owned()).zip(counts.iter().copied()).collect();
    assert_eq!(buckets(scraped, family, matchers), expected, "{family}{matchers:?}");
    let count = scraped.value(&format!("{family}_count"), matchers);
    assert_eq!(Some(&count), counts.last(), "{family}_count{matchers:?}");
    assert_eq!(scraped.value(&format!("{family}_sum"), matchers), sum, "{family}_sum{matchers:?}");
}

/// A histogram observed through timers: the exact boundaries and count; the durations depend
/// on the machine, so only their consistency is checked.
fn assert_timed(scraped: &Exposition, family: &str, boundaries: &[&str], count: f64) {
    let found = buckets(scraped, family, &[]);
    let les: Vec<&str> = found.iter().map(|(le, _)| le.as_str()).collect();
    assert_eq!(les, boundaries, "{family} boundaries");
    assert!(found.windows(2).all(|w| w[0].1 <= w[1].1), "{family} cumulative: {found:?}");
    assert_eq!(found.last().unwrap().1, count, "{family} +Inf");
    assert_eq!(scraped.value(&format!("{family}_count"), &[]), count, "{family}_count");
    assert!(scraped.value(&format!("{family}_sum"), &[]) >= 0.0, "{family}_sum");
}

/// Everything the example's workload leaves in the exposition.
fn assert_workload_exposition(scraped: &Exposition, started: f64) {
    for (family, kind, help, labels) in FAMILIES {
        assert_eq!(scraped.types.get(*family).map(String::as_str), Some(*kind), "{family} TYPE");
        assert_eq!(scraped.help.get(*family).map(String::as_str), Some(*help), "{family} HELP");
        let expected: BTreeSet<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        assert_eq!(label_names(scraped, family), expected, "{family} labels");
    }
    let v = |name: &str, matchers: &[(&str, &str)]| scraped.value(name, matchers);

    // File watcher: 5 files in 2 batches, one test run each, 2 changes left pending.
    assert_eq!(v("test_watcher_files_processed_total", &[]), 5.0);
    let runs = |status| v("test_watcher_tests_run_total", &[("status", status)]);
    assert_eq!((runs("pass"), runs("fail"), runs("error")), (3.0, 1.0, 1.0));
    let calls =
        |api, status| v("test_watcher_api_calls_total", &[("api", api), ("status", status)]);
    assert_eq!((calls("deepseek", "success"), calls("deepseek", "error")), (2.0, 1.0));
    assert_eq!((calls("perplexity", "success"), calls("perplexity", "error")), (1.0, 1.0));
    let errors = |kind| v("test_watcher_errors_total", &[("error_type", kind)]);
    assert_eq!((errors("api"), errors("test_runner")), (2.0, 1.0));
    assert!(scraped.find("test_watcher_errors_total", &[("error_type", "file_read")]).is_empty());
    assert_eq!(v("test_watcher_changed_files_current", &[]), 2.0);
    assert_eq!(v("test_watcher_is_running", &[]), 1.0);
    assert!(v("test_watcher_memory_usage_bytes", &[]) > 0.0);
    // Debounce windows 0.25 and 0.5 s; test runs 4.25, 6.5, 3.75, 0.5 and 12 s.
    let debounce = ["0.05", "0.1", "0.25", "0.5", "1", "2", "+Inf"];
    let family = ("test_watcher_debounce_duration_seconds", &[][..]);
    assert_histogram(scraped, family, &debounce, &[0., 0., 1., 2., 2., 2., 2.], 0.75);
    let tests = ["1", "5", "10", "30", "60", "120", "300", "+Inf"];
    let family = ("test_watcher_test_execution_duration_seconds", &[][..]);
    assert_histogram(scraped, family, &tests, &[1., 3., 4., 5., 5., 5., 5., 5.], 27.0);
    let processing = ["0.1", "0.5", "1", "2.5", "5", "10", "+Inf"];
    assert_timed(scraped, "test_watcher_processing_duration_seconds", &processing, 5.0);

    // Audit agent: 3 runs; the rejected 120 % left the coverage at the last valid value.
    let runs = |trigger| v("audit_agent_runs_total", &[("trigger", trigger)]);
    assert_eq!((runs("scheduled"), runs("manual")), (2.0, 1.0));
    assert!(scraped.find("audit_agent_runs_total", &[("trigger", "commit")]).is_empty());
    assert_eq!(v("audit_agent_completion_markers_found_total", &[]), 3.0);
    assert_eq!(v("audit_agent_git_commits_detected_total", &[]), 5.0);
    assert_eq!(v("audit_agent_errors_total", &[("error_type", "git")]), 1.0);
    assert_eq!(v("audit_agent_coverage_percent", &[]), 85.5);
    assert_eq!(v("audit_agent_active_tasks", &[]), 0.0);
    let last_run = v("audit_agent_last_run_timestamp_seconds", &[]);
    assert!((started..=unix_now()).contains(&last_run), "last run at {last_run}");
    let run = ["1", "5", "10", "30", "60", "120", "300", "+Inf"];
    assert_timed(scraped, "audit_agent_run_duration_seconds", &run, 3.0);
    let analysis = ["0.1", "0.5", "1", "5", "10", "30", "+Inf"];
    assert_timed(scraped, "audit_agent_analysis_duration_seconds", &analysis, 3.0);

    // API client: 3 DeepSeek calls (one timed out), 2 Perplexity calls (one rate-limited);
    // the rejected call to `openai` left no series.
    let status = |family, status| v(family, &[("status", status)]);
    assert_eq!(status("api_deepseek_calls_total", "success"), 2.0);
    assert_eq!(status("api_deepseek_calls_total", "error"), 1.0);
    assert_eq!(status("api_perplexity_calls_total", "success"), 1.0);
    assert_eq!(status("api_perplexity_calls_total", "error"), 1.0);
    assert_eq!(v("api_rate_limits_total", &[("api", "perplexity")]), 1.0);
    assert!(scraped.find("api_rate_limits_total", &[("api", "deepseek")]).is_empty());
    let api_errors = |api, kind| v("api_errors_total", &[("api", api), ("error_type", kind)]);
    assert_eq!(
        (api_errors("perplexity", "rate_limit"), api_errors("deepseek", "timeout")),
        (1.0, 1.0)
    );
    let tokens = |api, kind| v("api_tokens_used_total", &[("api", api), ("token_type", kind)]);
    assert_eq!((tokens("deepseek", "input"), tokens("deepseek", "output")), (2000.0, 550.0));
    assert_eq!((tokens("perplexity", "input"), tokens("perplexity", "output")), (400.0, 900.0));
    assert_eq!(v("api_deepseek_response_time_seconds", &[]), 0.75);
    assert_eq!(v("api_perplexity_response_time_seconds", &[]), 0.25);
    // DeepSeek 1.5, 10 (the timeout, on a boundary: `le` is inclusive) and 0.75 s;
    // Perplexity 2 and 0.25 s.
    let les = ["0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"];
    let deepseek = ("api_request_duration_seconds", &[("api", "deepseek")][..]);
    assert_histogram(scraped, deepseek, &les, &[0., 0., 0., 1., 2., 2., 3., 3., 3.], 12.25);
    let perplexity = ("api_request_duration_seconds", &[("api", "perplexity")][..]);
    assert_histogram(scraped, perplexity, &les, &[0., 1., 1., 1., 2., 2., 2., 2., 2.], 2.25);
    assert!(scraped.samples.iter().all(|s| s.label("api") != Some("openai")), "openai rejected");

    // Process (Linux) and host metrics, measured at the scrape.
    if cfg!(target_os = "linux") {
        for (family, kind) in [
            ("process_cpu_seconds_total", "counter"),
            ("process_resident_memory_bytes", "gauge"),
            ("process_virtual_memory_bytes", "gauge"),
            ("process_open_fds", "gauge"),
            ("process_max_fds", "gauge"),
            ("process_threads", "gauge"),
            ("process_start_time_seconds", "gauge"),
        ] {
            assert_eq!(scraped.types.get(family).map(String::as_str), Some(kind), "{family}");
        }
        assert!(v("process_cpu_seconds_total", &[]) >= 0.0);
        let resident = v("process_resident_memory_bytes", &[]);
        assert!(resident > 0.0 && v("process_virtual_memory_bytes", &[]) >= resident);
        let open_fds = v("process_open_fds", &[]);
        assert!(open_fds >= 1.0 && open_fds <= v("process_max_fds", &[]), "{open_fds}");
        assert!(v("process_threads", &[]) >= 1.0);
        // Derived from the boot time and clock ticks, in whole seconds, so it can read a few
        // seconds early: only check it is recent.
        let start = v("process_start_time_seconds", &[]);
        assert!((started - 3600.0..=unix_now()).contains(&start), "started at {start}");
    }
    for family in ["system_cpu_percent", "system_memory_percent", "system_disk_percent"] {
        assert_eq!(scraped.types.get(family).map(String::as_str), Some("gauge"), "{family}");
        let percent = v(family, &[]);
        assert!((0.0..=100.0).contains(&percent), "{family} {percent}");
    }
    assert!(v("system_memory_percent", &[]) > 0.0 && v("system_disk_percent", &[]) > 0.0);
}

#[test]
fn the_app_serves_every_collector_metric_on_its_own_route() {
    let started = unix_now();
    let mut child = KillOnDrop(
        common::example("automation_platform")
            .args(["--port", "0", "--metrics-path", METRICS_PATH])
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
    assert_eq!(path, METRICS_PATH);
    let addr: SocketAddr = addr.parse().unwrap();

    let response = http_get(addr, METRICS_PATH);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    assert_workload_exposition(&parse(&response.body), started);
    // Every name keeps parity and lints clean: promtool reports nothing.
    if let Some(report) = promtool_check_metrics(&response.body) {
        assert_eq!(report.trim(), "", "promtool findings");
    }

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

#[test]
fn collectors_reject_bad_input_with_a_typed_error_and_record_nothing() {
    use api_client::{ApiCall, ApiClientCollector, CallOutcome};
    use audit_agent::AuditAgentCollector;
    use file_watcher::{FileWatcherCollector, TestOutcome};

    let telemetry = common::install_metrics_only();
    // Declaring a collector twice (the reference's duplicate-registration bug) is harmless:
    // both declarations record into one instrument, so one series.
    let (audit, again) = (AuditAgentCollector::new().unwrap(), AuditAgentCollector::new().unwrap());
    let api = ApiClientCollector::new().unwrap();
    let watcher = FileWatcherCollector::new().unwrap();
    audit.update_coverage(50.0).unwrap();
    again.update_coverage(60.0).unwrap();
    let call =
        ApiCall { outcome: CallOutcome::Success, seconds: 1.0, input_tokens: 5, output_tokens: 7 };
    api.record_call("deepseek", &call).unwrap();
    watcher.record_api_call("deepseek", "success").unwrap();
    let before = telemetry.render();
    let scraped = parse(&before);
    assert_eq!(scraped.value("audit_agent_coverage_percent", &[]), 60.0);
    assert_eq!(scraped.find("audit_agent_coverage_percent", &[]).len(), 1);

    let out_of_range = |result| match result {
        Err(AppMetricError::OutOfRange { metric, value, min, max }) => (metric, value, min, max),
        other => panic!("expected OutOfRange, got {other:?}"),
    };
    let coverage = "audit_agent.coverage".to_owned();
    assert_eq!(out_of_range(audit.update_coverage(120.0)), (coverage.clone(), 120.0, 0.0, 100.0));
    assert_eq!(out_of_range(audit.update_coverage(-0.5)), (coverage, -0.5, 0.0, 100.0));
    assert!(matches!(audit.update_coverage(f64::NAN), Err(AppMetricError::NotFinite { .. })));

    match api.record_call("openai", &call) {
        Err(AppMetricError::LabelValue { metric, label, value, allowed }) => {
            assert_eq!(
                (metric.as_str(), label.as_str(), value.as_str()),
                ("api.request_duration", "api", "openai")
            );
            assert_eq!(allowed, ["deepseek", "perplexity"]);
        }
        other => panic!("expected LabelValue, got {other:?}"),
    }
    let negative = ApiCall { seconds: -1.0, ..call };
    assert!(matches!(api.record_call("deepseek", &negative), Err(AppMetricError::Negative { .. })));
    match watcher.record_api_call("deepseek", "maybe") {
        Err(AppMetricError::LabelValue { label, .. }) => assert_eq!(label, "status"),
        other => panic!("expected LabelValue, got {other:?}"),
    }
    let nan = watcher.record_test_run(TestOutcome::Error, f64::NAN);
    assert!(matches!(nan, Err(AppMetricError::NotFinite { .. })));

    // Each refusal is counted once, by metric and reason, in flowmeter's own family…
    let after = telemetry.render();
    let rejected = parse(&after);
    for (metric, reason, count) in [
        ("audit_agent.coverage", "out_of_range", 2.0),
        ("audit_agent.coverage", "not_finite", 1.0),
        ("api.request_duration", "label_value", 1.0),
        ("api.request_duration", "negative", 1.0),
        ("test_watcher.api_calls", "label_value", 1.0),
        ("test_watcher.test_execution_duration", "not_finite", 1.0),
    ] {
        let labels = [("metric_name", metric), ("reason", reason)];
        assert_eq!(rejected.value(REJECTED, &labels), count, "{metric} {reason}");
    }
    assert_eq!(rejected.find(REJECTED, &[]).len(), 6);
    // …and nothing else changed: no value, no new series, no error counted for the bad run.
    assert_eq!(without_family(&after, REJECTED), before);
}

const REJECTED: &str = "flowmeter_measurements_rejected_total";

/// The exposition without the lines of one family (its HELP, TYPE and samples).
fn without_family(text: &str, family: &str) -> String {
    text.lines()
        .filter(|line| !line.split([' ', '{']).any(|word| word == family))
        .flat_map(|line| [line, "\n"])
        .collect()
}
