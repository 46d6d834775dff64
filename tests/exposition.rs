//! The scraped exposition of a real run: exact counts from many threads and tasks, every
//! status, labels, buckets, uniqueness of series, names against the catalog, and promtool.

mod common;

use std::collections::BTreeSet;
use std::sync::LazyLock;
use std::time::Duration;

use common::{Exposition, http_get, parse, promtool_check_metrics};
use flowmeter::metrics::catalog;
use flowmeter::{Telemetry, instrumented};

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .install_subscriber(false)
        .service_name("exposition-test")
        .service_version("1.2.3")
        .install()
        .expect("install telemetry")
});

fn scrape() -> Exposition {
    let addr = TELEMETRY.local_addr().expect("serving");
    let response = http_get(addr, "/metrics");
    assert_eq!(response.status, 200);
    parse(&response.body)
}

const EXECUTIONS: &str = "flowmeter_primitive_executions_total";
const DURATION_COUNT: &str = "flowmeter_execution_duration_seconds_count";
const ACTIVE: &str = "flowmeter_primitive_active";

#[instrumented(span = false)]
fn add_one(x: u64) -> u64 {
    x + 1
}

#[instrumented(span = false)]
fn maybe_fail(fail: bool) -> Result<(), String> {
    if fail { Err("asked to fail".into()) } else { Ok(()) }
}

#[instrumented]
fn always_panics() {
    panic!("instrumented panic (expected by the test)");
}

#[instrumented(kind = "step")]
async fn async_step(x: u64) -> u64 {
    tokio::task::yield_now().await;
    x * 2
}

#[instrumented]
async fn never_finishes() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

#[instrumented(labels(team = "search"), buckets = [0.5, 1.0])]
fn labelled_with_buckets() {}

#[instrumented]
fn never_called() {}

/// Traffic for tests that only need some series to exist (tests run in parallel, so the
/// functions whose counts are asserted exactly are called by one test only).
#[instrumented(span = false)]
fn touch() {}

