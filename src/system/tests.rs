//! What install registers for a given configuration, on unpublished pipelines (the
//! process-global one is left to the integration tests).

use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::*;

/// A pipeline like install builds: the Prometheus bridge reading the meter provider into
/// the pipeline's registry.
fn pipeline(enabled: bool) -> Pipeline {
    let registry = prometheus::Registry::new();
    let bridge = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .scope_info_enabled(false)
        .without_target_info()
        .build()
        .unwrap();
    let meters = SdkMeterProvider::builder().with_reader(bridge).build();
    Pipeline::new(
        enabled,
        "flowmeter".into(),
        meters,
        registry,
        SdkTracerProvider::builder().build(),
        Default::default(),
    )
}

fn families(pipeline: &Pipeline) -> Vec<String> {
    pipeline.registry().gather().iter().map(|f| f.name().to_owned()).collect()
}

#[test]
fn disabled_pipeline_registers_nothing() {
    let pipeline = pipeline(false);
    register_configured(&pipeline, true, true).unwrap();
    #[cfg(target_os = "linux")]
    register_process_collector(&pipeline).unwrap();
    register_system_metrics(&pipeline);
    assert_eq!(families(&pipeline), Vec::<String>::new());
}

#[test]
fn off_by_default_registers_nothing() {
    let pipeline = pipeline(true);
    register_configured(&pipeline, false, false).unwrap();
    assert_eq!(families(&pipeline), Vec::<String>::new());
}

#[test]
fn enabled_pipeline_registers_what_it_asks_for() {
    let pipeline = pipeline(true);
    register_configured(&pipeline, true, true).unwrap();
    let names = families(&pipeline);
    for name in SYSTEM_METRICS {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
    #[cfg(target_os = "linux")]
    for name in PROCESS_METRICS {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
    // Registered once: a second attempt is refused before any callback is added.
    assert!(!pipeline.claim_host_gauges());
}

#[test]
fn only_system_metrics_leaves_out_process_metrics() {
    let pipeline = pipeline(true);
    register_configured(&pipeline, false, true).unwrap();
    let names = families(&pipeline);
    assert!(names.iter().all(|n| !n.starts_with("process_")), "{names:?}");
    assert!(names.iter().any(|n| n == "system_cpu_percent"), "{names:?}");
}
