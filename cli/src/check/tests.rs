use super::*;

const SCRAPE: &str = "\
# TYPE ns_primitive_executions_total counter
ns_primitive_executions_total{primitive_name=\"fetch\",primitive_type=\"step\",status=\"success\"} 3
# TYPE ns_execution_duration_seconds histogram
ns_execution_duration_seconds_bucket{primitive_name=\"fetch\",primitive_type=\"step\",status=\"success\",le=\"0.1\"} 3
ns_execution_duration_seconds_bucket{primitive_name=\"fetch\",primitive_type=\"step\",status=\"success\",le=\"+Inf\"} 3
ns_execution_duration_seconds_sum{primitive_name=\"fetch\",primitive_type=\"step\",status=\"success\"} 0.1
ns_execution_duration_seconds_count{primitive_name=\"fetch\",primitive_type=\"step\",status=\"success\"} 3
# TYPE ns_cache_hits_total counter
ns_cache_hits_total{cache_name=\"c\"} 1
";

const RULES: &str = r#"groups:
- name: ns
  rules:
  - record: primitive:ns_primitive_executions:rate5m
    expr: sum by (primitive_name) (rate(ns_primitive_executions_total[5m]))
  - record: primitive:ns_execution_duration_seconds:p95_5m
    expr: histogram_quantile(0.95, sum by (primitive_name, le) (rate(ns_execution_duration_seconds_bucket{status="success"}[5m])))
  - alert: Down
    expr: up{job="flowmeter"} == 0 or absent(ns_primitive_executions_total{job="flowmeter"})
    labels: {severity: page}
"#;

fn scrape() -> Exposition {
    Exposition::parse(SCRAPE).unwrap()
}

fn lines(report: &Report) -> Vec<String> {
    report.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn a_consistent_set_is_clean() {
    let dashboard = r#"{"panels": [{"id": 1, "title": "p95", "targets": [
        {"refId": "A", "expr": "primitive:ns_execution_duration_seconds:p95_5m{primitive_name=~\"$primitive\"}"},
        {"refId": "B", "expr": "sum(rate(ns_cache_hits_total{cache_name=\"$cache\"}[$__rate_interval]))"}]}],
      "templating": {"list": [{"type": "query", "name": "primitive",
        "query": "label_values(ns_primitive_executions_total, primitive_name)"}]}}"#;
    let exposition = scrape();
    let report = Checker::new(&exposition)
        .check(&[Source::rules("r.yml", RULES), Source::dashboard("d.json", dashboard)]);
    assert!(report.is_clean(), "{report}");
    assert_eq!((report.files, report.expressions), (2, 6));
    assert_eq!(report.selectors, 7);
}

#[test]
fn names_missing_metrics_with_hints() {
    let rules = r#"groups:
- name: g
  rules:
  - alert: A
    expr: rate(ns_nonexistent_total[5m]) > 0 and ns_execution_duration_seconds > 1
  - record: r
    expr: ns_cache_hits + on() group_left {__name__=~"nothing_.*"}
"#;
    let exposition = scrape();
    let report = Checker::new(&exposition).check(&[Source::rules("bad.yml", rules)]);
    assert_eq!(
        lines(&report),
        [
            "bad.yml: group \"g\", alert \"A\": metric `ns_nonexistent_total` is not in the exposition and no given rule records it",
            "bad.yml: group \"g\", alert \"A\": metric `ns_execution_duration_seconds` is not in the exposition and no given rule records it (`ns_execution_duration_seconds` is a histogram: query `ns_execution_duration_seconds_bucket`, `ns_execution_duration_seconds_sum` or `ns_execution_duration_seconds_count`)",
            "bad.yml: group \"g\", record \"r\": metric `ns_cache_hits` is not in the exposition and no given rule records it (did you mean `ns_cache_hits_total`?)",
            "bad.yml: group \"g\", record \"r\": metric `~nothing_.*` is not in the exposition and no given rule records it",
        ]
    );
    assert_eq!(report.about_metric("ns_nonexistent_total").count(), 1);
}

#[test]
fn names_missing_labels_on_scraped_and_recorded_metrics() {
    let dashboard = r#"{"panels": [{"type": "row", "title": "r", "panels": [{"id": 7, "title": "t", "targets": [
        {"refId": "A", "expr": "primitive:ns_primitive_executions:rate5m{workflow_name=\"w\"}"},
        {"refId": "B", "expr": "ns_cache_hits_total{cache=\"c\", le=\"1\", instance=\"x\"}"}]}]}],
      "templating": {"list": [{"type": "query", "name": "w",
        "query": "label_values(ns_cache_hits_total, workflow_name)"}]}}"#;
    let exposition = scrape();
    let report = Checker::new(&exposition)
        .check(&[Source::rules("r.yml", RULES), Source::dashboard("d.json", dashboard)]);
    assert_eq!(
        lines(&report),
        [
            "d.json: panel \"t\" (id 7), target A: label `workflow_name` is not among the labels of recording rule `primitive:ns_primitive_executions:rate5m` (inferred from its expression)",
            "d.json: panel \"t\" (id 7), target B: label `cache` never appears on metric `ns_cache_hits_total` in the exposition",
            "d.json: panel \"t\" (id 7), target B: label `le` never appears on metric `ns_cache_hits_total` in the exposition",
            "d.json: variable \"w\": label `workflow_name` never appears on metric `ns_cache_hits_total` in the exposition",
        ]
    );
    let problem = &report.problems[1];
    assert_eq!((problem.metric(), problem.label()), (Some("ns_cache_hits_total"), Some("cache")));
    // Labels added after the scrape can be declared.
    let relabeled = Checker::new(&exposition)
        .ignore_label("cache")
        .check(&[Source::dashboard("d.json", dashboard), Source::rules("r.yml", RULES)]);
    assert_eq!(relabeled.problems.len(), 3);
}

