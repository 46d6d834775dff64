//! End to end against a real Prometheus: the workflow example serves on a free loopback port;
//! Prometheus (Debian's `prometheus`, on another free port, temporary storage, 1 s scrape and
//! evaluation) loads the generated configuration and rules; once the target is up, every
//! recording rule and every dashboard panel expression must return at least one finite series,
//! and the workflow error ratio must match the injected one. Runs for the default namespace and
//! for `tta`, whose seed-compatible rule names (`tta:workflow_rate_5m`, ...) are among the rules.
//!
//! Without `prometheus` on PATH the tests fail under `CI` and say why they skip otherwise.
//! Child processes are killed and the temporary directory removed on every exit path.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::prometheus::{Prometheus, query, wait_for};
use common::write_generated;
use common::{TempDir, free_port, tool_available};
use flowmeter_cli::{GenerateConfig, generate, parse_objectives};

/// One Prometheus at a time: two cores.
static SERIAL: Mutex<()> = Mutex::new(());

/// Every PromQL `expr` of a dashboard JSON, with Grafana's variables made concrete.
fn panel_expressions(json: &serde_json::Value, out: &mut Vec<String>) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr", serde_json::Value::String(expr)) if !expr.is_empty() => {
                        out.push(concrete(expr))
                    }
                    ("templating", _) => {}
                    _ => panel_expressions(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| panel_expressions(v, out)),
        _ => {}
    }
}

/// Replaces `$__rate_interval` / `$__range` / `$__interval` with `5m` and `$var` / `${var}`
/// (in label matchers) with `.*`.
fn concrete(expr: &str) -> String {
    let mut text = expr
        .replace("$__rate_interval", "5m")
        .replace("$__range", "5m")
        .replace("$__interval", "1m");
    while let Some(start) = text.find('$') {
        let rest = &text[start + 1..];
        let (len, _) = if let Some(inner) = rest.strip_prefix('{') {
            (inner.find('}').map_or(rest.len(), |i| i + 2), ())
        } else {
            (rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(rest.len()), ())
        };
        text.replace_range(start..start + 1 + len, ".*");
    }
    text
}

fn run(namespace: &str) {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !tool_available("prometheus") {
        return;
    }
    let dir = TempDir::new(&format!("e2e-{namespace}"));

    // The workflow example, serving on a free port, a batch every 300 ms.
    let app_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut app = common::example("workflow");
    app.args(["--interval-ms", "300"])
        .env("FLOWMETER_LISTEN", app_addr.to_string())
        .env("FLOWMETER_NAMESPACE", namespace);
    let _app = common::spawn_serving(app);

    // The generated configuration and rules, scraping the example every second.
    let objectives = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../observability/objectives.toml"),
    )
    .map(|text| parse_objectives(&text).expect("valid objectives"))
    .unwrap_or_default();
    let config = GenerateConfig {
        namespace: namespace.to_owned(),
        objectives,
        scrape_target: app_addr.to_string(),
        ..GenerateConfig::default()
    };
    let files = generate(&config);
    let rules = write_generated(dir.path(), &files, |config| config);
    let records: Vec<String> =
        rules.into_iter().filter(|rule| rule.recording).map(|rule| rule.name).collect();
    let mut panels = Vec::new();
    for file in files.iter().filter(|file| file.path.starts_with("dashboards")) {
        let json: serde_json::Value = serde_json::from_str(&file.contents).unwrap();
        panel_expressions(&json, &mut panels);
    }
    assert!(!records.is_empty(), "the generator wrote recording rules");
    if namespace == "tta" {
        for seed in [
            "tta:workflow_rate_5m",
            "tta:request_rate_5m",
            "tta:success_rate_5m",
            "tta:error_rate_5m",
            "tta:latency_p95_5m",
            "tta:cache_hit_rate_5m",
            "tta:cost_per_hour_dollars",
        ] {
            assert!(records.iter().any(|r| r == seed), "{seed} is not generated: {records:?}");
        }
    }

    let prometheus = Prometheus::start(dir.path());
    let prometheus_addr = prometheus.addr;
    wait_for("Prometheus to scrape the example", Duration::from_secs(60), || {
        let up = query(prometheus_addr, "up{job=\"flowmeter\"} == 1").filter(|r| !r.is_empty());
        up.is_some().then_some(())
    });

    // Every recording rule and every panel returns finite data once a few batches have run.
    let expressions: Vec<String> = records.iter().cloned().chain(panels.iter().cloned()).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut missing: Vec<&String>;
    loop {
        missing = expressions
            .iter()
            .filter(|expr| {
                let result = query(prometheus_addr, expr);
                !result.is_some_and(|series| {
                    !series.is_empty() && series.iter().all(|(_, v)| v.is_finite())
                })
            })
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    assert!(missing.is_empty(), "no data for: {missing:#?}");

    // Consistent with the traffic: document 4 of each batch of 6 times out.
    let runs = format!("{namespace}_workflow_executions_total");
    let ratio =
        format!("sum(increase({runs}{{status=\"error\"}}[1m])) / sum(increase({runs}[1m]))");
    let value = query(prometheus_addr, &ratio).expect("valid query")[0].1;
    assert!((value - 1.0 / 6.0).abs() < 0.1, "workflow error ratio {value}, injected 1/6");
    // The shipped recording rule says the same.
    let rule = format!(
        "workflow:{namespace}_workflow_errors:ratio_rate5m{{workflow_name=\"document_pipeline\"}}"
    );
    let recorded = query(prometheus_addr, &rule).expect("valid query");
    assert_eq!(recorded.len(), 1, "{rule}: {recorded:?}");
    assert!((recorded[0].1 - 1.0 / 6.0).abs() < 0.1, "{rule} = {}, injected 1/6", recorded[0].1);
}

#[test]
fn every_rule_and_panel_returns_data_from_a_real_prometheus() {
    run("flowmeter");
}

#[test]
fn the_tta_namespace_serves_the_seed_compatible_rule_names() {
    run("tta");
}
