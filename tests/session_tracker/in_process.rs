//! The tracker driven in this process: bad input is a typed error that records nothing. Part
//! of `tests/session_tracker_example.rs`.

use super::*;

/// A peer that accepts everything.
struct AcceptAll;

impl tracker::EventSink for AcceptAll {
    fn emit(&self, _event: &tracker::McpEvent<'_>) -> Result<(), tracker::EmitError> {
        Ok(())
    }
}

#[test]
fn bad_input_is_a_typed_error_and_records_nothing() {
    use tracker::{SessionEndEvent, SessionStartEvent, SessionTracker, TrackerError};

    let telemetry = common::install_metrics_only();
    let tracker = SessionTracker::new(AcceptAll);
    let start = |id: &str, component: &str, shell: &str| SessionStartEvent {
        session_id: id.into(),
        component_name: component.into(),
        shell_type: shell.into(),
        timestamp: 100.0,
    };
    let end = |status: &str, quality| SessionEndEvent {
        session_id: "ok-1".into(),
        status: status.into(),
        timestamp: 160.0,
        quality_score: Some(quality),
    };

    // Scores outside 0..=100 and NaN.
    for score in [-1.0, 101.0] {
        let error = tracker.set_quality_score("mahavishnu", score).unwrap_err();
        let TrackerError::Metric(AppMetricError::OutOfRange { value, min, max, .. }) = error else {
            panic!("expected an out-of-range error, got {error:?}");
        };
        assert_eq!((value, min, max), (score, 0.0, 100.0));
    }
    let error = tracker.set_quality_score("mahavishnu", f64::NAN).unwrap_err();
    assert!(matches!(error, TrackerError::Metric(AppMetricError::NotFinite { .. })), "{error:?}");

    // Label values outside their declared sets.
    let label_error = |error: TrackerError, expected_label: &str, expected_value: &str| {
        let TrackerError::Metric(AppMetricError::LabelValue { label, value, .. }) = &error else {
            panic!("expected a label value error, got {error:?}");
        };
        assert_eq!((label.as_str(), value.as_str()), (expected_label, expected_value));
    };
    let unknown_component = start("bad-1", "crackerjack", "MahavishnuShell");
    label_error(
        tracker.handle_session_start(&unknown_component).unwrap_err(),
        "component_name",
        "crackerjack",
    );
    let unknown_shell = start("bad-2", "mahavishnu", "BashShell");
    label_error(
        tracker.handle_session_start(&unknown_shell).unwrap_err(),
        "shell_type",
        "BashShell",
    );
    label_error(
        tracker.set_quality_score("crackerjack", 50.0).unwrap_err(),
        "component_name",
        "crackerjack",
    );
    assert_eq!(tracker.active(), 0, "rejected starts open no session");

    // One good start; then ends that are rejected leave it open and record nothing.
    tracker.handle_session_start(&start("ok-1", "mahavishnu", "MahavishnuShell")).unwrap();
    label_error(
        tracker.handle_session_end(&end("failure", 80.0)).unwrap_err(),
        "status",
        "failure",
    );
    let error = tracker.handle_session_end(&end("success", 101.0)).unwrap_err();
    assert!(matches!(error, TrackerError::Metric(AppMetricError::OutOfRange { .. })), "{error:?}");
    assert_eq!(tracker.active(), 1);

    let scraped = parse(&telemetry.render());
    let m = ("component_name", "mahavishnu");
    assert_eq!(scraped.value("session_start_total", &[m]), 1.0);
    assert_eq!(scraped.find("session_start_total", &[]).len(), 1);
    assert_eq!(scraped.value("active_sessions", &[m]), 1.0);
    assert_eq!(scraped.value("mcp_event_emit_success_total", &[m]), 1.0);
    for family in [
        "session_quality_score",
        "session_end_total",
        "session_duration_seconds_count",
        "mcp_event_emit_failure_total",
    ] {
        assert!(scraped.find(family, &[]).is_empty(), "{family} recorded a rejected value");
    }
    // Summed over the handler's error series (one per error type, when it is labelled).
    let errors = |handler| {
        let series = [("primitive_name", handler), ("status", "error")];
        scraped.sum("flowmeter_primitive_executions_total", &series)
    };
    assert_eq!(errors("SessionTracker::handle_session_start"), 2.0);
    assert_eq!(errors("SessionTracker::handle_session_end"), 2.0);
    assert_eq!(errors("SessionTracker::set_quality_score"), 4.0);

    // The session still ends normally, and a valid score is recorded.
    assert_eq!(tracker.handle_session_end(&end("success", 75.0)).unwrap(), 60.0);
    let scraped = parse(&telemetry.render());
    assert_eq!(scraped.value("session_quality_score", &[m]), 75.0);
    assert_eq!(scraped.value("session_duration_seconds_sum", &[m]), 60.0);
    assert_eq!(scraped.value("session_end_total", &[m, ("status", "success")]), 1.0);
}
