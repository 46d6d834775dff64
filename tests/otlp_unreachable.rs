//! A collector that is down: instrumented calls go on and are counted on /metrics, the failure
//! is logged once (not once per export) and every failure counted in
//! `flowmeter_otlp_export_failures_total`, and when the collector comes up exports resume and
//! the recovery is logged. Shutdown with queued data does not hang.
#![cfg(feature = "otlp")]

mod common;

use std::time::{Duration, Instant};

use common::capture::Capture;
use common::otlp_receiver::{OtlpReceiver, Transport, has_attributes, metric};
use flowmeter::otlp::{OtlpConfig, Protocol};
use flowmeter::{Telemetry, instrumented};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;

const FAILURES: &str = "flowmeter_otlp_export_failures_total";

#[instrumented]
fn while_the_collector_is_down(i: u64) -> u64 {
    i
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + common::otlp_receiver::WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {:?}", common::otlp_receiver::WAIT);
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_unreachable_collector_is_reported_once_and_exports_resume_when_it_is_back() {
    let capture = Capture::install_global();
    // Nothing listens on this port until the receiver starts on it below.
    let port = common::free_port_outside_ephemeral_range();
    let endpoint = format!("http://127.0.0.1:{port}");
    let telemetry = Telemetry::builder()
        .serve(false)
        .ignore_env()
        .install_subscriber(false)
        .otlp(
            OtlpConfig::new()
                .endpoint(&endpoint)
                .protocol(Protocol::Grpc)
                .timeout(Duration::from_secs(1))
                .metric_export_interval(Duration::from_millis(100)),
        )
        .install()
        .expect("install with OTLP");
    let otlp = telemetry.otlp().expect("OTLP is on");

    let total: u64 = (0..10_000).map(while_the_collector_is_down).sum();
    assert_eq!(total, (0..10_000).sum::<u64>());
    wait_until("three failed metric exports", || otlp.failed_exports() >= 3);

    let text = telemetry.render();
    let calls = common::parse(&text).value(
        "flowmeter_primitive_executions_total",
        &[("primitive_name", "while_the_collector_is_down"), ("status", "success")],
    );
    assert_eq!(calls, 10_000.0, "the Prometheus side is unaffected");

    // Every failure is counted on the pull path, by signal and reason, with every reason's
    // series at 0 from the first export.
    let failures = common::parse(&text);
    let metrics_failures = failures.find(FAILURES, &[("signal", "metrics")]);
    let mut reasons: Vec<&str> =
        metrics_failures.iter().map(|s| s.label("reason").unwrap()).collect();
    reasons.sort();
    assert_eq!(reasons, ["export_error", "shutdown", "timeout"], "{metrics_failures:?}");
    let counted = failures.sum(FAILURES, &[("signal", "metrics")]);
    assert!(
        counted >= 3.0 && counted <= otlp.failed_exports() as f64,
        "{counted} counted of {} failed",
        otlp.failed_exports()
    );

    let warnings = capture.with_field("endpoint", &endpoint);
    let failed: Vec<_> = warnings.iter().filter(|e| e.message.contains("export failed")).collect();
    assert_eq!(failed.len(), 1, "one warning for the outage, not one per export: {warnings:#?}");
    assert_eq!(failed[0].field("signal"), Some("metrics"));
    assert!(failed[0].field("error").is_some_and(|e| !e.is_empty()));

    // The collector comes up on the same address: exports resume with the cumulative totals.
    let receiver = OtlpReceiver::start_on(Transport::Grpc, port);
    let metrics = receiver.wait_for_metrics(|_| true);
    let executions = metric(&metrics, "flowmeter.primitive.executions");
    let Some(Data::Sum(sum)) = &executions.data else { panic!("a sum") };
    let point = sum
        .data_points
        .iter()
        .find(|p| {
            has_attributes(
                &p.attributes,
                &[("primitive_name", "while_the_collector_is_down"), ("status", "success")],
            )
        })
        .expect("the calls made while the collector was down");
    assert_eq!(
        point.value,
        Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(10_000))
    );
    wait_until("the recovery is logged", || {
        capture.with_field("endpoint", &endpoint).iter().any(|e| e.message.contains("recovered"))
    });
    let failures_before_recovery = otlp.failed_exports();

    common::faults::within("shutdown", move || drop(telemetry));
    assert!(failures_before_recovery >= 3);
}
