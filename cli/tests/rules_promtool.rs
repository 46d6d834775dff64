//! The generated recording rules, alerts, SLO and compat rules, proven with promtool and
//! checked for the mistakes of the system flowmeter replaces.
//!
//! 1. `promtool check rules` passes on every generated rule file (namespaces `flowmeter`
//!    and `tta`, with the objectives of `observability/objectives.toml`).
//! 2. `promtool test rules` passes on `observability/tests/*.test.yml`, run against rule files
//!    generated into a temporary directory laid out like `observability/` (promtool resolves
//!    `rule_files:` relative to the test file, so the tests say `../rules/…`).
//! 3. Those tests cover every generated rule (with expected samples) and every alert (firing
//!    with exact labels and annotations, and not firing).
//! 4. The expressions themselves: no `vector(0)`, every `histogram_quantile` over
//!    `sum by (…, le)`, no `job` / `instance` outside the target-down alert, and every metric
//!    a catalog metric or a rule defined before it.
//!
//! Tests that need promtool fail when it is missing and `CI` is set; otherwise they say why
//! they skip.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::TempDir;
use std::process::Command;

use flowmeter::metrics::catalog;
use flowmeter::metrics::catalog::InstrumentKind;
use flowmeter_cli::{GenerateConfig, GeneratedFile, generate, parse_objectives};
use serde_yaml_ng::Value;

/// The workspace root, where `observability/` lives.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn config(namespace: &str) -> GenerateConfig {
    let path = Path::new(ROOT).join("observability/objectives.toml");
    let text = std::fs::read_to_string(&path).expect("observability/objectives.toml");
    GenerateConfig {
        namespace: namespace.to_owned(),
        objectives: parse_objectives(&text).expect("objectives parse"),
        ..GenerateConfig::default()
    }
}

/// The generated rule files (`rules/*.yml`), in generation order.
fn rule_files(namespace: &str) -> Vec<GeneratedFile> {
    generate(&config(namespace)).into_iter().filter(|f| f.path.starts_with("rules")).collect()
}

/// A temporary directory removed on drop.
fn write(dir: &Path, files: &[GeneratedFile]) {
    for file in files {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &file.contents).unwrap();
    }
}

fn promtool_available() -> bool {
    common::tool_available("promtool")
}

fn run(command: &mut Command) -> (bool, String) {
    let output = command.output().expect("run promtool");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), report)
}

fn test_files() -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("observability/tests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("observability/tests")
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".test.yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no promtool tests in {}", dir.display());
    files
}

#[test]
fn promtool_check_rules_passes_on_every_generated_file() {
    if !promtool_available() {
        return;
    }
    for namespace in ["flowmeter", "tta"] {
        let dir = TempDir::new(&format!("check-{namespace}"));
        let files = rule_files(namespace);
        write(dir.path(), &files);
        let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        assert_eq!(
            names,
            [
                format!("rules/{namespace}.rules.yml"),
                format!("rules/{namespace}.alerts.yml"),
                format!("rules/{namespace}.slo.yml"),
                format!("rules/{namespace}.compat.yml"),
            ]
        );
        let (ok, report) = run(Command::new("promtool")
            .arg("check")
            .arg("rules")
            .args(&names)
            .current_dir(dir.path()));
        assert!(ok, "promtool check rules ({namespace}):\n{report}");
        assert!(!report.contains("lint"), "lint warnings:\n{report}");
    }
}

#[test]
fn promtool_unit_tests_pass() {
    if !promtool_available() {
        return;
    }
    let dir = TempDir::new("unit");
    write(dir.path(), &rule_files("flowmeter"));
    let tests = dir.path().join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    for file in test_files() {
        let name = file.file_name().unwrap().to_owned();
        std::fs::copy(&file, tests.join(&name)).unwrap();
        let (ok, report) =
            run(Command::new("promtool").args(["test", "rules"]).arg(&name).current_dir(&tests));
        assert!(ok, "promtool test rules {}:\n{report}", name.to_string_lossy());
        assert!(report.contains("SUCCESS"), "{report}");
    }
}

/// What the promtool tests exercise: per record, (tests with samples, tests expecting none);
/// per alert, (tests where it fires, tests where it must not).
#[derive(Default, Debug)]
struct Coverage {
    records: BTreeMap<String, (usize, usize)>,
    alerts: BTreeMap<String, (usize, usize)>,
}

