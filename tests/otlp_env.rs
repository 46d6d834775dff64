//! OTLP configured only by the standard environment variables, as a deployment would:
//! `OTEL_EXPORTER_OTLP_ENDPOINT`, `_PROTOCOL`, `_HEADERS` (percent-encoded), the metric export
//! interval in milliseconds and `OTEL_SERVICE_NAME`; no OTLP code in the program. Spans and
//! metrics reach the in-process receiver with the header, once per request.
#![cfg(feature = "otlp")]

mod common;

use common::otlp_receiver::{OtlpReceiver, Transport, attribute, has_attributes, metric};
use flowmeter::{Telemetry, instrumented};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;

#[instrumented]
fn configured_by_env() -> u8 {
    3
}

#[test]
fn the_standard_variables_alone_turn_export_on_and_configure_it() {
    let receiver = OtlpReceiver::start(Transport::Grpc);
    // SAFETY: the only test of this binary sets the variables before any other thread reads
    // the environment.
    unsafe {
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint());
        std::env::set_var("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        std::env::set_var("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=red%20team");
        std::env::set_var("OTEL_METRIC_EXPORT_INTERVAL", "100");
        std::env::set_var("OTEL_SERVICE_NAME", "env-configured");
    }
    let telemetry = Telemetry::builder().serve(false).install().expect("install from env");
    assert!(telemetry.otlp().is_some(), "the endpoint variable turns OTLP on");

    assert_eq!(configured_by_env(), 3);
    // The metric interval is 100 ms: no flush needed for metrics.
    let metrics = receiver.wait_for_metrics(|m| {
        m.scope_metrics.iter().flat_map(|s| &s.metrics).any(|metric| {
            matches!(&metric.data, Some(Data::Sum(sum)) if sum.data_points.iter().any(|p| {
                has_attributes(&p.attributes, &[("primitive_name", "configured_by_env")])
            }))
        })
    });
    let resource = metrics.resource.clone().unwrap();
    assert_eq!(attribute(&resource.attributes, "service.name").as_deref(), Some("env-configured"));
    let _ = metric(&metrics, "flowmeter.primitive.executions");

    drop(telemetry);
    let spans = receiver.spans();
    assert_eq!(spans.iter().filter(|(_, s)| s.name == "configured_by_env").count(), 1);
    for request in receiver.request_headers() {
        let tenants: Vec<_> = request.iter().filter(|(k, _)| k == "x-tenant").collect();
        assert_eq!(tenants, [&("x-tenant".to_owned(), "red team".to_owned())], "{request:?}");
    }
}
