//! The OTLP export scenario, run once per transport (`tests/otlp_export_grpc.rs`,
//! `tests/otlp_export_http.rs`): instrumented calls and a workflow run with OTLP pointed at the
//! in-process receiver, then the guard dropped (which must flush), then exact assertions on
//! the spans and metric points received and on the Prometheus names they map to.

use std::collections::BTreeMap;

use flowmeter::metrics::catalog::{CATALOG, DURATION_BUCKETS};
use flowmeter::otlp::{OtlpConfig, Protocol};
use flowmeter::primitives::{Context, Workflow, step};
use flowmeter::{Telemetry, instrumented};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics, metric, number_data_point};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{Span, status::StatusCode};

use super::otlp_receiver::{OtlpReceiver, Transport, attribute, has_attributes, metric};
use super::{Exposition, parse};

#[derive(Debug)]
struct LookupError;

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no such key")
    }
}

impl std::error::Error for LookupError {}

#[instrumented]
fn otlp_inner() -> u8 {
    1
}

#[instrumented(kind = "step")]
fn otlp_outer() -> u8 {
    otlp_inner() + otlp_inner()
}

#[instrumented(err)]
fn otlp_failing() -> Result<(), LookupError> {
    Err(LookupError)
}

/// Runs the scenario against a receiver speaking `transport`.
pub fn run(transport: Transport) {
    let receiver = OtlpReceiver::start(transport);
    let protocol = match transport {
        Transport::Grpc => Protocol::Grpc,
        Transport::HttpProtobuf => Protocol::HttpProtobuf,
    };
    let service = format!("otlp-test-{protocol:?}").to_lowercase();
    let telemetry = Telemetry::builder()
        .serve(false)
        .ignore_env()
        .service_name(service.clone())
        // The interval is long: everything the test asserts must arrive through the flush
        // that dropping the guard performs.
        .otlp(
            OtlpConfig::new()
                .endpoint(receiver.endpoint())
                .protocol(protocol)
                .header("x-tenant", "blue team"),
        )
        .install()
        .expect("install with OTLP");

    assert_eq!(otlp_outer(), 2);
    assert!(otlp_failing().is_err());
    let add = |name: &'static str, k: u64| {
        step(name, move |x: u64, _ctx: Context| std::future::ready(Ok::<_, LookupError>(x + k)))
    };
    let workflow =
        Workflow::new("otlp_wf", (add("otlp_a", 1) >> add("otlp_b", 10)).named("otlp_seq"));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(runtime.block_on(workflow.run(0)).unwrap(), 11);

    let exposition = parse(&telemetry.render());
    assert!(receiver.last_metrics().is_none(), "no metric export before the 60 s interval");
    drop(telemetry);

    let headers = receiver.request_headers();
    assert!(headers.len() >= 2, "span and metric exports at the flush: {headers:?}");
    for request in headers {
        assert!(request.contains(&("x-tenant".into(), "blue team".into())), "{request:?}");
    }
    let spans = receiver.spans();
    assert_spans(&spans, &service);
    let metrics = receiver.last_metrics().expect("the flush on drop exported metrics");
    assert_metrics(&metrics, &service);
    assert_prometheus_names_match_the_bridge(&metrics, &exposition);
}

fn resource_attribute(resource: &Resource, key: &str) -> Option<String> {
    attribute(&resource.attributes, key)
}

fn one<'a>(spans: &'a [(Resource, Span)], name: &str) -> &'a Span {
    let found: Vec<_> = spans.iter().filter(|(_, s)| s.name == name).map(|(_, s)| s).collect();
    assert_eq!(found.len(), 1, "one span named {name}");
    found[0]
}

