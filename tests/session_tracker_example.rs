//! Runs the session-tracker parity example (reference systems 001/002) on a free port with
//! its deterministic workload (`--workload fixed`), scrapes it over HTTP and asserts every
//! reference metric (TYPE, HELP, label names, both bucket sets, exact values) and `promtool
//! check metrics`; `/metadata`, `/summary` and the reference-shaped routes field by field;
//! with no workload, every reference metric listed before any event; the steady workload
//! filling the reference's buckets while serving; the dashboard and query assets naming what
//! the example serves; configuration from the environment and from a config file; the
//! disabled mode; and, in this process, that bad input is a typed error that records nothing.

mod common;

// The tracker and its metrics, compiled into this test to drive them with bad input.
#[allow(dead_code)]
#[path = "../examples/session_tracker/metrics.rs"]
mod metrics;
#[allow(dead_code)]
#[path = "../examples/session_tracker/tracker.rs"]
mod tracker;

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

/// The sum of every sample of `name` matching `matchers`.
fn total(scraped: &common::Exposition, name: &str, matchers: &[(&str, &str)]) -> f64 {
    scraped.find(name, matchers).iter().map(|s| s.value).sum()
}

/// How many durations of `component` each interval of the session buckets holds (`le` 60,
/// 300, ..., 28800, +Inf, each minus the previous).
fn per_bucket(scraped: &common::Exposition, component: &str) -> Vec<f64> {
    let cumulative: Vec<f64> = SESSION_BUCKETS
        .iter()
        .map(|le| {
            let series = [("component_name", component), ("le", le)];
            scraped.value("session_duration_seconds_bucket", &series)
        })
        .collect();
    let below = std::iter::once(0.0).chain(cumulative.iter().copied());
    cumulative.iter().zip(below).map(|(at, before)| at - before).collect()
}

#[test]
fn the_steady_workload_moves_every_reference_metric_while_serving() {
    let serving = serve_workload("steady", &["--interval-ms", "20"]);
    let first = parse(&http_get(serving.addr, "/metrics").body);
    // The fixed workload's durations per bucket interval (45, 900, 3600.5 s; 7200 s).
    let fixed = [
        ("mahavishnu", [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]),
        ("session-buddy", [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]),
    ];
    let steady_durations = |scraped: &common::Exposition, component, fixed: &[f64; 9]| {
        let now = per_bucket(scraped, component);
        now.iter().zip(fixed).map(|(now, fixed)| now - fixed).collect::<Vec<f64>>()
    };
    // Polls until every schedule has gone round once: a guard against a hang, not a timing
    // assertion (at 20 ms a round, it takes about a second).
    let deadline = Instant::now() + Duration::from_secs(120);
    let scraped = loop {
        let scraped = parse(&http_get(serving.addr, "/metrics").body);
        let enough = fixed.iter().all(|(component, fixed)| {
            let ended = steady_durations(&scraped, component, fixed).iter().sum::<f64>();
            let errors = [("component_name", *component), ("status", "error")];
            ended >= 24.0 && total(&scraped, "session_end_total", &errors) >= 3.0
        });
        if enough {
            break scraped;
        }
        assert!(Instant::now() < deadline, "the steady workload did not get going");
        std::thread::sleep(Duration::from_millis(50));
    };

    for (component, fixed) in &fixed {
        // Simulated durations from 45 s to 2.5 h: every bucket up to 4 h gets some, none
        // is longer, so quantiles and averages are finite.
        let steady = steady_durations(&scraped, component, fixed);
        assert!(steady[..7].iter().all(|n| *n > 0.0), "{component}: {steady:?}");
        assert_eq!(steady[7..], [0.0, 0.0], "{component}: nothing over 4 h");
        let c = ("component_name", *component);
        let started = if *component == "mahavishnu" { 4.0 } else { 2.0 };
        assert!(total(&scraped, "session_start_total", &[c]) > started + 24.0, "{component}");
        let active = scraped.value("active_sessions", &[c]);
        assert!((3.0..=7.0).contains(&active), "{component}: {active} active");
        let quality = scraped.value("session_quality_score", &[c]);
        assert!((0.0..=100.0).contains(&quality), "{component}: quality {quality}");
    }
    for error_type in ["ValidationError", "ConnectionError"] {
        let failed = total(&scraped, "mcp_event_emit_failure_total", &[("error_type", error_type)]);
        assert!(failed > 1.0, "{error_type}: only the fixed workload's failure");
    }
    let emitted = total(&scraped, "mcp_event_emit_duration_seconds_count", &[]);
    let outcomes = total(&scraped, "mcp_event_emit_success_total", &[])
        + total(&scraped, "mcp_event_emit_failure_total", &[]);
    assert_eq!(emitted, outcomes, "every emission is timed and counted once");
    // Counters never go back between two scrapes.
    for sample in first.samples.iter().filter(|s| s.name.ends_with("_total")) {
        let matchers: Vec<(&str, &str)> =
            sample.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let later = scraped.find(&sample.name, &matchers);
        assert!(later.iter().any(|l| l.value >= sample.value), "{} went back", sample.name);
    }
    promtool_check_metrics(&http_get(serving.addr, "/metrics").body);
}

