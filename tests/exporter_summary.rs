//! `/metadata` and `/summary` over real loopback HTTP, after known activity through
//! `#[instrumented]` functions and `flowmeter::app` metrics: kinds, HELP, label lists,
//! counter totals, per-series values, histogram count and sum, HEAD, the library calls, and
//! agreement with the text exposition.
//!
//! All activity is recorded once, by the fixture, before any test reads: tests run in
//! parallel, and this way every test sees the same families and values.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::LazyLock;

use common::{http_get, parse};
use flowmeter::app::{self, AppCounter, AppGauge, AppHistogram, AppUpDownCounter};
use flowmeter::exporter::{Endpoints, MetricKind, MetricMetadata, Summary};
use flowmeter::metrics::catalog;
use flowmeter::{Telemetry, instrumented};
use serde_json::{Value, json};

const EXECUTIONS: &str = "flowmeter_primitive_executions_total";
const DURATION: &str = "flowmeter_execution_duration_seconds";
const ACTIVE: &str = "flowmeter_primitive_active";
const JSON: &str = "application/json";

static ORDERS: LazyLock<AppCounter> = LazyLock::new(|| {
    app::counter("orders.placed")
        .help("Orders placed")
        .labels(["region", "channel"])
        .build()
        .unwrap()
});
static QUEUE: LazyLock<AppGauge> = LazyLock::new(|| {
    app::gauge("queue.depth").help("Messages waiting").labels(["queue"]).build().unwrap()
});
static CHECKOUT: LazyLock<AppHistogram> = LazyLock::new(|| {
    app::histogram("checkout.duration")
        .help("Checkout duration")
        .unit("s")
        .labels(["region"])
        .buckets([0.5, 1.0, 5.0])
        .build()
        .unwrap()
});
static CARTS: LazyLock<AppUpDownCounter> =
    LazyLock::new(|| app::up_down_counter("active.carts").help("Open carts").build().unwrap());

#[instrumented(span = false)]
fn parse_quantity(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[instrumented(kind = "step", span = false)]
async fn fetch_page(n: u32) -> u32 {
    tokio::task::yield_now().await;
    n + 1
}

/// The process's pipeline, serving on an ephemeral port, after the known activity; and what
/// the JSON routes answered before it was installed.
struct Fixture {
    telemetry: Telemetry,
    before_install: Vec<(&'static str, u16, String)>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    // Nothing else installs in this process, so this runs before any pipeline exists.
    let endpoints = Endpoints::default();
    let before_install = ["/metadata", "/summary"]
        .into_iter()
        .map(|path| {
            let response = endpoints.respond(&hyper::Request::get(path).body(()).unwrap());
            let status = response.status().as_u16();
            (path, status, body_text(response.into_body()))
        })
        .collect();
    let telemetry = Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .install_subscriber(false)
        .service_name("summary-test")
        .install()
        .expect("install telemetry");
    record_activity();
    Fixture { telemetry, before_install }
});

/// The text of a response body that is already complete (`Full` is ready at once).
fn body_text(body: http_body_util::Full<bytes::Bytes>) -> String {
    let collected = futures_util::FutureExt::now_or_never(http_body_util::BodyExt::collect(body));
    let bytes = collected.expect("a full body is ready").unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn record_activity() {
    for text in ["1", "2", "3", "x", ""] {
        let _ = parse_quantity(text); // 3 successes, 2 errors
    }
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        for n in 0..4 {
            assert_eq!(fetch_page(n).await, n + 1);
        }
    });
    ORDERS.add(3, &["eu", "web"]).unwrap();
    ORDERS.add(2, &["us", "web"]).unwrap();
    ORDERS.add(1, &["eu", "app"]).unwrap();
    QUEUE.set(7.0, &["inbound"]).unwrap();
    QUEUE.set(2.5, &["outbound"]).unwrap();
    for seconds in [0.25, 0.75, 2.0] {
        CHECKOUT.record(seconds, &["eu"]).unwrap();
    }
    CHECKOUT.record(4.0, &["us"]).unwrap();
    CARTS.add(5, &[]).unwrap();
    CARTS.add(-2, &[]).unwrap();
}

