//! Runs the session-tracker parity example (reference systems 001/002) on a free port with
//! its deterministic workload (`--workload fixed`), scrapes it over HTTP and asserts every
//! reference metric (TYPE, HELP, label names, both bucket sets, exact values) and `promtool
//! check metrics`; `/metadata`, `/summary` and the reference-shaped routes field by field;
//! with no workload, every reference metric listed before any event; the steady workload
//! filling the reference's buckets while serving; the dashboard and query assets naming what
//! the example serves; configuration from the environment and from a config file; the
//! disabled mode (`session_tracker/config.rs`); and, in this process, that bad input is a
//! typed error that records nothing (`session_tracker/in_process.rs`).

mod common;

// The tracker and its metrics, compiled into this test to drive them with bad input.
#[allow(dead_code)]
#[path = "../examples/session_tracker/metrics.rs"]
mod metrics;
#[allow(dead_code)]
#[path = "../examples/session_tracker/tracker.rs"]
mod tracker;

#[path = "session_tracker/config.rs"]
mod config;
#[path = "session_tracker/in_process.rs"]
mod in_process;
#[path = "session_tracker/steady.rs"]
mod steady;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{KillOnDrop, TempDir, free_port, http_get, parse, promtool_check_metrics};
use flowmeter::app::AppMetricError;
use serde_json::{Value, json};

const SESSION_BUCKETS: [&str; 9] =
    ["60", "300", "900", "1800", "3600", "7200", "14400", "28800", "+Inf"];
const EMIT_BUCKETS: [&str; 13] = [
    "0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
];

/// `(family, type, HELP, label names)` of every reference metric.
const REFERENCE: [(&str, &str, &str, &[&str]); 8] = [
    (
        "session_start_total",
        "counter",
        "Total number of session start events tracked",
        &["component_name", "shell_type"],
    ),
    (
        "session_end_total",
        "counter",
        "Total number of session end events tracked",
        &["component_name", "status"],
    ),
    ("session_duration_seconds", "histogram", "Session duration in seconds", &["component_name"]),
    (
        "mcp_event_emit_success_total",
        "counter",
        "Total number of successful MCP event emissions",
        &["component_name", "event_type"],
    ),
    (
        "mcp_event_emit_failure_total",
        "counter",
        "Total number of failed MCP event emissions",
        &["component_name", "error_type", "event_type"],
    ),
    (
        "mcp_event_emit_duration_seconds",
        "histogram",
        "MCP event emission duration in seconds",
        &["component_name", "event_type"],
    ),
    ("active_sessions", "gauge", "Number of currently active sessions", &["component_name"]),
    ("session_quality_score", "gauge", "Session quality score (0-100)", &["component_name"]),
];

fn session_tracker() -> Command {
    common::example("session_tracker")
}

/// The example, started and serving; killed when dropped.
struct Serving {
    _child: KillOnDrop,
    addr: SocketAddr,
    /// The `serving http://...` line.
    line: String,
}

/// Starts `command` and waits for its `serving http://ADDR/PATH` line, which names the
/// address it listens on.
fn serve(mut command: Command) -> Serving {
    let mut child =
        KillOnDrop(command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap());
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 && !line.starts_with("serving ") {
        line.clear();
    }
    assert!(line.starts_with("serving "), "the example exited before serving");
    let authority = line.trim_end().strip_prefix("serving http://").unwrap();
    let addr = authority.split('/').next().unwrap().parse().unwrap();
    Serving { _child: child, addr, line: line.trim_end().to_owned() }
}

/// The example serving on a free port with `--workload WORKLOAD` and `extra` arguments.
fn serve_workload(workload: &str, extra: &[&str]) -> Serving {
    let port = free_port();
    let mut command = session_tracker();
    command.args(["--workload", workload]).args(extra);
    command.env("FLOWMETER_LISTEN", format!("127.0.0.1:{port}"));
    serve(command)
}