#[test]
fn the_dashboard_and_queries_are_the_references_on_the_served_metrics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/session_tracker");
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    let dashboard: Value = serde_json::from_str(&read("grafana-dashboard.json")).unwrap();
    assert_eq!(dashboard["title"], "Session-Buddy Metrics");
    assert!(dashboard["uid"].is_string() && dashboard["schemaVersion"].is_u64(), "importable");
    let panels: Vec<(&str, &str, &str)> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| {
            assert!(panel["type"].is_string() && panel["gridPos"].is_object(), "{panel}");
            let targets = panel["targets"].as_array().unwrap().iter();
            targets.map(|t| {
                (
                    panel["title"].as_str().unwrap(),
                    t["expr"].as_str().unwrap(),
                    t["legendFormat"].as_str().unwrap(),
                )
            })
        })
        .collect();
    // 001's "Example Grafana Dashboard", as written.
    assert_eq!(
        panels,
        [
            (
                "Session Starts",
                "rate(session_start_total[5m])",
                "{{component_name}} - {{shell_type}}"
            ),
            ("Active Sessions", "active_sessions", "{{component_name}}"),
            (
                "Session Duration",
                "histogram_quantile(0.95, rate(session_duration_seconds_bucket[5m]))",
                "95th percentile - {{component_name}}",
            ),
            ("Session Quality Score", "session_quality_score", "{{component_name}}"),
        ]
    );

    let queries = read("queries.yml");
    let exprs: Vec<&str> = queries
        .lines()
        .filter_map(|line| line.trim().strip_prefix("expr: '")?.strip_suffix('\''))
        .collect();
    let sources = queries.lines().filter(|l| l.trim().starts_with("source: ")).count();
    assert_eq!((exprs.len(), sources), (14, 14), "4 panels, 5 + 5 queries, each with a source");
    for (_, expr, _) in &panels {
        assert!(exprs.contains(expr), "the panel's {expr} is in queries.yml");
    }
    for expr in exprs {
        let names_a_served_family = REFERENCE.iter().any(|(family, ..)| expr.contains(family));
        assert!(names_a_served_family, "{expr} queries a family the example does not serve");
    }
}

#[test]
fn port_zero_serves_on_a_port_the_os_picks() {
    let mut command = session_tracker();
    // --port wins over the environment (the builder is first in precedence).
    command.args(["--port", "0", "--workload", "fixed"]).env("FLOWMETER_LISTEN", "127.0.0.1:1");
    let serving = serve(command);
    assert_ne!(serving.addr.port(), 0, "{}", serving.line);
    assert_eq!(serving.line, format!("serving http://{}/metrics", serving.addr));
    let scraped = parse(&http_get(serving.addr, "/metrics").body);
    assert_eq!(scraped.value("session_quality_score", &[("component_name", "mahavishnu")]), 85.5);
}