#[test]
fn exact_counts_for_every_status_from_threads_and_tasks() {
    LazyLock::force(&TELEMETRY);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| (0..1000).for_each(|i| assert_eq!(add_one(i), i + 1)));
        }
        for t in 0..4 {
            s.spawn(move || (0..250).for_each(|i| _ = maybe_fail((t * 250 + i) % 2 == 0)));
        }
    });
    for _ in 0..3 {
        assert!(std::panic::catch_unwind(always_panics).is_err());
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                tokio::spawn(async move {
                    for _ in 0..10 {
                        async_step(i).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let timeouts: Vec<_> = (0..50)
            .map(|_| tokio::spawn(tokio::time::timeout(Duration::from_millis(1), never_finishes())))
            .collect();
        for t in timeouts {
            assert!(t.await.unwrap().is_err(), "timed out");
        }
    });

    let scraped = scrape();
    let count = |name: &str, status: &str| {
        scraped.sum(EXECUTIONS, &[("primitive_name", name), ("status", status)])
    };
    assert_eq!(count("add_one", "success"), 8000.0);
    assert_eq!(count("add_one", "error"), 0.0);
    assert_eq!(count("maybe_fail", "success"), 500.0);
    assert_eq!(count("maybe_fail", "error"), 500.0);
    assert_eq!(count("always_panics", "panic"), 3.0);
    assert_eq!(count("always_panics", "success"), 0.0);
    assert_eq!(count("async_step", "success"), 2000.0);
    assert_eq!(count("never_finishes", "cancelled"), 50.0);
    assert_eq!(
        scraped.find(EXECUTIONS, &[("primitive_name", "async_step")])[0].label("primitive_type"),
        Some("step")
    );
    assert_eq!(
        scraped.find(EXECUTIONS, &[("primitive_name", "add_one")])[0].label("primitive_type"),
        Some("function")
    );
    // Every execution is timed exactly once, under the same status.
    for (name, status, expected) in [
        ("add_one", "success", 8000.0),
        ("maybe_fail", "error", 500.0),
        ("always_panics", "panic", 3.0),
        ("never_finishes", "cancelled", 50.0),
    ] {
        let timed = scraped.sum(DURATION_COUNT, &[("primitive_name", name), ("status", status)]);
        assert_eq!(timed, expected, "{name} {status}");
    }
    // Nothing left in flight after every kind of exit.
    for name in ["add_one", "maybe_fail", "always_panics", "async_step", "never_finishes"] {
        assert_eq!(scraped.value(ACTIVE, &[("primitive_name", name)]), 0.0, "{name}");
    }
}

#[test]
fn call_sites_export_zero_series_before_their_first_call() {
    let scraped = scrape();
    for status in ["success", "error", "panic", "cancelled"] {
        let labels = [("primitive_name", "never_called"), ("status", status)];
        assert_eq!(scraped.value(EXECUTIONS, &labels), 0.0);
    }
    // The series budget at rest (README, "Metrics"): the duration histogram of `success`
    // only; another status's appears with its first execution.
    let success = [("primitive_name", "never_called"), ("status", "success")];
    assert_eq!(scraped.value(DURATION_COUNT, &success), 0.0);
    let durations = scraped.find(DURATION_COUNT, &[("primitive_name", "never_called")]);
    assert_eq!(durations.len(), 1, "{durations:?}");
    let series =
        scraped.samples.iter().filter(|s| s.label("primitive_name") == Some("never_called"));
    assert_eq!(series.count(), 4 + 15 + 1 + 2 + 1, "counter, buckets, +Inf, sum and count, gauge");
    assert_eq!(scraped.value(ACTIVE, &[("primitive_name", "never_called")]), 0.0);
}

#[test]
fn durations_use_second_scale_buckets_and_overrides_apply() {
    LazyLock::force(&TELEMETRY);
    labelled_with_buckets();
    let scraped = scrape();
    let les = |name: &str| -> BTreeSet<String> {
        scraped
            .find(
                "flowmeter_execution_duration_seconds_bucket",
                &[("primitive_name", name), ("status", "success")],
            )
            .iter()
            .map(|s| s.label("le").unwrap().to_owned())
            .collect()
    };
    let default: BTreeSet<String> = catalog::DURATION_BUCKETS
        .iter()
        .map(|b| b.to_string())
        .chain(["+Inf".to_owned()])
        .collect();
    assert_eq!(les("never_called"), default);
    assert!(default.contains("0.001") && default.contains("60"));
    assert_eq!(les("labelled_with_buckets"), ["0.5", "1", "+Inf"].map(String::from).into());
    let sample = &scraped
        .find(EXECUTIONS, &[("primitive_name", "labelled_with_buckets"), ("status", "success")])[0];
    assert_eq!(sample.label("team"), Some("search"));
    assert_eq!(sample.value, 1.0);
}

#[test]
fn series_are_unique_and_names_never_repeat_a_suffix() {
    LazyLock::force(&TELEMETRY);
    touch();
    let scraped = scrape();
    let mut seen = BTreeSet::new();
    for sample in &scraped.samples {
        assert!(
            seen.insert((sample.name.clone(), sample.labels.clone())),
            "duplicate series {sample:?}"
        );
        for repeated in ["_total_total", "_seconds_seconds", "_bytes_bytes"] {
            assert!(!sample.name.contains(repeated), "{} repeats a suffix", sample.name);
        }
        for label in sample.labels.keys() {
            assert!(!label.starts_with("otel_scope"), "scope label {label} on {}", sample.name);
            assert!(label != "job" && label != "instance", "reserved label on {}", sample.name);
        }
    }
}

#[test]
fn target_info_carries_the_resource() {
    let scraped = scrape();
    let info = scraped.find("target_info", &[]);
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].label("service_name"), Some("exposition-test"));
    assert_eq!(info[0].label("service_version"), Some("1.2.3"));
}

#[test]
fn every_flowmeter_family_is_in_the_catalog_with_its_type_help_and_labels() {
    LazyLock::force(&TELEMETRY);
    touch();
    let scraped = scrape();
    let listed = catalog::list("flowmeter");
    let mut checked = 0;
    for (family, ty) in &scraped.types {
        if !family.starts_with("flowmeter_") {
            continue;
        }
        let entry = listed
            .iter()
            .find(|m| &m.prometheus_name == family)
            .unwrap_or_else(|| panic!("{family} not in catalog"));
        assert_eq!(*ty, entry.prometheus_type, "{family}");
        assert_eq!(scraped.help[family], entry.description, "{family}");
        let allowed: BTreeSet<&str> =
            entry.labels.iter().map(String::as_str).chain(["le", "team"]).collect();
        for sample in scraped.samples.iter().filter(|s| s.name.starts_with(family.as_str())) {
            for label in sample.labels.keys() {
                assert!(allowed.contains(label.as_str()), "{family} has undeclared label {label}");
            }
        }
        checked += 1;
    }
    // Executions, duration and active, and the failure counters of the serving paths.
    assert_eq!(checked, 5, "exported from the start: {:?}", scraped.types.keys());
}

#[test]
fn exposition_passes_promtool_check_metrics() {
    LazyLock::force(&TELEMETRY);
    touch();
    let response = http_get(TELEMETRY.local_addr().unwrap(), "/metrics");
    promtool_check_metrics(&response.body);
}

#[test]
fn installing_twice_is_an_error() {
    LazyLock::force(&TELEMETRY);
    let second =
        Telemetry::builder().ephemeral_port().ignore_env().install_subscriber(false).install();
    assert!(matches!(second, Err(flowmeter::Error::AlreadyInstalled)), "{second:?}");
}