#[test]
fn reports_unparsable_expressions_and_unreadable_files() {
    let exposition = scrape();
    let report = Checker::new(&exposition).check(&[
        Source::rules("broken.yml", "groups: [\n"),
        Source::dashboard("broken.json", "{"),
        Source::rules(
            "r.yml",
            "groups:\n- name: g\n  rules:\n  - record: x\n    expr: sum(rate(\n",
        ),
    ]);
    let lines = lines(&report);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].starts_with("broken.yml: cannot read the file: "), "{}", lines[0]);
    assert!(lines[1].starts_with("broken.json: cannot read the file: "), "{}", lines[1]);
    assert!(
        lines[2].starts_with("r.yml: group \"g\", record \"x\": cannot parse `sum(rate(`"),
        "{}",
        lines[2]
    );
}

#[test]
fn generated_sources_keeps_rules_and_dashboards() {
    let file = |path: &str| GeneratedFile { path: path.into(), contents: String::new() };
    let sources = generated_sources(&[
        file("prometheus.yml"),
        file("rules/a.rules.yml"),
        file("dashboards/b.json"),
        file("tests/a.test.yml"),
    ]);
    let kinds: Vec<_> = sources.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(
        kinds,
        [("rules/a.rules.yml", SourceKind::Rules), ("dashboards/b.json", SourceKind::Dashboard)]
    );
}

#[test]
fn slo_rules_with_added_labels_and_guards_are_clean() {
    // Sloth-style: ratios guarded against no traffic, labels added by the rule, alerts on the
    // recorded ratios by those labels, an absent-target alert.
    let rules = r#"groups:
- name: slo
  rules:
  - record: primitive:ns_primitive_errors:ratio_rate5m
    expr: |
      sum by (primitive_name) (rate(ns_primitive_executions_total{status!="success"}[5m]))
        / (sum by (primitive_name) (rate(ns_primitive_executions_total[5m])) > 0)
    labels: {slo: fetch_success}
  - record: primitive:ns_primitive_errors:ratio_rate1h
    expr: sum_over_time(primitive:ns_primitive_errors:ratio_rate5m[1h]) / count_over_time(primitive:ns_primitive_errors:ratio_rate5m[1h])
    labels: {slo: fetch_success}
  - alert: FetchErrorBudgetBurn
    expr: |
      primitive:ns_primitive_errors:ratio_rate5m{slo="fetch_success",primitive_name="fetch"} > (14.4 * 0.001)
      and ignoring (slo) primitive:ns_primitive_errors:ratio_rate1h{slo="fetch_success"} > (14.4 * 0.001)
    for: 2m
    labels: {severity: page}
  - alert: TargetAbsent
    expr: absent(up{job="flowmeter"}) or up{job="flowmeter"} == 0
  - alert: SlowFetch
    expr: |
      histogram_quantile(0.99, sum by (primitive_name, le) (rate(ns_execution_duration_seconds_bucket[5m])))
        > on (primitive_name) group_left label_replace(vector(1), "primitive_name", "fetch", "", "")
"#;
    let exposition = scrape();
    let report = Checker::new(&exposition).check(&[Source::rules("slo.yml", rules)]);
    assert!(report.is_clean(), "{report}");
}
