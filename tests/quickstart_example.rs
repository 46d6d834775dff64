//! Runs the quickstart example binary (cargo builds examples for `cargo test`): `--once`
//! prints an exposition with every status that passes `promtool check metrics`, and the
//! serving mode answers `/catalog` with every catalog metric and every call site.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{http_get, parse, promtool_check_metrics};
use flowmeter::metrics::catalog;

fn quickstart() -> Command {
    common::example("quickstart")
}

#[test]
fn once_prints_every_status_and_passes_promtool() {
    let output = quickstart().arg("--once").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let scraped = parse(&text);
    let executions = "flowmeter_primitive_executions_total";
    for (name, status) in [
        ("tokenize", "success"),
        ("parse_score", "success"),
        ("parse_score", "error"),
        ("divide", "panic"),
        ("fetch_documents", "success"),
        ("slow_completion", "cancelled"),
    ] {
        let value = scraped.sum(executions, &[("primitive_name", name), ("status", status)]);
        assert_eq!(value, 1.0, "{name} {status}");
    }
    let les: Vec<&str> = scraped
        .find(
            "flowmeter_execution_duration_seconds_bucket",
            &[("primitive_name", "tokenize"), ("status", "success")],
        )
        .iter()
        .filter_map(|s| s.label("le"))
        .collect();
    assert!(les.contains(&"0.001") && les.contains(&"60") && les.contains(&"+Inf"), "{les:?}");
    assert!(!scraped.find("flowmeter_primitive_active", &[]).is_empty());
    assert_eq!(scraped.find("target_info", &[])[0].label("service_name"), Some("quickstart"));
    promtool_check_metrics(&text);
}

#[test]
fn serving_answers_catalog_with_every_metric_and_call_site() {
    let port = common::free_port();
    let mut child = common::KillOnDrop(
        quickstart()
            .env("FLOWMETER_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    // The example prints its URL once it serves.
    while stdout.read_line(&mut line).unwrap() > 0 && !line.contains("/metrics") {
        line.clear();
    }
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let catalog_response = http_get(addr, "/catalog");
    let metrics_response = http_get(addr, "/metrics");
    // The same exposition over OpenMetrics, as Prometheus asks for it, read by a strict parser.
    let openmetrics = common::openmetrics::scrape_checked(addr, "/metrics");
    drop(child);
    if let Some(families) = openmetrics {
        let histogram = families.iter().find(|f| f.name == "flowmeter_execution_duration_seconds");
        assert_eq!(histogram.map(|f| f.unit.as_str()), Some("seconds"));
    }

    assert!(line.contains(&format!("http://127.0.0.1:{port}/metrics")), "{line}");
    assert_eq!(catalog_response.status, 200);
    let json: serde_json::Value = serde_json::from_str(&catalog_response.body).unwrap();
    let metrics: Vec<&str> = json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["prometheus_name"].as_str().unwrap())
        .collect();
    for entry in catalog::list("flowmeter") {
        assert!(
            metrics.contains(&entry.prometheus_name.as_str()),
            "{} missing",
            entry.prometheus_name
        );
    }
    let sites: Vec<&str> =
        json["callsites"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    for name in ["tokenize", "parse_score", "divide", "fetch_documents", "slow_completion"] {
        assert!(sites.contains(&name), "{name} missing from {sites:?}");
    }
    assert_eq!(metrics_response.status, 200);
    assert!(metrics_response.body.contains("flowmeter_primitive_executions_total"));
}
