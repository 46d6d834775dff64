//! While serving: the steady workload fills the reference's buckets and moves every metric,
//! and the reference's dashboard and queries name what the example serves. Part of
//! `tests/session_tracker_example.rs`.

use super::*;

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
            ended >= 24.0 && scraped.sum("session_end_total", &errors) >= 3.0
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
        assert!(scraped.sum("session_start_total", &[c]) > started + 24.0, "{component}");
        let active = scraped.value("active_sessions", &[c]);
        assert!((3.0..=7.0).contains(&active), "{component}: {active} active");
        let quality = scraped.value("session_quality_score", &[c]);
        assert!((0.0..=100.0).contains(&quality), "{component}: quality {quality}");
    }
    for error_type in ["ValidationError", "ConnectionError"] {
        let failed = scraped.sum("mcp_event_emit_failure_total", &[("error_type", error_type)]);
        assert!(failed > 1.0, "{error_type}: only the fixed workload's failure");
    }
    let emitted = scraped.sum("mcp_event_emit_duration_seconds_count", &[]);
    let outcomes = scraped.sum("mcp_event_emit_success_total", &[])
        + scraped.sum("mcp_event_emit_failure_total", &[]);
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
