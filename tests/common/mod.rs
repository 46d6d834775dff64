//! Helpers of the runtime's integration tests: installing the process's pipeline, capture and
//! fault probes, the OTLP receiver; the harness shared with `flowmeter-cli`'s tests (HTTP over
//! loopback, exposition parser, promtool, a real Prometheus) is `flowmeter-testkit`.
#![allow(dead_code)]

pub mod capture;
pub mod faults;
#[cfg(feature = "otlp")]
pub mod otlp_scenario;
pub mod traces;

// Not every test binary uses the shared harness.
#[allow(unused_imports)]
pub use flowmeter_testkit::*;

use flowmeter::Telemetry;
use flowmeter::telemetry::Sampler;
use opentelemetry_sdk::trace::InMemorySpanExporter;

/// Installs the process's pipeline for metrics tests: no endpoint, no tracing subscriber,
/// environment ignored.
pub fn install_metrics_only() -> Telemetry {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("install telemetry")
}

/// Installs the process's pipeline for span tests: spans to `exporter`, the global tracing
/// subscriber on, no endpoint, environment ignored.
pub fn install_with_span_exporter(exporter: &InMemorySpanExporter) -> Telemetry {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .with_span_exporter(exporter.clone())
        .install()
        .expect("install telemetry")
}

/// Installs the process's pipeline for endpoint tests: serving on a loopback port the OS
/// picks, no tracing subscriber, environment ignored.
pub fn install_serving() -> Telemetry {
    Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("install telemetry")
}

/// Installs the process's pipeline for trace-decision tests: `sampler`, spans to `exporter`,
/// the global tracing subscriber on, no endpoint, environment ignored.
pub fn install_sampled(exporter: &InMemorySpanExporter, sampler: Sampler) -> Telemetry {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .sampler(sampler)
        .with_span_exporter(exporter.clone())
        .install()
        .expect("install telemetry")
}