fn telemetry() -> &'static Telemetry {
    &FIXTURE.telemetry
}

fn addr() -> SocketAddr {
    telemetry().local_addr().expect("the fixture serves")
}

/// `GET path`, asserting `200` with a JSON body of the announced length.
fn get_json(path: &str) -> Value {
    let response = http_get(addr(), path);
    assert_eq!(response.status, 200, "{path}: {response:?}");
    assert_eq!(response.header("content-type"), Some(JSON), "{path}");
    let length: usize = response.header("content-length").unwrap().parse().unwrap();
    assert_eq!(length, response.body.len(), "{path}");
    serde_json::from_str(&response.body).expect("JSON body")
}

/// `HEAD path` over loopback, read to the end.
/// `value` as JSON text parsed back, so it compares equal to a body parsed the same way.
fn as_served(value: &impl serde::Serialize) -> Value {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

fn find<'a>(metadata: &'a [Value], name: &str) -> &'a Value {
    metadata.iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("{name} not listed"))
}

#[test]
fn before_install_the_json_routes_are_503() {
    for (path, status, body) in &FIXTURE.before_install {
        assert_eq!(*status, 503, "{path}: {body}");
        assert!(body.contains("not installed"), "{path}: {body}");
    }
}

#[test]
fn metadata_lists_every_family_with_kind_help_and_labels() {
    let doc = get_json("/metadata");
    let metadata = doc.as_array().expect("a JSON array");
    let names: Vec<&str> = metadata.iter().map(|m| m["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name");

    for (name, kind, help, labels) in [
        ("orders_placed_total", "counter", "Orders placed", &["channel", "region"][..]),
        ("queue_depth", "gauge", "Messages waiting", &["queue"]),
        ("checkout_duration_seconds", "histogram", "Checkout duration", &["region"]),
        ("active_carts", "gauge", "Open carts", &[]),
    ] {
        let expected = json!({"name": name, "kind": kind, "help": help, "labels": labels});
        assert_eq!(find(metadata, name), &expected);
    }

    let described = catalog::list("flowmeter");
    for (name, kind, labels) in [
        // `error_type` is on the errored series (parse_quantity's ParseIntError).
        (EXECUTIONS, "counter", &["error_type", "primitive_name", "primitive_type", "status"][..]),
        (DURATION, "histogram", &["error_type", "primitive_name", "primitive_type", "status"]),
        (ACTIVE, "gauge", &["primitive_name", "primitive_type"]),
    ] {
        let entry = described.iter().find(|m| m.prometheus_name == name).unwrap();
        let expected = json!({
            "name": name, "kind": kind, "help": entry.description, "labels": labels,
        });
        assert_eq!(find(metadata, name), &expected);
    }

    let target_info = find(metadata, "target_info");
    assert_eq!(target_info["kind"], "gauge");
    assert!(target_info["labels"].as_array().unwrap().contains(&json!("service_name")));
}

#[test]
fn summary_has_totals_series_values_and_histogram_count_and_sum() {
    let doc = get_json("/summary");
    let metrics = &doc["metrics"];

    assert_eq!(
        metrics["orders_placed_total"],
        json!({"kind": "counter", "total": 6.0, "series": [
            {"labels": {"channel": "app", "region": "eu"}, "value": 1.0},
            {"labels": {"channel": "web", "region": "eu"}, "value": 3.0},
            {"labels": {"channel": "web", "region": "us"}, "value": 2.0},
        ]})
    );
    assert_eq!(
        metrics["queue_depth"],
        json!({"kind": "gauge", "series": [
            {"labels": {"queue": "inbound"}, "value": 7.0},
            {"labels": {"queue": "outbound"}, "value": 2.5},
        ]})
    );
    assert_eq!(
        metrics["checkout_duration_seconds"],
        json!({"kind": "histogram", "count": 4, "sum": 7.0, "series": [
            {"labels": {"region": "eu"}, "count": 3, "sum": 3.0},
            {"labels": {"region": "us"}, "count": 1, "sum": 4.0},
        ]})
    );
    assert_eq!(
        metrics["active_carts"],
        json!({"kind": "gauge", "series": [{"labels": {}, "value": 3.0}]})
    );

    // flowmeter's own metrics: exact counts; durations are timed, so only their count is.
    let executions = &metrics[EXECUTIONS];
    assert_eq!(executions["kind"], "counter");
    // The series of `name` and `status` with no `error_type` (errors: of `error_type` too).
    let typed_series = |family: &Value, name: &str, status: &str, error_type: Option<&str>| {
        let found: Vec<&Value> = family["series"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["labels"]["primitive_name"] == name && s["labels"]["status"] == status)
            .filter(|s| s["labels"].get("error_type").and_then(Value::as_str) == error_type)
            .collect();
        assert_eq!(found.len(), 1, "{name} {status} {error_type:?}: {found:?}");
        found[0].clone()
    };
    let series =
        |family: &Value, name: &str, status: &str| typed_series(family, name, status, None);
    let parse_error = Some("ParseIntError");
    let labels = |name: &str, kind: &str, status: &str| json!({"primitive_name": name, "primitive_type": kind, "status": status});
    assert_eq!(
        series(executions, "parse_quantity", "success"),
        json!({"labels": labels("parse_quantity", "function", "success"), "value": 3.0})
    );
    assert_eq!(typed_series(executions, "parse_quantity", "error", parse_error)["value"], 2.0);
    assert_eq!(series(executions, "parse_quantity", "error")["value"], 0.0, "untyped: none");
    assert_eq!(series(executions, "parse_quantity", "panic")["value"], 0.0);
    assert_eq!(
        series(executions, "fetch_page", "success"),
        json!({"labels": labels("fetch_page", "step", "success"), "value": 4.0})
    );
    let total: f64 =
        executions["series"].as_array().unwrap().iter().map(|s| s["value"].as_f64().unwrap()).sum();
    assert_eq!(executions["total"].as_f64(), Some(total));
    assert_eq!(total, 9.0, "nothing else is instrumented in this test binary");

    let duration = &metrics[DURATION];
    assert_eq!(duration["kind"], "histogram");
    assert_eq!(duration["count"], 9);
    let timed = typed_series(duration, "parse_quantity", "error", parse_error);
    assert_eq!(timed["count"], 2);
    assert!(timed["sum"].as_f64().unwrap() >= 0.0, "{timed}");
    assert!(timed.get("value").is_none(), "histograms have no value: {timed}");
    assert!(duration.get("total").is_none(), "only counters have a total: {duration}");

    assert_eq!(metrics["target_info"]["series"][0]["value"], 1.0);
    assert_eq!(metrics["target_info"]["series"][0]["labels"]["service_name"], "summary-test");
}

#[test]
fn the_library_calls_return_what_is_served() {
    let served_metadata = get_json("/metadata");
    assert_eq!(served_metadata, as_served(&telemetry().metadata()));
    assert_eq!(telemetry().metadata(), flowmeter::exporter::metadata(telemetry().pipeline()));

    let served_summary = get_json("/summary");
    let summary: Summary = telemetry().summary();
    assert_eq!(served_summary, as_served(&summary));
    assert_eq!(summary, flowmeter::exporter::summary(telemetry().pipeline()));

    assert_eq!(summary.counter_total("orders_placed_total"), Some(6.0));
    assert_eq!(summary.counter_total(EXECUTIONS), Some(9.0));
    assert_eq!(summary.counter_total("queue_depth"), None, "a gauge");
    assert_eq!(summary.value("orders_placed_total", &[("region", "us")]), Some(2.0));
    assert_eq!(summary.value("orders_placed_total", &[("region", "eu")]), None, "two series");
    assert_eq!(summary.value("queue_depth", &[("queue", "outbound")]), Some(2.5));
    assert_eq!(
        summary.value(EXECUTIONS, &[("primitive_name", "fetch_page"), ("status", "success")]),
        Some(4.0)
    );
    let checkout = summary.get("checkout_duration_seconds").unwrap();
    assert_eq!(
        (checkout.kind, checkout.count, checkout.sum),
        (MetricKind::Histogram, Some(4), Some(7.0))
    );
}

#[test]
fn metadata_lists_every_exported_family_as_typed_and_the_rest_are_declared() {
    let metadata: Vec<MetricMetadata> = telemetry().metadata();
    let text = http_get(addr(), "/metrics").body;
    let exposition = parse(&text);
    let listed: BTreeSet<&str> = metadata.iter().map(|m| m.name.as_str()).collect();
    let typed: BTreeSet<&str> = exposition.types.keys().map(String::as_str).collect();
    assert!(listed.is_superset(&typed), "{:?} missing", typed.difference(&listed));
    // What is listed without a series yet is declared: flowmeter's catalog (the app metrics
    // of this binary all have series).
    let declared: BTreeSet<String> =
        catalog::list("flowmeter").into_iter().map(|m| m.prometheus_name).collect();
    for name in listed.difference(&typed) {
        assert!(declared.contains(*name), "{name} is listed but neither exported nor declared");
    }
    for family in metadata.iter().filter(|m| typed.contains(m.name.as_str())) {
        assert_eq!(exposition.types[&family.name], family.kind.as_str(), "{}", family.name);
        assert_eq!(exposition.help[&family.name], family.help, "{}", family.name);
    }
}

#[test]
fn summary_values_are_the_exposition_samples() {
    let summary = telemetry().summary();
    let exposition = parse(&telemetry().render());
    let sample = |name: &str, labels: &std::collections::BTreeMap<String, String>| -> f64 {
        let matchers: Vec<(&str, &str)> =
            labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let found = exposition.find(name, &matchers);
        let exact: Vec<_> = found.iter().filter(|s| s.labels.len() == labels.len()).collect();
        assert_eq!(exact.len(), 1, "{name}{labels:?}");
        exact[0].value
    };
    let mut series_checked = 0;
    for (name, family) in &summary.metrics {
        for series in &family.series {
            match family.kind {
                MetricKind::Histogram => {
                    let count = sample(&format!("{name}_count"), &series.labels);
                    assert_eq!(series.count, Some(count as u64), "{name}");
                    assert_eq!(series.sum, Some(sample(&format!("{name}_sum"), &series.labels)));
                }
                _ => assert_eq!(series.value, Some(sample(name, &series.labels)), "{name}"),
            }
            series_checked += 1;
        }
    }
    assert!(series_checked > 20, "{series_checked}");
}

#[test]
fn head_has_the_headers_and_no_body() {
    for path in ["/metadata", "/summary"] {
        let get_length = http_get(addr(), path).body.len();
        let response = common::http_head(addr(), path);
        assert_eq!(response.status, 200, "{path}: {response:?}");
        assert_eq!(response.header("content-type"), Some(JSON), "{path}");
        let length: usize = response.header("content-length").unwrap().parse().unwrap();
        assert_eq!(length, get_length, "{path}: HEAD announces the GET body's length");
        assert_eq!(response.body, "", "{path}");
    }
}

#[test]
fn not_found_lists_the_json_routes() {
    let response = http_get(addr(), "/nope");
    assert_eq!(response.status, 404);
    assert_eq!(
        response.body,
        "not found; flowmeter serves /metrics, /catalog, /metadata, /summary and /health\n"
    );
}
