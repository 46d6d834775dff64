//! `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` end to end: an unusable value fails the
//! install naming the variable, a builder's sampler wins over the variables, and with
//! `always_off` no span is exported while every call is still counted.

use flowmeter::Telemetry;
use flowmeter::telemetry::Sampler;
use opentelemetry_sdk::trace::InMemorySpanExporter;

#[flowmeter::instrumented]
fn step() -> u32 {
    7
}

#[tracing::instrument]
fn other() {}

fn install_error(builder: flowmeter::TelemetryBuilder) -> String {
    builder.install().expect_err("the sampler is invalid").to_string()
}

fn assert_contains(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
}

#[test]
fn sampler_variables_are_checked_and_always_off_records_no_span() {
    // SAFETY: this binary has this one test, which sets the variables before any thread
    // that could read the environment is started.
    unsafe { std::env::set_var("OTEL_TRACES_SAMPLER", "sometimes") };
    let message = install_error(Telemetry::builder());
    assert_contains(&message, &["`traces_sampler`", "\"sometimes\"", "OTEL_TRACES_SAMPLER"]);
    assert!(!message.contains("OTEL_TRACES_SAMPLER_ARG"), "about the name: {message}");

    // The builder's sampler is used instead of the variable's name: the error is about the
    // builder's NaN ratio, not about `sometimes`.
    let message =
        install_error(Telemetry::builder().sampler(Sampler::ParentBasedTraceIdRatio(f64::NAN)));
    assert_contains(&message, &["`traces_sampler_arg`", "\"NaN\"", "the builder"]);
    assert!(!message.contains("sometimes"), "the env's name is not read: {message}");

    // SAFETY: as above; no thread has been started by the failed installs.
    unsafe {
        std::env::set_var("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
        std::env::set_var("OTEL_TRACES_SAMPLER_ARG", "2");
    }
    let message = install_error(Telemetry::builder());
    assert_contains(&message, &["`traces_sampler_arg`", "\"2\"", "OTEL_TRACES_SAMPLER_ARG"]);

    // SAFETY: as above.
    unsafe {
        std::env::set_var("OTEL_TRACES_SAMPLER", "always_off");
        std::env::remove_var("OTEL_TRACES_SAMPLER_ARG");
    }
    let exporter = InMemorySpanExporter::default();
    let telemetry = Telemetry::builder()
        .serve(false)
        .with_span_exporter(exporter.clone())
        .install()
        .expect("always_off is valid");
    assert_eq!(telemetry.config().sampler, Sampler::AlwaysOff);

    let mut total = 0;
    for _ in 0..10 {
        total += step();
        other();
    }
    assert_eq!(total, 70, "instrumented code runs unchanged");
    telemetry.pipeline().tracer_provider().force_flush().expect("flush");
    let spans = exporter.get_finished_spans().expect("finished spans");
    assert_eq!(spans.len(), 0, "always_off exports no span: {spans:?}");

    // Metrics are never sampled.
    let text = telemetry.render();
    let line = r#"flowmeter_primitive_executions_total{primitive_name="step",primitive_type="function",status="success"} 10"#;
    assert!(text.lines().any(|l| l == line), "{line} missing from:\n{text}");
}
