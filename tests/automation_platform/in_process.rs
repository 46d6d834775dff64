//! In-process tests of the example's collectors and bridge: bad input is a typed error that
//! records nothing, and the bridge's gauges, counters and histogram follow what it runs.
//! Compiled into `tests/automation_platform_example.rs`, whose `common` harness and
//! `#[path]` modules it uses.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use flowmeter::Telemetry;
use flowmeter::app::AppMetricError;
use flowmeter::telemetry::Pipeline;

use crate::common::{self, parse};
use crate::safe_async_bridge::{BridgeError, SafeAsyncBridge};
use crate::{api_client, audit_agent, file_watcher};

/// The pipeline of this test binary, shared by its tests: each asserts on its own families.
static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(common::install_metrics_only);

#[test]
fn collectors_reject_bad_input_with_a_typed_error_and_record_nothing() {
    use api_client::{ApiCall, ApiClientCollector, CallOutcome};
    use audit_agent::AuditAgentCollector;
    use file_watcher::{FileWatcherCollector, TestOutcome};

    let telemetry = &*TELEMETRY;
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
    assert_eq!(collector_lines(&after), collector_lines(&before));
}

const REJECTED: &str = "flowmeter_measurements_rejected_total";

/// The lines of the three collectors' families (HELP, TYPE and samples): the bridge test of
/// this binary records into other families meanwhile.
fn collector_lines(text: &str) -> String {
    let ours = |line: &str| {
        let family = line.trim_start_matches("# HELP ").trim_start_matches("# TYPE ");
        ["test_watcher_", "audit_agent_", "api_"].iter().any(|p| family.starts_with(p))
    };
    text.lines().filter(|line| ours(line)).flat_map(|line| [line, "\n"]).collect()
}

fn explode() -> Result<(), ()> {
    panic!("a bridged future panics (on purpose)")
}

/// `safe_async_bridge_pending_tasks` and `safe_async_bridge_active_loops` now.
fn bridge_gauges(pipeline: &Pipeline) -> (f64, f64) {
    let now = flowmeter::exporter::summary(pipeline);
    let gauge = |name| now.value(name, &[]).unwrap_or(f64::NAN);
    (gauge("safe_async_bridge_pending_tasks"), gauge("safe_async_bridge_active_loops"))
}

#[test]
fn the_bridge_counts_what_it_runs_and_the_loops_and_tasks_it_holds() {
    // Only this test touches the bridge's families, so their values are its own.
    let pipeline = TELEMETRY.pipeline();
    let bridge = Arc::new(SafeAsyncBridge::new().unwrap());
    let long = Duration::from_secs(60);

    // From sync code: the future runs on a new loop on this thread.
    let inside = bridge.run(long, async move { Ok::<_, ()>(bridge_gauges(pipeline)) });
    assert_eq!(inside.unwrap(), (1.0, 1.0));
    assert_eq!(bridge_gauges(pipeline), (0.0, 0.0));

    // From inside a runtime (the outer future): the inner call's loop runs on a helper
    // thread, and both calls are pending on their two loops.
    let nested = Arc::clone(&bridge);
    let inner = bridge.run(long, async move {
        nested.run(long, async move { Ok::<_, ()>(bridge_gauges(pipeline)) }).map_err(|_| ())
    });
    assert_eq!(inner.unwrap(), (2.0, 2.0));

    // A spawned future holds the background loop (kept) and is pending until it ends.
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let spawned = bridge.spawn(long, async move { released.await.map_err(|_| "dropped") });
    let spawned = spawned.unwrap();
    assert_eq!(bridge_gauges(pipeline), (1.0, 1.0));
    release.send(()).unwrap();
    spawned.wait().unwrap();
    assert_eq!(bridge_gauges(pipeline), (0.0, 1.0));

    // Failures: an error, a panic, a timeout, each counted once where it belongs.
    let failed = bridge.run(long, async { Err::<(), _>("refused") });
    assert!(matches!(failed, Err(BridgeError::Task("refused"))), "{failed:?}");
    let panicked = bridge.run(long, async { explode() });
    assert!(matches!(panicked, Err(BridgeError::Panicked)), "{panicked:?}");
    let timeout = Duration::from_millis(50);
    let stuck = bridge.run(timeout, std::future::pending::<Result<(), ()>>());
    assert!(matches!(stuck, Err(BridgeError::TimedOut(t)) if t == timeout), "{stuck:?}");

    let scraped = parse(&TELEMETRY.render());
    let v = |name: &str, labels: &[(&str, &str)]| scraped.value(name, labels);
    assert_eq!(v("safe_async_bridge_calls_total", &[]), 7.0);
    assert_eq!(v("safe_async_bridge_errors_total", &[("error_type", "task")]), 1.0);
    assert_eq!(v("safe_async_bridge_errors_total", &[("error_type", "panic")]), 1.0);
    assert!(
        scraped.find("safe_async_bridge_errors_total", &[("error_type", "runtime")]).is_empty()
    );
    assert_eq!(v("safe_async_bridge_timeouts_total", &[]), 1.0);
    let duration = "safe_async_bridge_execution_duration_seconds";
    assert_eq!(v(&format!("{duration}_count"), &[]), 7.0);
    assert!(v(&format!("{duration}_sum"), &[]) >= timeout.as_secs_f64());
    assert_eq!(bridge_gauges(pipeline), (0.0, 1.0));

    // Dropping the bridge stops its background loop.
    drop(bridge);
    assert_eq!(bridge_gauges(pipeline), (0.0, 0.0));
}
