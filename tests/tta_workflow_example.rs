//! Runs the TTA parity example on a free port, scrapes `/metrics` over HTTP and asserts every
//! metric the original system exported, under namespace `tta`, with exact values for the
//! example's activity; `promtool check metrics` passes on the scrape. While serving, its
//! rounds keep every series the `tta` rules read moving (the original's counters froze).

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{KillOnDrop, free_port, http_get, parse, promtool_check_metrics};

#[test]
fn the_tta_example_exports_the_seed_metrics_under_real_workflow_names() {
    let port = free_port();
    let mut child = KillOnDrop(
        common::example("tta_workflow")
            // No rounds: the values asserted below are the fixed activity's alone.
            .args(["--interval-ms", "0"])
            .env("FLOWMETER_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.is_ok_and(|l| l.starts_with("serving "))), "the example serves");
    let response = http_get(format!("127.0.0.1:{port}").parse().unwrap(), "/metrics");
    assert_eq!(response.status, 200);
    let scraped = parse(&response.body);

    for (family, ty) in [
        ("tta_workflow_executions_total", "counter"),
        ("tta_primitive_executions_total", "counter"),
        ("tta_execution_duration_seconds", "histogram"),
        ("tta_llm_cost_total", "counter"),
        ("tta_cache_hits_total", "counter"),
        ("tta_cache_misses_total", "counter"),
    ] {
        assert_eq!(scraped.types.get(family).map(String::as_str), Some(ty), "{family}");
    }
    // Summed: an errored call's series also carries its `error_type`, next to the one at 0.
    let total = |name, matchers: &[(&str, &str)]| -> f64 {
        scraped.find(name, matchers).iter().map(|s| s.value).sum()
    };
    let runs = |workflow, status| {
        total("tta_workflow_executions_total", &[("workflow_name", workflow), ("status", status)])
    };
    assert_eq!((runs("tta_ingest", "success"), runs("tta_ingest", "error")), (2.0, 1.0));
    assert_eq!(runs("tta_enrich", "success"), 2.0);
    assert_eq!(runs("tta_answer", "success"), 3.0);
    let steps = |name, status| {
        total("tta_primitive_executions_total", &[("primitive_name", name), ("status", status)])
    };
    assert_eq!((steps("validate", "success"), steps("validate", "error")), (2.0, 1.0));
    assert_eq!((steps("index", "success"), steps("ingest_steps", "error")), (2.0, 1.0));
    assert_eq!((steps("keywords", "success"), steps("enrich_branches", "success")), (2.0, 2.0));
    assert_eq!(steps("answer", "success"), 2.0, "the repeated question is a cache hit");
    let sample =
        &scraped.find("tta_primitive_executions_total", &[("primitive_name", "answer")])[0];
    let labels: Vec<&str> = sample.labels.keys().map(String::as_str).collect();
    assert_eq!(labels, ["primitive_name", "primitive_type", "status"]);
    assert_eq!(sample.label("primitive_type"), Some("llm"));

    let les: Vec<&str> = scraped
        .find(
            "tta_execution_duration_seconds_bucket",
            &[("primitive_name", "load"), ("status", "success")],
        )
        .iter()
        .filter_map(|s| s.label("le"))
        .collect();
    assert_eq!(
        les,
        [
            "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
            "5", "10", "30", "60", "+Inf"
        ]
    );
    assert_eq!(
        scraped.value(
            "tta_execution_duration_seconds_count",
            &[("primitive_name", "load"), ("status", "success")]
        ),
        3.0
    );

    // Two gpt-4o-mini calls of 1 000 input and 500 output tokens: 2 × (150 + 300) µ$.
    let cost =
        scraped.value("tta_llm_cost_total", &[("model", "gpt-4o-mini"), ("provider", "openai")]);
    assert!((cost - 0.0009).abs() < 1e-12, "{cost}");
    assert_eq!(scraped.value("tta_cache_hits_total", &[("cache_name", "answers")]), 1.0);
    assert_eq!(scraped.value("tta_cache_misses_total", &[("cache_name", "answers")]), 2.0);
    assert!(scraped.types.keys().all(|f| !f.starts_with("flowmeter_")), "namespace tta only");
    promtool_check_metrics(&response.body);
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    if let Some(families) = common::openmetrics::scrape_checked(addr, "/metrics") {
        assert!(families.iter().any(|f| f.name == "tta_workflow_executions"), "a counter family");
    }
}

/// With rounds on, every counter the `tta` recording rules take a rate of grows between two
/// scrapes: workflow runs (successes and validation errors), the steps, cache hits and misses,
/// LLM dollars and tokens, so `tta:success_rate_5m`, `tta:cache_hit_rate_5m` and the latency
/// quantiles have recent data.
#[test]
fn while_serving_rounds_keep_the_series_of_the_tta_rules_moving() {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut app = common::example("tta_workflow");
    app.args(["--interval-ms", "20"]).env("FLOWMETER_LISTEN", &addr);
    let _app = common::spawn_serving(app);
    let addr = addr.parse().unwrap();
    let series: [(&str, &[(&str, &str)]); 9] = [
        (
            "tta_workflow_executions_total",
            &[("workflow_name", "tta_ingest"), ("status", "success")],
        ),
        ("tta_workflow_executions_total", &[("workflow_name", "tta_ingest"), ("status", "error")]),
        (
            "tta_workflow_executions_total",
            &[("workflow_name", "tta_enrich"), ("status", "success")],
        ),
        ("tta_primitive_executions_total", &[("primitive_name", "validate"), ("status", "error")]),
        ("tta_execution_duration_seconds_count", &[("primitive_name", "answer")]),
        ("tta_cache_hits_total", &[("cache_name", "answers")]),
        ("tta_cache_misses_total", &[("cache_name", "answers")]),
        ("tta_llm_cost_total", &[("model", "gpt-4o-mini")]),
        ("gen_ai_client_token_usage_sum", &[("gen_ai_request_model", "gpt-4o-mini")]),
    ];
    let totals = |body: &str| -> Vec<f64> {
        let scraped = parse(body);
        let sum = |(name, matchers): &(&str, &[(&str, &str)])| {
            scraped.find(name, matchers).iter().map(|s| s.value).sum()
        };
        series.iter().map(sum).collect()
    };
    let first = totals(&http_get(addr, "/metrics").body);
    // A generous limit for a loaded machine; rounds run every 20 ms.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let now = totals(&http_get(addr, "/metrics").body);
        let stalled: Vec<_> =
            series.iter().zip(first.iter().zip(&now)).filter(|(_, (b, a))| a <= b).collect();
        if stalled.is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not moving: {stalled:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// `FLOWMETER_NAMESPACE` replaces `tta`, so the same workload can feed another namespace's
/// rules (the reference e2e test runs it under the default one as well).
#[test]
fn flowmeter_namespace_replaces_tta() {
    let output = common::example("tta_workflow")
        .arg("--once")
        .env("FLOWMETER_NAMESPACE", "flowmeter")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let scraped = parse(&String::from_utf8(output.stdout).unwrap());
    let runs = scraped.find("flowmeter_workflow_executions_total", &[("status", "success")]);
    assert_eq!(runs.iter().map(|s| s.value).sum::<f64>(), 7.0, "2 + 2 + 3 successful runs");
    assert!(scraped.types.keys().all(|f| !f.starts_with("tta_")), "{:?}", scraped.types.keys());
}