fn assert_spans(spans: &[(Resource, Span)], service: &str) {
    let names: Vec<&str> = spans.iter().map(|(_, s)| s.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "otlp_a",
            "otlp_b",
            "otlp_failing",
            "otlp_inner",
            "otlp_inner",
            "otlp_outer",
            "otlp_seq",
            "otlp_wf"
        ],
        "exactly the spans of the calls made"
    );
    for (resource, _) in spans {
        assert_eq!(resource_attribute(resource, "service.name").as_deref(), Some(service));
    }

    // Nested calls: one trace, the outer call the root.
    let outer = one(spans, "otlp_outer");
    assert!(outer.parent_span_id.is_empty(), "otlp_outer is a root");
    assert!(has_attributes(
        &outer.attributes,
        &[("primitive.name", "otlp_outer"), ("primitive.type", "step")]
    ));
    assert!(!outer.attributes.iter().any(|kv| kv.key == "status"), "a success records no status");
    let inner: Vec<&Span> =
        spans.iter().map(|(_, s)| s).filter(|s| s.name == "otlp_inner").collect();
    for span in inner {
        assert_eq!(span.parent_span_id, outer.span_id);
        assert_eq!(span.trace_id, outer.trace_id);
        assert!(has_attributes(&span.attributes, &[("primitive.type", "function")]));
    }

    // An error: status, type and message.
    let failing = one(spans, "otlp_failing");
    let status = failing.status.clone().expect("a status");
    assert_eq!(status.code, StatusCode::Error as i32);
    assert!(has_attributes(
        &failing.attributes,
        &[("status", "error"), ("error.type", "LookupError"), ("error", "no such key")]
    ));
    assert_ne!(failing.trace_id, outer.trace_id, "separate calls are separate traces");

    // A workflow run: one trace, workflow > sequential > steps.
    let root = one(spans, "otlp_wf");
    assert!(root.parent_span_id.is_empty());
    let sequential = one(spans, "otlp_seq");
    assert_eq!(sequential.parent_span_id, root.span_id);
    assert!(has_attributes(&sequential.attributes, &[("primitive.type", "sequential")]));
    for name in ["otlp_a", "otlp_b"] {
        let child = one(spans, name);
        assert_eq!(child.parent_span_id, sequential.span_id, "{name}");
        assert_eq!(child.trace_id, root.trace_id, "{name}");
    }
}

/// The numeric value of a sum or gauge point.
fn number(value: &Option<number_data_point::Value>) -> f64 {
    match value {
        Some(number_data_point::Value::AsDouble(v)) => *v,
        Some(number_data_point::Value::AsInt(v)) => *v as f64,
        None => panic!("a point without a value"),
    }
}

/// The sum of the points of `metric` with `matchers` among their attributes (errors are split
/// by `error_type`), of which there is at least one.
fn sum_point(metric: &Metric, matchers: &[(&str, &str)]) -> f64 {
    let Some(metric::Data::Sum(sum)) = &metric.data else { panic!("{} is not a sum", metric.name) };
    let points: Vec<_> =
        sum.data_points.iter().filter(|p| has_attributes(&p.attributes, matchers)).collect();
    assert!(!points.is_empty(), "a point of {} with {matchers:?}", metric.name);
    points.iter().map(|p| number(&p.value)).sum()
}

fn assert_metrics(metrics: &ResourceMetrics, service: &str) {
    let resource = metrics.resource.clone().expect("a resource");
    assert_eq!(resource_attribute(&resource, "service.name").as_deref(), Some(service));

    // Every metric received is a catalog metric under its OpenTelemetry name.
    let catalog: BTreeMap<String, _> =
        CATALOG.iter().map(|def| (def.otel_name("flowmeter"), def)).collect();
    for received in super::otlp_receiver::metrics_of(metrics) {
        let def = catalog
            .get(&received.name)
            .unwrap_or_else(|| panic!("{} is not in the catalog", received.name));
        assert_eq!(received.unit, def.unit, "{}", received.name);
        assert_eq!(received.description, def.description, "{}", received.name);
    }

    let executions = metric(metrics, "flowmeter.primitive.executions");
    let Some(metric::Data::Sum(sum)) = &executions.data else { panic!("executions: a sum") };
    assert!(sum.is_monotonic);
    assert_eq!(sum.aggregation_temporality, 2, "cumulative, as Prometheus stores it");
    let count = |name: &str, status: &str| {
        sum_point(executions, &[("primitive_name", name), ("status", status)])
    };
    assert_eq!(count("otlp_inner", "success"), 2.0);
    assert_eq!(count("otlp_outer", "success"), 1.0);
    assert_eq!(count("otlp_failing", "error"), 1.0);
    assert_eq!(count("otlp_seq", "success"), 1.0);
    assert_eq!(count("otlp_a", "success"), 1.0);

    let active = metric(metrics, "flowmeter.primitive.active");
    let Some(metric::Data::Sum(active_sum)) = &active.data else { panic!("active: a sum") };
    assert!(!active_sum.is_monotonic, "an up-down counter");
    assert_eq!(sum_point(active, &[("primitive_name", "otlp_outer")]), 0.0);

    let workflows = metric(metrics, "flowmeter.workflow.executions");
    assert_eq!(sum_point(workflows, &[("workflow_name", "otlp_wf"), ("status", "success")]), 1.0);

    let duration = metric(metrics, "flowmeter.execution.duration");
    let Some(metric::Data::Histogram(histogram)) = &duration.data else {
        panic!("duration: a histogram")
    };
    let inner: Vec<_> = histogram
        .data_points
        .iter()
        .filter(|p| {
            has_attributes(
                &p.attributes,
                &[("primitive_name", "otlp_inner"), ("status", "success")],
            )
        })
        .collect();
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0].count, 2);
    assert_eq!(inner[0].explicit_bounds, DURATION_BUCKETS);
    assert_eq!(inner[0].bucket_counts.iter().sum::<u64>(), 2);
}

