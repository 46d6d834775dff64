//! Instrumented code before the pipeline is installed and after its guard is dropped: safely
//! ignored, never a panic; calls in between are counted.

use flowmeter::{Telemetry, instrumented};

#[instrumented(span = false)]
fn step() -> u8 {
    1
}

#[test]
fn calls_before_install_and_after_shutdown_are_ignored_safely() {
    assert_eq!(step(), 1, "before install: runs uninstrumented");
    let telemetry = Telemetry::builder()
        .serve(false)
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("install");
    step();
    step();
    let text = telemetry.render();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("flowmeter_primitive_executions_total")
                && l.contains("primitive_name=\"step\"")
                && l.contains("status=\"success\"")
        })
        .expect("step series");
    assert!(line.ends_with(" 2"), "only calls after install count: {line}");
    drop(telemetry);
    assert_eq!(step(), 1, "after shutdown: still runs");
    let pipeline = flowmeter::telemetry::Pipeline::installed().expect("still published");
    assert!(!pipeline.is_enabled(), "a shut-down pipeline records nothing");
}