fn coverage() -> Coverage {
    let mut coverage = Coverage::default();
    for file in test_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: Value = serde_yaml_ng::from_str(&text).expect("test file parses");
        for test in doc["tests"].as_sequence().expect("tests:") {
            for case in test["promql_expr_test"].as_sequence().into_iter().flatten() {
                let expr = case["expr"].as_str().expect("expr");
                assert!(case["eval_time"].as_str().is_some(), "eval_time for {expr}");
                let samples = case["exp_samples"].as_sequence().expect("exp_samples");
                for name in promql::parse(expr).metrics {
                    let entry = coverage.records.entry(name).or_default();
                    if samples.is_empty() { entry.1 += 1 } else { entry.0 += 1 }
                }
            }
            for case in test["alert_rule_test"].as_sequence().into_iter().flatten() {
                let name = case["alertname"].as_str().expect("alertname").to_owned();
                assert!(case["eval_time"].as_str().is_some(), "eval_time for {name}");
                let alerts = case["exp_alerts"].as_sequence().expect("exp_alerts");
                for alert in alerts {
                    assert!(alert["exp_labels"]["severity"].as_str().is_some(), "{name}");
                    assert!(alert["exp_annotations"]["summary"].as_str().is_some(), "{name}");
                    assert!(alert["exp_annotations"]["description"].as_str().is_some(), "{name}");
                }
                let entry = coverage.alerts.entry(name).or_default();
                if alerts.is_empty() { entry.1 += 1 } else { entry.0 += 1 }
            }
        }
    }
    coverage
}

/// Every `record` and `alert` of the generated files, in order, with its file.
fn generated_rules(namespace: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for file in rule_files(namespace) {
        let doc: Value = serde_yaml_ng::from_str(&file.contents).expect("generated YAML parses");
        for group in doc["groups"].as_sequence().unwrap() {
            assert!(group.get("interval").is_none(), "evaluation interval left to the global one");
            for rule in group["rules"].as_sequence().unwrap() {
                out.push((file.path.display().to_string(), rule.clone()));
            }
        }
    }
    out
}

#[test]
fn unit_tests_cover_every_rule_and_alert() {
    let coverage = coverage();
    let mut records = BTreeSet::new();
    let mut alerts = BTreeSet::new();
    for (_, rule) in generated_rules("flowmeter") {
        if let Some(name) = rule["record"].as_str() {
            records.insert(name.to_owned());
        } else {
            alerts.insert(rule["alert"].as_str().unwrap().to_owned());
        }
    }
    let mut missing = Vec::new();
    for name in &records {
        match coverage.records.get(name) {
            Some((with_samples, _)) if *with_samples > 0 => {}
            _ => missing.push(format!("record {name}: no test with expected samples")),
        }
    }
    for name in &alerts {
        match coverage.alerts.get(name) {
            Some((firing, quiet)) if *firing > 0 && *quiet > 0 => {}
            other => missing.push(format!("alert {name}: (firing, not firing) tests {other:?}")),
        }
    }
    assert!(missing.is_empty(), "untested:\n{}", missing.join("\n"));
    for name in coverage.alerts.keys() {
        assert!(alerts.contains(name), "a test names alert {name}, which is not generated");
    }
    let quiet_ratios = records
        .iter()
        .filter(|n| n.contains("ratio") || n.contains(":p9") || n.contains(":p50"))
        .filter(|n| !n.starts_with("slo:objective") && !n.starts_with("slo:error_budget"))
        .filter(|n| coverage.records.get(*n).is_some_and(|(_, none)| *none > 0))
        .count();
    eprintln!(
        "promtool tests cover {} recording rules and {} alerts ({} ratio/quantile rules also \
         tested to have no series in a quiet period)",
        records.len(),
        alerts.len(),
        quiet_ratios
    );
    assert!(quiet_ratios >= 10, "quiet-period coverage: {quiet_ratios}");
}

#[test]
fn expressions_avoid_the_mistakes_of_the_seed_system() {
    for namespace in ["flowmeter", "tta"] {
        let mut known: BTreeSet<String> = BTreeSet::new();
        for info in catalog::list(namespace) {
            if info.kind == InstrumentKind::Histogram {
                for suffix in ["_bucket", "_sum", "_count"] {
                    known.insert(format!("{}{suffix}", info.prometheus_name));
                }
            } else {
                known.insert(info.prometheus_name);
            }
        }
        let target_down = format!("{}TargetDown", camel(namespace));
        let mut count = 0;
        for (file, rule) in generated_rules(namespace) {
            let name = rule["record"].as_str().or(rule["alert"].as_str()).unwrap().to_owned();
            let expr = rule["expr"].as_str().unwrap();
            let context = format!("{file}: {name}: {expr}");
            assert!(!expr.contains("vector(0)"), "{context}");
            let parsed = promql::parse(expr);
            for (i, _) in expr.match_indices("histogram_quantile(") {
                let by = promql::grouping_after(&expr[i..]).unwrap_or_default();
                assert!(by.iter().any(|l| l == "le"), "quantile without sum by (…, le): {context}");
            }
            let uses_target_labels = parsed.labels.iter().any(|l| l == "job" || l == "instance");
            assert_eq!(uses_target_labels, name == target_down, "job/instance: {context}");
            for metric in &parsed.metrics {
                let allowed = known.contains(metric)
                    || (metric == "up" && name == target_down)
                    || known.contains(&format!("rule:{metric}"));
                assert!(
                    allowed,
                    "{metric} is neither a catalog metric nor a rule above: {context}"
                );
            }
            if rule["record"].as_str().is_some() {
                known.insert(format!("rule:{name}"));
            } else {
                let labels = &rule["labels"];
                assert!(
                    ["page", "ticket", "warning"].contains(&labels["severity"].as_str().unwrap()),
                    "{context}"
                );
                assert!(rule["for"].as_str().is_some(), "for: {context}");
                for key in ["summary", "description"] {
                    let text = rule["annotations"][key].as_str().unwrap();
                    // `absent()` has neither labels nor a meaningful value to show.
                    let templated = text.contains("{{ $labels.") || text.contains("{{ $value");
                    assert!(templated || expr.starts_with("absent("), "{key}: {context}");
                }
            }
            count += 1;
        }
        assert!(count > 60, "{namespace}: {count} rules");
    }
}