/// The example serving the fixed workload's frozen values, which the exact-value tests assert.
fn serve_on_free_port() -> Serving {
    serve_workload("fixed", &[])
}

fn get_json(addr: SocketAddr, path: &str) -> Value {
    let response = http_get(addr, path);
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    assert_eq!(response.header("content-type"), Some("application/json"), "{path}");
    serde_json::from_str(&response.body).unwrap()
}

#[test]
fn the_scrape_has_every_reference_metric_with_exact_values() {
    let serving = serve_on_free_port();
    assert_eq!(serving.line, format!("serving http://{}/metrics", serving.addr));
    let response = http_get(serving.addr, "/metrics");
    assert_eq!(response.status, 200);
    let scraped = parse(&response.body);

    for (family, ty, help, labels) in REFERENCE {
        assert_eq!(scraped.types.get(family).map(String::as_str), Some(ty), "{family}");
        assert_eq!(scraped.help.get(family).map(String::as_str), Some(help), "{family}");
        let sample_name =
            if ty == "histogram" { format!("{family}_count") } else { family.to_owned() };
        let samples = scraped.find(&sample_name, &[]);
        assert!(!samples.is_empty(), "{family} has series");
        for sample in samples {
            let names: Vec<&str> = sample.labels.keys().map(String::as_str).collect();
            assert_eq!(names, labels, "{family} labels");
        }
    }

    let value = |name: &str, labels: &[(&str, &str)]| scraped.value(name, labels);
    let (m, s) = (("component_name", "mahavishnu"), ("component_name", "session-buddy"));
    assert_eq!(value("session_start_total", &[m, ("shell_type", "MahavishnuShell")]), 4.0);
    assert_eq!(value("session_start_total", &[s, ("shell_type", "SessionBuddyShell")]), 2.0);
    assert_eq!(scraped.find("session_start_total", &[]).len(), 2);
    assert_eq!(value("session_end_total", &[m, ("status", "success")]), 2.0);
    assert_eq!(value("session_end_total", &[m, ("status", "error")]), 1.0);
    assert_eq!(value("session_end_total", &[s, ("status", "success")]), 1.0);
    assert_eq!(scraped.find("session_end_total", &[]).len(), 3);

    // Durations 45, 900 and 3600.5 s for mahavishnu, 7200 s for session-buddy.
    let buckets = |family: &str, component| {
        scraped
            .find(&format!("{family}_bucket"), &[component])
            .iter()
            .map(|b| (b.label("le").unwrap().to_owned(), b.value))
            .collect::<Vec<_>>()
    };
    let expect = |les: &[&str], counts: &[f64]| {
        les.iter().map(|le| le.to_string()).zip(counts.iter().copied()).collect::<Vec<_>>()
    };
    assert_eq!(
        buckets("session_duration_seconds", m),
        expect(&SESSION_BUCKETS, &[1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0])
    );
    assert_eq!(
        buckets("session_duration_seconds", s),
        expect(&SESSION_BUCKETS, &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    );
    assert_eq!(value("session_duration_seconds_sum", &[m]), 4545.5);
    assert_eq!(value("session_duration_seconds_count", &[m]), 3.0);
    assert_eq!(value("session_duration_seconds_sum", &[s]), 7200.0);
    assert_eq!(value("session_duration_seconds_count", &[s]), 1.0);

    let start = ("event_type", "session_start");
    let end = ("event_type", "session_end");
    assert_eq!(value("mcp_event_emit_success_total", &[m, start]), 3.0);
    assert_eq!(value("mcp_event_emit_success_total", &[m, end]), 2.0);
    assert_eq!(value("mcp_event_emit_success_total", &[s, start]), 2.0);
    assert_eq!(value("mcp_event_emit_success_total", &[s, end]), 1.0);
    let failed = |event, error_type| {
        value("mcp_event_emit_failure_total", &[m, event, ("error_type", error_type)])
    };
    assert_eq!(failed(start, "ValidationError"), 1.0);
    assert_eq!(failed(end, "ConnectionError"), 1.0);
    assert_eq!(scraped.find("mcp_event_emit_failure_total", &[]).len(), 2);
    // Every emission is timed, failed ones included. Durations are real: only counts are exact.
    for (component, event, emissions) in
        [(m, start, 4.0), (m, end, 3.0), (s, start, 2.0), (s, end, 1.0)]
    {
        let series = [component, event];
        assert_eq!(value("mcp_event_emit_duration_seconds_count", &series), emissions);
        let les: Vec<&str> = scraped
            .find("mcp_event_emit_duration_seconds_bucket", &series)
            .iter()
            .map(|b| b.label("le").unwrap())
            .collect();
        assert_eq!(les, EMIT_BUCKETS);
        let inf = [component, event, ("le", "+Inf")];
        assert_eq!(value("mcp_event_emit_duration_seconds_bucket", &inf), emissions);
    }

    assert_eq!(value("active_sessions", &[m]), 1.0);
    assert_eq!(value("active_sessions", &[s]), 1.0);
    assert_eq!(value("session_quality_score", &[m]), 85.5);
    assert_eq!(value("session_quality_score", &[s]), 92.0);

    // The duration decorator: #[instrumented] handlers, counted by status.
    let handled = |handler| {
        value(
            "flowmeter_primitive_executions_total",
            &[("primitive_name", handler), ("status", "success")],
        )
    };
    assert_eq!(handled("SessionTracker::handle_session_start"), 6.0);
    assert_eq!(handled("SessionTracker::handle_session_end"), 4.0);
    let target = &scraped.find("target_info", &[])[0];
    assert_eq!(target.label("service_name"), Some("session-buddy"));
    promtool_check_metrics(&response.body);
    if let Some(families) = common::openmetrics::scrape_checked(serving.addr, "/metrics") {
        assert!(families.iter().any(|f| f.name == "target_info"), "{families:?}");
    }
}

#[test]
fn metadata_and_summary_endpoints_describe_the_session_metrics() {
    let serving = serve_on_free_port();
    let metadata = get_json(serving.addr, "/metadata");
    let families = metadata.as_array().unwrap();
    for (family, ty, help, labels) in REFERENCE {
        let entry = families.iter().find(|f| f["name"] == family);
        let expected = json!({"name": family, "kind": ty, "help": help, "labels": labels});
        assert_eq!(entry, Some(&expected), "{family} in /metadata");
    }

    let summary = get_json(serving.addr, "/summary");
    let metric = |name: &str| &summary["metrics"][name];
    let (m, s) = ("mahavishnu", "session-buddy");
    assert_eq!(
        metric("session_start_total"),
        &json!({"kind": "counter", "total": 6.0, "series": [
            {"labels": {"component_name": m, "shell_type": "MahavishnuShell"}, "value": 4.0},
            {"labels": {"component_name": s, "shell_type": "SessionBuddyShell"}, "value": 2.0},
        ]})
    );
    assert_eq!(
        metric("session_end_total"),
        &json!({"kind": "counter", "total": 4.0, "series": [
            {"labels": {"component_name": m, "status": "error"}, "value": 1.0},
            {"labels": {"component_name": m, "status": "success"}, "value": 2.0},
            {"labels": {"component_name": s, "status": "success"}, "value": 1.0},
        ]})
    );
    assert_eq!(metric("mcp_event_emit_success_total")["total"], 8.0);
    let (start, end) = ("session_start", "session_end");
    assert_eq!(
        metric("mcp_event_emit_failure_total"),
        &json!({"kind": "counter", "total": 2.0, "series": [
            {"labels": {"component_name": m, "error_type": "ConnectionError", "event_type": end},
             "value": 1.0},
            {"labels": {"component_name": m, "error_type": "ValidationError", "event_type": start},
             "value": 1.0},
        ]})
    );
    assert_eq!(
        metric("session_duration_seconds"),
        &json!({"kind": "histogram", "count": 4, "sum": 11745.5, "series": [
            {"labels": {"component_name": m}, "count": 3, "sum": 4545.5},
            {"labels": {"component_name": s}, "count": 1, "sum": 7200.0},
        ]})
    );
    let emissions = metric("mcp_event_emit_duration_seconds");
    assert_eq!((&emissions["kind"], &emissions["count"]), (&json!("histogram"), &json!(10)));
    assert_eq!(
        metric("active_sessions"),
        &json!({"kind": "gauge", "series": [
            {"labels": {"component_name": m}, "value": 1.0},
            {"labels": {"component_name": s}, "value": 1.0},
        ]})
    );
    assert_eq!(
        metric("session_quality_score"),
        &json!({"kind": "gauge", "series": [
            {"labels": {"component_name": m}, "value": 85.5},
            {"labels": {"component_name": s}, "value": 92.0},
        ]})
    );
}

#[test]
fn the_reference_shaped_routes_answer_as_the_reference_documents() {
    let serving = serve_on_free_port();
    assert_eq!(
        get_json(serving.addr, "/sessions/summary"),
        json!({
            "total_sessions_started": 6,
            "total_sessions_ended": 4,
            "active_sessions": {"mahavishnu": 1, "session-buddy": 1},
            "quality_scores": {"mahavishnu": 85.5, "session-buddy": 92.0},
            "mcp_events_success": 8,
            "mcp_events_failure": 2,
        })
    );
    assert_eq!(get_json(serving.addr, "/sessions/metrics"), grouped_reference_metrics());
}

/// The reference's `list_session_metrics` answer for all eight metrics: its grouping, types
/// spelled as prometheus_client spells them.
fn grouped_reference_metrics() -> Value {
    let mut expected = json!({});
    for (family, ty, help, labels) in REFERENCE {
        let group = match family {
            "active_sessions" | "session_quality_score" => "system_health_metrics",
            _ if family.starts_with("mcp_") => "mcp_event_metrics",
            _ => "session_lifecycle_metrics",
        };
        let ty = match ty {
            "counter" => "Counter",
            "histogram" => "Histogram",
            _ => "Gauge",
        };
        expected[group][family] = json!({"type": ty, "description": help, "labels": labels});
    }
    expected
}

#[test]
fn before_any_event_every_reference_metric_is_listed() {
    let serving = serve_workload("none", &[]);
    // Nothing was recorded: the exposition has no series of any reference metric ...
    let scraped = parse(&http_get(serving.addr, "/metrics").body);
    for (family, ty, _, _) in REFERENCE {
        let sample = if ty == "histogram" { format!("{family}_count") } else { family.to_owned() };
        assert!(scraped.find(&sample, &[]).is_empty(), "{family} has a series already");
        assert!(!scraped.types.contains_key(family), "{family} is in the exposition already");
    }
    // ... yet /metadata lists every one with its type, HELP and labels, once ...
    let metadata = get_json(serving.addr, "/metadata");
    let families = metadata.as_array().unwrap();
    for (family, ty, help, labels) in REFERENCE {
        let entries: Vec<&Value> = families.iter().filter(|f| f["name"] == family).collect();
        let expected = json!({"name": family, "kind": ty, "help": help, "labels": labels});
        assert_eq!(entries, [&expected], "{family} in /metadata");
    }
    let names: Vec<&str> = families.iter().map(|f| f["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "sorted by name, one entry per name");
    // ... and so does the reference-shaped list, all eight in their groups.
    assert_eq!(get_json(serving.addr, "/sessions/metrics"), grouped_reference_metrics());
    assert_eq!(
        get_json(serving.addr, "/sessions/summary"),
        json!({
            "total_sessions_started": 0, "total_sessions_ended": 0,
            "active_sessions": {}, "quality_scores": {},
            "mcp_events_success": 0, "mcp_events_failure": 0,
        })
    );
}
