//! The generated Grafana dashboards: well-formed, deterministic, every expression valid PromQL
//! (checked by promtool), and every selector a catalog metric with its own labels, used the
//! way its type asks (`rate` on counters and histograms, gauges as they are).

use std::collections::BTreeSet;
use std::process::Command;

use flowmeter::metrics::catalog::{CATALOG, Naming};
use flowmeter::metrics::{Objective, Target};
use flowmeter_cli::dashboards::panel_expressions;
use flowmeter_cli::dashboards::{DASHBOARDS, uid, variable_queries};
use flowmeter_cli::{GenerateConfig, GeneratedFile, generate};
use serde_json::Value;

mod common;

#[path = "dashboards/lint.rs"]
mod lint;

use lint::{concrete, label_values, lint_one, series};

fn config(namespace: &str) -> GenerateConfig {
    let objectives = vec![
        Objective::success_rate(Target::Workflow("document_pipeline".into()), 0.99).unwrap(),
        Objective::latency(Target::Primitive("summarize".into()), 0.5, 0.95)
            .unwrap()
            .window_days(7),
    ];
    GenerateConfig { namespace: namespace.to_owned(), objectives, ..GenerateConfig::default() }
}

fn dashboards(config: &GenerateConfig) -> Vec<GeneratedFile> {
    generate(config).into_iter().filter(|f| f.path.starts_with("dashboards")).collect()
}