fn camel(namespace: &str) -> String {
    namespace
        .split('_')
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Just enough of a PromQL lexer to tell metric names from functions, keywords and labels.
mod promql {
    /// Identifiers of an expression, by role.
    #[derive(Debug, Default)]
    pub struct Parsed {
        /// Metric and recording rule names (selectors).
        pub metrics: Vec<String>,
        /// Label names: in matchers and in `by` / `without` / `on` / `ignoring` / `group_*`.
        pub labels: Vec<String>,
    }

    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "inf",
        "nan",
        "Inf",
        "NaN",
    ];
    const AGGREGATIONS: &[&str] = &[
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
    ];
    const GROUPING: &[&str] = &["by", "without", "on", "ignoring", "group_left", "group_right"];

    pub fn parse(expr: &str) -> Parsed {
        let chars: Vec<char> = expr.chars().collect();
        let mut out = Parsed::default();
        let mut i = 0;
        let mut braces = false;
        let mut grouping_next = false;
        let mut in_grouping = false;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '"' | '\'' | '`' => {
                    i += 1;
                    while i < chars.len() && chars[i] != c {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                '[' => {
                    while i < chars.len() && chars[i] != ']' {
                        i += 1;
                    }
                    i += 1;
                }
                '{' => {
                    braces = true;
                    i += 1;
                }
                '}' => {
                    braces = false;
                    i += 1;
                }
                '(' => {
                    if grouping_next {
                        in_grouping = true;
                        grouping_next = false;
                    }
                    i += 1;
                }
                ')' => {
                    in_grouping = false;
                    i += 1;
                }
                c if c.is_ascii_digit() || c == '.' => {
                    while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                        i += 1;
                    }
                }
                c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                    let start = i;
                    while i < chars.len()
                        && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                    {
                        i += 1;
                    }
                    let word: String = chars[start..i].iter().collect();
                    let next = chars[i..].iter().find(|c| !c.is_whitespace()).copied();
                    if braces || in_grouping {
                        out.labels.push(word);
                    } else if GROUPING.contains(&word.as_str()) {
                        grouping_next = true;
                    } else if KEYWORDS.contains(&word.as_str())
                        || AGGREGATIONS.contains(&word.as_str())
                        || next == Some('(')
                    {
                        // a keyword, a function or an aggregation
                    } else {
                        out.metrics.push(word);
                    }
                }
                _ => i += 1,
            }
        }
        out
    }

    /// The labels of the first `by (…)` in `text`.
    pub fn grouping_after(text: &str) -> Option<Vec<String>> {
        let start = text.find("by (")? + "by (".len();
        let end = start + text[start..].find(')')?;
        Some(text[start..end].split(',').map(|l| l.trim().to_owned()).collect())
    }

    #[test]
    fn lexer() {
        let p = parse(
            r#"histogram_quantile(0.5, sum by (a, le) (rate(m_bucket{s=~"x|y"}[5m]))) and on (a) (r:x:y > 0) or up{job="j"} == 0"#,
        );
        assert_eq!(p.metrics, ["m_bucket", "r:x:y", "up"]);
        assert_eq!(p.labels, ["a", "le", "s", "a", "job"]);
        assert_eq!(parse("round(slo:a:b, 1e-12)").metrics, ["slo:a:b"]);
    }
}

#[test]
fn promtool_check_config_passes_on_the_checked_in_tree() {
    if !promtool_available() {
        return;
    }
    // Also checks every rule file the configuration loads (rules/*.yml, next to it).
    let config = Path::new(ROOT).join("observability/prometheus.yml");
    let (ok, report) = run(Command::new("promtool").arg("check").arg("config").arg(&config));
    assert!(ok, "promtool check config failed:\n{report}");
    assert!(report.contains("SUCCESS") && report.contains("rule files found"), "{report}");
}