/// The Prometheus name a collector's Prometheus exporters or Prometheus's own OTLP receiver
/// derive for a metric (written here from the OpenTelemetry specification's "Prometheus and
/// OpenMetrics Compatibility", independent of flowmeter's own naming code).
fn derived_prometheus_name(metric: &Metric) -> String {
    let mut name: String =
        metric.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    match metric.unit.as_str() {
        "s" => name.push_str("_seconds"),
        "By" => name.push_str("_bytes"),
        unit if unit.is_empty() || (unit.starts_with('{') && unit.ends_with('}')) => {}
        unit => panic!("unit {unit} of {} is not mapped by this test", metric.name),
    }
    if matches!(&metric.data, Some(metric::Data::Sum(sum)) if sum.is_monotonic) {
        name.push_str("_total");
    }
    name
}

fn prometheus_labels(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|kv| {
            let key = kv.key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' });
            let value = kv.value.as_ref().map(super::otlp_receiver::any_value_text);
            (key.collect(), value.unwrap_or_default())
        })
        .collect()
}

/// The one exposition sample of `name` whose labels (scope labels aside) are exactly `labels`.
fn exposed(exposition: &Exposition, name: &str, labels: &BTreeMap<String, String>) -> f64 {
    let found: Vec<_> = exposition
        .samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            let own: BTreeMap<String, String> = s
                .labels
                .iter()
                .filter(|(k, _)| !k.starts_with("otel_scope_"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            &own == labels
        })
        .collect();
    assert_eq!(found.len(), 1, "one exposed {name}{labels:?}");
    found[0].value
}

/// Each metric received maps to a family the bridge exposes, of the same type, and each point
/// to a sample of the same value: OTLP and /metrics say the same thing under the same names.
fn assert_prometheus_names_match_the_bridge(metrics: &ResourceMetrics, exposition: &Exposition) {
    let mut checked_points = 0;
    for received in super::otlp_receiver::metrics_of(metrics) {
        let family = derived_prometheus_name(received);
        let exposed_type = exposition.types.get(&family).map(String::as_str);
        match &received.data {
            Some(metric::Data::Sum(sum)) => {
                let expected = if sum.is_monotonic { "counter" } else { "gauge" };
                assert_eq!(exposed_type, Some(expected), "{} → {family}", received.name);
                for point in &sum.data_points {
                    let labels = prometheus_labels(&point.attributes);
                    assert_eq!(exposed(exposition, &family, &labels), number(&point.value));
                    checked_points += 1;
                }
            }
            Some(metric::Data::Gauge(gauge)) => {
                assert_eq!(exposed_type, Some("gauge"), "{} → {family}", received.name);
                for point in &gauge.data_points {
                    let labels = prometheus_labels(&point.attributes);
                    assert_eq!(exposed(exposition, &family, &labels), number(&point.value));
                    checked_points += 1;
                }
            }
            Some(metric::Data::Histogram(histogram)) => {
                assert_eq!(exposed_type, Some("histogram"), "{} → {family}", received.name);
                for point in &histogram.data_points {
                    let labels = prometheus_labels(&point.attributes);
                    let count = exposed(exposition, &format!("{family}_count"), &labels);
                    assert_eq!(count, point.count as f64);
                    let sum = exposed(exposition, &format!("{family}_sum"), &labels);
                    let received_sum = point.sum.expect("a histogram sum");
                    assert!((sum - received_sum).abs() <= 1e-9 * received_sum.abs().max(1.0));
                    checked_points += 1;
                }
            }
            other => panic!("{}: unexpected data {other:?}", received.name),
        }
    }
    assert!(checked_points >= 10, "the scenario checked {checked_points} points");
}