#[test]
fn the_metrics_path_comes_from_the_environment() {
    let port = free_port();
    let mut command = session_tracker();
    command.env("FLOWMETER_LISTEN", format!("127.0.0.1:{port}"));
    command.env("FLOWMETER_METRICS_PATH", "/custom");
    let serving = serve(command);
    assert_eq!(serving.line, format!("serving http://127.0.0.1:{port}/custom"));
    let custom = http_get(serving.addr, "/custom");
    assert_eq!(custom.status, 200);
    assert!(custom.body.contains("session_start_total{"), "{}", custom.body);
    assert_eq!(http_get(serving.addr, "/metrics").status, 404);
}

#[test]
fn listen_and_path_come_from_a_config_file() {
    let dir = TempDir::new("session-config");
    let port = free_port();
    let file = dir.path().join("session-buddy.toml");
    let toml = format!(
        "# the reference's settings: port 9090, path /metrics, enabled\n\
         enabled = true\nlisten = \"127.0.0.1:{port}\"\nmetrics_path = \"/prometheus\"\n"
    );
    std::fs::write(&file, toml).unwrap();

    // Through FLOWMETER_CONFIG ...
    let mut command = session_tracker();
    command.env("FLOWMETER_CONFIG", &file);
    let serving = serve(command);
    assert_eq!(serving.line, format!("serving http://127.0.0.1:{port}/prometheus"));
    assert!(http_get(serving.addr, "/prometheus").body.contains("session_quality_score{"));
    drop(serving);

    // ... and through --config, where the environment still wins over the file.
    let other_port = free_port();
    let mut command = session_tracker();
    command.arg("--config").arg(&file).env("FLOWMETER_LISTEN", format!("127.0.0.1:{other_port}"));
    let serving = serve(command);
    assert_eq!(serving.line, format!("serving http://127.0.0.1:{other_port}/prometheus"));
}

#[test]
fn disabled_metrics_run_the_workload_bind_nothing_and_exit_cleanly() {
    let dir = TempDir::new("session-disabled");
    let file = dir.path().join("disabled.toml");
    std::fs::write(&file, "enabled = false\n").unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let from_env = session_tracker()
        .env("FLOWMETER_ENABLED", "false")
        .env("FLOWMETER_LISTEN", &listen)
        .output()
        .unwrap();
    let from_file = session_tracker()
        .arg("--config")
        .arg(&file)
        .env("FLOWMETER_LISTEN", &listen)
        .output()
        .unwrap();
    for output in [from_env, from_file] {
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "no error output");
        assert_eq!(
            stdout,
            "metrics disabled: handled 10 session events (2 sessions active); \
             nothing recorded, nothing served\n"
        );
        assert!(!stdout.contains("serving"), "{stdout}");
    }
    // Nothing listened: the port is still free to bind.
    std::net::TcpListener::bind(listen).expect("the example left the port unbound");
}

#[test]
fn an_unknown_argument_is_a_usage_error() {
    for (args, message) in [
        (&["--host"][..], "unknown argument `--host`"),
        (&["--port"], "--port needs a value"),
        (&["--workload", "busy"], "unknown workload `busy`"),
        (&["--workload"], "--workload needs a value"),
        (&["--interval-ms", "0"], "--interval-ms takes a whole number of milliseconds above 0"),
        (&["--interval-ms", "soon"], "not `soon`"),
        (&["--port", "65536"], "--port takes a port number (0 to 65535), not `65536`"),
    ] {
        let output = session_tracker().args(args).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(message) && stderr.contains("usage:"), "{args:?}: {stderr}");
    }
}

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
        total(&scraped, "flowmeter_primitive_executions_total", &series)
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
