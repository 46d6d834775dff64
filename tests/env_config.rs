//! Configuration and resource from the environment, end to end: `FLOWMETER_NAMESPACE`
//! renames every flowmeter series, `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` become
//! `target_info` labels, and a builder value still wins over its variable.

use flowmeter::{Telemetry, instrumented};

#[instrumented(span = false)]
fn step() {}

#[test]
fn environment_sets_namespace_and_resource_and_builder_wins() {
    // SAFETY: this binary has this one test, which sets the variables before any thread
    // that could read the environment is started.
    unsafe {
        std::env::set_var("FLOWMETER_NAMESPACE", "tta");
        std::env::set_var("FLOWMETER_METRICS_PATH", "from-env-is-overridden");
        std::env::set_var("OTEL_SERVICE_NAME", "env-service");
        std::env::set_var(
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.version=9.9.9,deployment.environment=test",
        );
    }
    // An invalid variable fails the install, naming field, value and variable, and leaves the
    // process uninstalled.
    unsafe { std::env::set_var("FLOWMETER_LISTEN", "127.0.0.1:70000") };
    let error = Telemetry::builder().install().expect_err("port above 65535");
    let message = error.to_string();
    for part in ["`listen`", "127.0.0.1:70000", "FLOWMETER_LISTEN"] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
    unsafe { std::env::remove_var("FLOWMETER_LISTEN") };

    let telemetry = Telemetry::builder()
        .serve(false)
        .install_subscriber(false)
        .metrics_path("/scrape")
        .install()
        .expect("the builder's path wins over the invalid FLOWMETER_METRICS_PATH");
    assert_eq!(telemetry.config().namespace, "tta");
    assert_eq!(telemetry.config().metrics_path, "/scrape");
    step();
    let text = telemetry.render();
    assert!(
        text.contains(r#"tta_primitive_executions_total{primitive_name="step",primitive_type="function",status="success"} 1"#),
        "{text}"
    );
    assert!(!text.contains("flowmeter_"), "no series keeps the default namespace:\n{text}");
    let info = text.lines().find(|l| l.starts_with("target_info{")).expect("target_info");
    for label in [
        r#"service_name="env-service""#,
        r#"service_version="9.9.9""#,
        r#"deployment_environment="test""#,
    ] {
        assert!(info.contains(label), "{label} missing from {info}");
    }
}
