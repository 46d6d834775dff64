//! `FLOWMETER_EXEMPLARS=false` switches exemplars off: a call in a sampled span is counted and
//! traced, and the OpenMetrics body has no exemplar.

mod common;

use flowmeter::Telemetry;
use opentelemetry_sdk::trace::InMemorySpanExporter;

#[flowmeter::instrumented]
fn traced_step() -> u32 {
    4
}

#[test]
fn the_variable_switches_exemplars_off() {
    // SAFETY: this binary has this one test, which sets the variable before any thread that
    // could read the environment is started.
    unsafe { std::env::set_var("FLOWMETER_EXEMPLARS", "false") };
    let exporter = InMemorySpanExporter::default();
    let telemetry = Telemetry::builder()
        .serve(false)
        .with_span_exporter(exporter.clone())
        .install()
        .expect("install telemetry");
    assert!(!telemetry.config().exemplars);
    traced_step();

    let spans = common::traces::spans_named(&exporter, &["traced_step"]);
    assert_eq!(spans.len(), 1, "sampled and exported");
    let body = telemetry.render_openmetrics();
    let bucket = "flowmeter_execution_duration_seconds_bucket{primitive_name=\"traced_step\"";
    assert!(body.contains(bucket), "counted: {body}");
    assert!(!body.contains(" # {"), "no exemplar anywhere: {body}");
    if common::openmetrics::validator_available() {
        common::openmetrics::parse(&body).unwrap_or_else(|e| panic!("{e}"));
    }
}