/// Every panel, rows' nested panels included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    fn walk<'a>(panels: &'a Value, out: &mut Vec<&'a Value>) {
        for panel in panels.as_array().into_iter().flatten() {
            out.push(panel);
            walk(&panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

#[test]
fn every_dashboard_is_well_formed_grafana_json() {
    for objectives in [config("flowmeter"), GenerateConfig::default()] {
        let files = dashboards(&objectives);
        let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        let expected: Vec<String> =
            DASHBOARDS.iter().map(|s| format!("dashboards/{s}.json")).collect();
        assert_eq!(paths, expected);
        for file in &files {
            let name = file.path.display();
            let json: Value = serde_json::from_str(&file.contents).unwrap();
            for key in ["uid", "title", "description"] {
                assert!(json[key].as_str().is_some_and(|s| !s.is_empty()), "{name}: {key}");
            }
            assert!(json["schemaVersion"].as_u64().unwrap() >= 39, "{name}");
            assert!(json["tags"].as_array().unwrap().contains(&"flowmeter".into()));
            let variables = json["templating"]["list"].as_array().unwrap();
            let datasource = &variables[0];
            assert_eq!(
                (&datasource["name"], &datasource["type"], &datasource["query"]),
                (&"datasource".into(), &"datasource".into(), &"prometheus".into()),
                "{name}"
            );
            let panels = panels(&json);
            assert!(!panels.is_empty(), "{name}");
            let ids: BTreeSet<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
            assert_eq!(ids.len(), panels.len(), "{name}: panel ids are unique");
            for panel in panels {
                let title = panel["title"].as_str().unwrap_or_default();
                assert!(!title.is_empty(), "{name}: a panel without title");
                assert!(
                    panel["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{name}: {title} has no description"
                );
                assert_eq!(panel["datasource"]["uid"], "${datasource}", "{name}: {title}");
                assert_eq!(panel["datasource"]["type"], "prometheus", "{name}: {title}");
                let grid = &panel["gridPos"];
                let (x, w) = (grid["x"].as_u64().unwrap(), grid["w"].as_u64().unwrap());
                assert!(w > 0 && x + w <= 24 && grid["h"].as_u64().unwrap() > 0, "{title}");
                let kind = panel["type"].as_str().unwrap();
                let targets = panel["targets"].as_array().map(Vec::as_slice).unwrap_or_default();
                if matches!(kind, "row" | "text") {
                    assert!(targets.is_empty(), "{name}: {title}");
                    continue;
                }
                assert!(!targets.is_empty(), "{name}: {title} has no query");
                let unit = panel["fieldConfig"]["defaults"]["unit"].as_str().unwrap();
                assert!(
                    ["s", "percentunit", "currencyUSD", "reqps", "ops", "short"].contains(&unit),
                    "{name}: {title}: unit {unit}"
                );
                let ref_ids: BTreeSet<&str> =
                    targets.iter().map(|t| t["refId"].as_str().unwrap()).collect();
                assert_eq!(ref_ids.len(), targets.len(), "{name}: {title}");
                for target in targets {
                    assert_eq!(target["datasource"]["uid"], "${datasource}", "{title}");
                    assert!(target["expr"].as_str().is_some_and(|e| !e.is_empty()), "{title}");
                    assert_eq!(target["instant"], matches!(kind, "stat" | "table"), "{title}");
                }
            }
        }
    }
}

#[test]
fn output_and_uids_are_stable() {
    let config = config("flowmeter");
    assert_eq!(dashboards(&config), dashboards(&config));
    let uids: Vec<String> = dashboards(&config)
        .iter()
        .map(|f| {
            serde_json::from_str::<Value>(&f.contents).unwrap()["uid"].as_str().unwrap().into()
        })
        .collect();
    assert_eq!(
        uids,
        [
            "flowmeter-workflow-overview",
            "flowmeter-primitive-explorer",
            "flowmeter-cache",
            "flowmeter-llm-cost",
            "flowmeter-slo"
        ]
    );
    assert_eq!(uid("tta", "slo"), "tta-slo");
    let other: Vec<String> =
        dashboards(&GenerateConfig::default()).iter().map(|f| f.contents.clone()).collect();
    assert_eq!(
        other,
        dashboards(&GenerateConfig::default())
            .iter()
            .map(|f| f.contents.clone())
            .collect::<Vec<_>>()
    );
}

/// Every panel expression and variable query of `config`'s dashboards, by file.
fn expressions(config: &GenerateConfig) -> Vec<(String, Vec<String>, Vec<String>)> {
    dashboards(config)
        .iter()
        .map(|file| {
            (
                file.path.display().to_string(),
                panel_expressions(&file.contents).unwrap(),
                variable_queries(&file.contents).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_expression_passes_promtool_check_rules() {
    let mut rules = Vec::new();
    for (file, exprs, variables) in expressions(&config("flowmeter")) {
        for expr in exprs {
            rules.push((file.clone(), concrete(&expr)));
        }
        for query in variables {
            rules.push((file.clone(), format!("count({})", concrete(&label_values(&query).0))));
        }
    }
    assert!(rules.len() > 40, "{} expressions", rules.len());
    let rule_file = serde_json::json!({ "groups": [{
        "name": "dashboard_expressions",
        "rules": rules.iter().enumerate().map(|(i, (_, expr))| serde_json::json!({
            "record": format!("dashboard:expression_{i}:check"), "expr": expr,
        })).collect::<Vec<_>>(),
    }]});
    if !common::tool_available("promtool") {
        return;
    }
    let dir = common::TempDir::new("dashboards");
    let path = dir.path().join("expressions.rules.yml");
    // JSON is YAML: promtool reads it as a rule file.
    std::fs::write(&path, serde_json::to_string_pretty(&rule_file).unwrap()).unwrap();
    let output = Command::new("promtool").args(["check", "rules"]).arg(&path).output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "promtool check rules failed:\n{report}");
    assert!(report.contains(&format!("{} rules found", rules.len())), "{report}");
}

/// Lints every expression and variable query of `namespace`'s dashboards; returns the series
/// they use.
fn lint(namespace: &str) -> BTreeSet<String> {
    let series = series(namespace);
    let mut used = BTreeSet::new();
    let mut problems = Vec::new();
    for (file, exprs, variables) in expressions(&config(namespace)) {
        let queries = variables.iter().map(|q| label_values(q));
        let checks = exprs
            .iter()
            .map(|e| (e.clone(), None, None))
            .chain(queries.map(|(s, l)| (s, Some("label_values"), Some(l))));
        for (text, function, label) in checks {
            let (series_used, found) = lint_one(&series, &text, function, label.as_deref());
            used.extend(series_used);
            problems.extend(found.into_iter().map(|p| format!("{file}: {p}")));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    used
}

#[test]
fn the_lint_catches_the_reference_system_mistakes() {
    let series = series("ns");
    let problems = |expr: &str| lint_one(&series, expr, None, None).1;
    let ok = "histogram_quantile(0.9, sum by (status, le) (rate(ns_workflow_duration_seconds_bucket{workflow_name=~\"$workflow\"}[5m])))";
    assert_eq!(problems(ok), Vec::<String>::new());
    for bad in [
        "sum(rate(ns_workflow_runs_total[5m]))",
        "sum(rate(ns_workflow_executions_total{workflow=\"w\"}[5m]))",
        "sum(ns_workflow_executions_total)",
        "rate(ns_cache_entries[5m])",
        "histogram_quantile(0.9, rate(ns_workflow_duration_seconds_bucket[5m]))",
        "sum(rate(ns_cache_hits_total[5m])) or vector(0)",
        "sum by (model) (rate(ns_cache_hits_total[5m]))",
    ] {
        assert!(!problems(bad).is_empty(), "not caught: {bad}");
    }
}

#[test]
fn every_selector_is_a_catalog_series_with_its_labels() {
    let used = lint("flowmeter");
    // Every catalog metric has a panel.
    for def in CATALOG {
        let name = def.prometheus_name("flowmeter");
        assert!(used.iter().any(|u| u.starts_with(&name)), "no panel shows {name}");
    }
}

#[test]
fn namespace_tta_names_only_tta_metrics() {
    let used = lint("tta");
    let semantic: Vec<String> = CATALOG
        .iter()
        .filter(|def| def.naming == Naming::SemanticConvention)
        .map(|def| def.prometheus_name("tta"))
        .collect();
    for name in &used {
        assert!(
            name.starts_with("tta_") || semantic.iter().any(|s| name.starts_with(s.as_str())),
            "{name} is neither tta_ nor a semantic-convention metric"
        );
    }
    for file in dashboards(&config("tta")) {
        assert!(!file.contents.contains("flowmeter_"), "{}", file.path.display());
        assert!(file.contents.contains("\"uid\": \"tta-"), "{}", file.path.display());
    }
}

#[test]
fn the_slo_dashboard_has_a_row_per_objective_or_says_how_to_declare_them() {
    let slo = |config: &GenerateConfig| -> Value {
        let file = dashboards(config).into_iter().find(|f| f.path.ends_with("slo.json")).unwrap();
        serde_json::from_str(&file.contents).unwrap()
    };
    let empty = slo(&GenerateConfig::default());
    let only = panels(&empty);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["type"], "text");
    assert!(only[0]["options"]["content"].as_str().unwrap().contains("[[objective]]"));

    let declared = slo(&config("flowmeter"));
    let rows: Vec<&str> = panels(&declared)
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            "workflow \"document_pipeline\": 99% succeed over 30d",
            "primitive \"summarize\": 95% within 0.5s over 7d"
        ]
    );
    let exprs = panel_expressions(&serde_json::to_string(&declared).unwrap()).unwrap();
    for window in ["[5m]", "[1h]", "[6h]", "[3d]", "[30d]", "[7d]"] {
        assert!(exprs.iter().any(|e| e.contains(window)), "no {window} window");
    }
    assert!(exprs.iter().any(|e| e.contains("le=\"0.5\"") && e.contains("/ (1 - 0.95)")));
    assert!(exprs.iter().any(|e| e.contains("status!=\"success\"") && e.contains("/ (1 - 0.99)")));
}

#[test]
fn panel_expressions_reads_nested_rows_and_rejects_non_json() {
    let json = r#"{"panels": [
        {"type": "timeseries", "targets": [{"expr": "a"}, {"expr": ""}]},
        {"type": "row", "panels": [{"targets": [{"expr": "b"}]}]}
    ]}"#;
    assert_eq!(panel_expressions(json).unwrap(), ["a", "b"]);
    assert!(panel_expressions("{").is_err());
}

/// Whether `panel` shows quantiles or the distribution of flowmeter's execution or workflow
/// durations (`<ns>_{execution,workflow}_duration_seconds_bucket`) over time: a time series
/// of `histogram_quantile`s or a heatmap of the buckets. SLO burn rates also read a duration
/// bucket (`le` = the threshold) but are ratios, not latency.
fn is_latency_panel(panel: &Value, namespace: &str) -> bool {
    let families = ["execution_duration_seconds_bucket", "workflow_duration_seconds_bucket"]
        .map(|f| format!("{namespace}_{f}"));
    let exprs: Vec<&str> = panel["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["expr"].as_str())
        .collect();
    let reads_durations = !exprs.is_empty()
        && exprs.iter().all(|e| families.iter().any(|family| e.contains(family.as_str())));
    match panel["type"].as_str() {
        Some("timeseries") => {
            reads_durations && exprs.iter().all(|e| e.starts_with("(histogram_quantile("))
        }
        Some("heatmap") => reads_durations,
        _ => false,
    }
}

#[test]
fn latency_panels_and_only_they_ask_for_exemplars() {
    for namespace in ["flowmeter", "tta"] {
        let mut latency = Vec::new();
        for file in dashboards(&config(namespace)) {
            let name = file.path.file_name().unwrap().to_str().unwrap().to_owned();
            let json: Value = serde_json::from_str(&file.contents).unwrap();
            for panel in panels(&json) {
                let title = panel["title"].as_str().unwrap();
                let targets = panel["targets"].as_array().map(Vec::as_slice).unwrap_or_default();
                if is_latency_panel(panel, namespace) {
                    latency.push(format!("{name}: {title}"));
                    for target in targets {
                        assert_eq!(target["exemplar"], true, "{name}: {title}: {target}");
                        let expr = target["expr"].as_str().unwrap();
                        // Exemplars exist for raw series only: never a recording rule.
                        assert!(!expr.contains(':'), "{name}: {title}: {expr}");
                    }
                } else {
                    for target in targets {
                        assert!(target.get("exemplar").is_none(), "{name}: {title}: {target}");
                    }
                }
            }
        }
        assert_eq!(
            latency,
            [
                "workflow-overview.json: Latency p50 / p95 / p99",
                "primitive-explorer.json: Latency p50 / p95 / p99",
                "primitive-explorer.json: Latency distribution",
            ],
            "{namespace}"
        );
    }
}
