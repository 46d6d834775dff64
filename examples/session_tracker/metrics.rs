//! The session metrics of the reference system, declared with `flowmeter::app`: the same
//! Prometheus names, types, labels, HELP texts and bucket boundaries as the Python
//! `SessionMetrics` class.
//!
//! | declared (OpenTelemetry) | exported | type | labels |
//! |---|---|---|---|
//! | `session.start` counter | `session_start_total` | counter | component_name, shell_type |
//! | `session.end` counter | `session_end_total` | counter | component_name, status |
//! | `session.duration` histogram, unit `s` | `session_duration_seconds` | histogram | component_name |
//! | `mcp.event.emit.success` counter | `mcp_event_emit_success_total` | counter | component_name, event_type |
//! | `mcp.event.emit.failure` counter | `mcp_event_emit_failure_total` | counter | component_name, event_type, error_type |
//! | `mcp.event.emit.duration` histogram, unit `s` | `mcp_event_emit_duration_seconds` | histogram | component_name, event_type |
//! | `active.sessions` up-down counter | `active_sessions` | gauge | component_name |
//! | `session.quality.score` gauge, range 0..=100 | `session_quality_score` | gauge | component_name |
//!
//! Every label has a declared value set (the reference asks for bounded label values), so a
//! component, shell, status, event or error type outside it is a typed error that records
//! nothing. The statics are created on first use and record nothing until an enabled
//! pipeline is installed, which is how the disabled mode runs the same code. [`declare_all`]
//! creates them all at startup, so `/metadata` and `list_session_metrics` list all eight
//! before the first session, as the reference's registry does.

use std::sync::LazyLock;

use flowmeter::app::{self, AppCounter, AppGauge, AppHistogram, AppUpDownCounter};

/// Components whose sessions are tracked (`component_name`).
pub const COMPONENTS: [&str; 2] = ["mahavishnu", "session-buddy"];
/// Shell classes that start sessions (`shell_type`).
pub const SHELL_TYPES: [&str; 2] = ["MahavishnuShell", "SessionBuddyShell"];
/// How a session ended (`status`): flowmeter's vocabulary, never `failure`.
pub const END_STATUSES: [&str; 2] = ["success", "error"];
/// Events the tracker emits to its MCP peer (`event_type`).
pub const EVENT_TYPES: [&str; 2] = ["session_start", "session_end"];
/// Why an emission failed (`error_type`): the names of [`EmitError`](crate::tracker::EmitError)'s
/// variants, spelled like the reference's exception classes.
pub const ERROR_TYPES: [&str; 2] = ["ValidationError", "ConnectionError"];

/// `session_duration_seconds` buckets: 1 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h.
pub const SESSION_DURATION_BUCKETS: [f64; 8] =
    [60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0];
/// `mcp_event_emit_duration_seconds` buckets: 1 ms to 10 s.
pub const EMIT_DURATION_BUCKETS: [f64; 12] =
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// `session_start_total{component_name, shell_type}`.
pub static SESSION_START: LazyLock<AppCounter> = LazyLock::new(|| {
    app::counter("session.start")
        .help("Total number of session start events tracked")
        .labels(["component_name", "shell_type"])
        .label_values("component_name", COMPONENTS)
        .label_values("shell_type", SHELL_TYPES)
        .build()
        .expect("valid declaration")
});

/// `session_end_total{component_name, status}`.
pub static SESSION_END: LazyLock<AppCounter> = LazyLock::new(|| {
    app::counter("session.end")
        .help("Total number of session end events tracked")
        .labels(["component_name", "status"])
        .label_values("component_name", COMPONENTS)
        .label_values("status", END_STATUSES)
        .build()
        .expect("valid declaration")
});

/// `session_duration_seconds{component_name}`, buckets 60 s .. 8 h.
pub static SESSION_DURATION: LazyLock<AppHistogram> = LazyLock::new(|| {
    app::histogram("session.duration")
        .help("Session duration in seconds")
        .unit("s")
        .labels(["component_name"])
        .label_values("component_name", COMPONENTS)
        .buckets(SESSION_DURATION_BUCKETS)
        .build()
        .expect("valid declaration")
});

