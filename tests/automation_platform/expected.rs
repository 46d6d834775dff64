//! What the fixed workload (`workload.rs`) leaves in the exposition, as the parity test
//! checks it: every collector family's type, HELP and label names, exact buckets and exact
//! values. Compiled into `tests/automation_platform_example.rs`, whose `common` harness it
//! uses.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::Exposition;

/// Every collector family: name, `# TYPE`, `# HELP`, label names (without `le`).
pub const FAMILIES: &[(&str, &str, &str, &[&str])] = &[
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
    ("safe_async_bridge_calls_total", "counter", "Total futures handed to SafeAsyncBridge", &[]),
    (
        "safe_async_bridge_errors_total",
        "counter",
        "Total futures run by SafeAsyncBridge that failed",
        &["error_type"],
    ),
    (
        "safe_async_bridge_timeouts_total",
        "counter",
        "Total futures SafeAsyncBridge cancelled at their timeout",
        &[],
    ),
    (
        "safe_async_bridge_pending_tasks",
        "gauge",
        "Number of futures handed to SafeAsyncBridge and not finished",
        &[],
    ),
    (
        "safe_async_bridge_active_loops",
        "gauge",
        "Number of event loops (tokio runtimes) SafeAsyncBridge has running",
        &[],
    ),
    (
        "safe_async_bridge_execution_duration_seconds",
        "histogram",
        "Time from handing a future to SafeAsyncBridge to its result",
        &[],
    ),
];

pub fn unix_now() -> f64 {
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
pub fn assert_workload_exposition(scraped: &Exposition, started: f64) {
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

    // SafeAsyncBridge: the 5 API calls through `run` (the rate-limited one an error of the
    // task, the timed-out one cancelled at 0.25 s) and the 5 publications through `spawn`,
    // all waited for; the background loop stays.
    assert_eq!(v("safe_async_bridge_calls_total", &[]), 10.0);
    assert_eq!(v("safe_async_bridge_errors_total", &[("error_type", "task")]), 1.0);
    assert_eq!(scraped.find("safe_async_bridge_errors_total", &[]).len(), 1, "task errors only");
    assert_eq!(v("safe_async_bridge_timeouts_total", &[]), 1.0);
    assert_eq!(v("safe_async_bridge_pending_tasks", &[]), 0.0);
    assert_eq!(v("safe_async_bridge_active_loops", &[]), 1.0);
    let execution =
        ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
    let family = "safe_async_bridge_execution_duration_seconds";
    assert_timed(scraped, family, &execution, 10.0);
    // The timed-out call took its whole 0.25 s.
    assert!(v(&format!("{family}_sum"), &[]) >= 0.25);
    assert!(scraped.value(&format!("{family}_bucket"), &[("le", "0.1")]) <= 9.0);

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