/// `mcp_event_emit_success_total{component_name, event_type}`.
pub static EMIT_SUCCESS: LazyLock<AppCounter> = LazyLock::new(|| {
    app::counter("mcp.event.emit.success")
        .help("Total number of successful MCP event emissions")
        .labels(["component_name", "event_type"])
        .label_values("component_name", COMPONENTS)
        .label_values("event_type", EVENT_TYPES)
        .build()
        .expect("valid declaration")
});

/// `mcp_event_emit_failure_total{component_name, event_type, error_type}`.
pub static EMIT_FAILURE: LazyLock<AppCounter> = LazyLock::new(|| {
    app::counter("mcp.event.emit.failure")
        .help("Total number of failed MCP event emissions")
        .labels(["component_name", "event_type", "error_type"])
        .label_values("component_name", COMPONENTS)
        .label_values("event_type", EVENT_TYPES)
        .label_values("error_type", ERROR_TYPES)
        .build()
        .expect("valid declaration")
});

/// `mcp_event_emit_duration_seconds{component_name, event_type}`, buckets 1 ms .. 10 s.
pub static EMIT_DURATION: LazyLock<AppHistogram> = LazyLock::new(|| {
    app::histogram("mcp.event.emit.duration")
        .help("MCP event emission duration in seconds")
        .unit("s")
        .labels(["component_name", "event_type"])
        .label_values("component_name", COMPONENTS)
        .label_values("event_type", EVENT_TYPES)
        .buckets(EMIT_DURATION_BUCKETS)
        .build()
        .expect("valid declaration")
});

/// `active_sessions{component_name}`: an up-down counter, exported as a gauge.
pub static ACTIVE_SESSIONS: LazyLock<AppUpDownCounter> = LazyLock::new(|| {
    app::up_down_counter("active.sessions")
        .help("Number of currently active sessions")
        .labels(["component_name"])
        .label_values("component_name", COMPONENTS)
        .build()
        .expect("valid declaration")
});

/// `session_quality_score{component_name}`, validated to 0..=100.
pub static QUALITY_SCORE: LazyLock<AppGauge> = LazyLock::new(|| {
    app::gauge("session.quality.score")
        .help("Session quality score (0-100)")
        .labels(["component_name"])
        .label_values("component_name", COMPONENTS)
        .range(0.0..=100.0)
        .build()
        .expect("valid declaration")
});

/// Builds every metric now. A `flowmeter::app` metric is declared (listed by `/metadata`,
/// `/catalog` and `list_session_metrics`) from the moment it is built, but a `LazyLock` is
/// built on first use: without this, a metric would be listed only once an event touched it.
pub fn declare_all() {
    for counter in [&SESSION_START, &SESSION_END, &EMIT_SUCCESS, &EMIT_FAILURE] {
        LazyLock::force(counter);
    }
    LazyLock::force(&SESSION_DURATION);
    LazyLock::force(&EMIT_DURATION);
    LazyLock::force(&ACTIVE_SESSIONS);
    LazyLock::force(&QUALITY_SCORE);
}

/// How the reference's `list_session_metrics` groups the metrics: `(group, family)`.
pub const GROUPS: [(&str, &str); 8] = [
    ("session_lifecycle_metrics", "session_start_total"),
    ("session_lifecycle_metrics", "session_end_total"),
    ("session_lifecycle_metrics", "session_duration_seconds"),
    ("mcp_event_metrics", "mcp_event_emit_success_total"),
    ("mcp_event_metrics", "mcp_event_emit_failure_total"),
    ("mcp_event_metrics", "mcp_event_emit_duration_seconds"),
    ("system_health_metrics", "active_sessions"),
    ("system_health_metrics", "session_quality_score"),
];
