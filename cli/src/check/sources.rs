//! The PromQL expressions of rule files (`groups[].rules[].expr`) and Grafana dashboards
//! (`panels[].targets[].expr`, into rows, and query variables), each with where it came from.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::grafana::{label_values, substitute_variables};

/// What a [`Source`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A Prometheus rule file (YAML).
    Rules,
    /// A Grafana dashboard (JSON).
    Dashboard,
}

/// A rule file or dashboard to check: its name (shown in problems), kind and text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Source {
    /// The name problems are reported under, usually the path.
    pub name: String,
    /// Rule file or dashboard.
    pub kind: SourceKind,
    /// The file's contents.
    pub text: String,
}

impl Source {
    /// A rule file's text under `name`.
    pub fn rules(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source { name: name.into(), kind: SourceKind::Rules, text: text.into() }
    }

    /// A dashboard's text under `name`.
    pub fn dashboard(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source { name: name.into(), kind: SourceKind::Dashboard, text: text.into() }
    }

    /// Reads `path` as a `kind` source named by its path.
    pub fn read(kind: SourceKind, path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Ok(Source { name: path.display().to_string(), kind, text })
    }
}

/// One expression to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    /// `group "g", record "r"` / `panel "p", target A` / `variable "v"`.
    pub(crate) location: String,
    /// PromQL, Grafana variables already substituted.
    pub(crate) expr: String,
    /// For a `label_values(selector, label)` variable: the label the selector must carry.
    pub(crate) required_label: Option<String>,
}

/// A recording rule: the name it defines, its expression and the labels it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recording {
    pub(crate) name: String,
    pub(crate) expr: String,
    pub(crate) labels: Vec<String>,
}

/// The queries and recording rules of a rule file.
pub(crate) fn rule_file(text: &str) -> Result<(Vec<Query>, Vec<Recording>), String> {
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        groups: Vec<Group>,
    }
    #[derive(Deserialize)]
    struct Group {
        #[serde(default)]
        name: String,
        #[serde(default)]
        rules: Vec<RawRule>,
    }
    #[derive(Deserialize)]
    struct RawRule {
        record: Option<String>,
        alert: Option<String>,
        #[serde(default)]
        expr: serde_yaml_ng::Value,
        #[serde(default)]
        labels: BTreeMap<String, serde_yaml_ng::Value>,
    }
    if let Some(error) = super::depth::yaml_too_deep(text) {
        return Err(error);
    }
    let file: File = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    let (mut queries, mut recordings) = (Vec::new(), Vec::new());
    for group in file.groups {
        for (index, rule) in group.rules.into_iter().enumerate() {
            let expr = match &rule.expr {
                serde_yaml_ng::Value::String(s) => s.clone(),
                serde_yaml_ng::Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            let what = match (&rule.record, &rule.alert) {
                (Some(r), _) => format!("record {r:?}"),
                (None, Some(a)) => format!("alert {a:?}"),
                (None, None) => format!("rule #{}", index + 1),
            };
            let location = format!("group {:?}, {what}", group.name);
            if let Some(name) = rule.record {
                let labels = rule.labels.into_keys().collect();
                recordings.push(Recording { name, expr: expr.clone(), labels });
            }
            queries.push(Query { location, expr, required_label: None });
        }
    }
    Ok((queries, recordings))
}

/// The queries of a dashboard: every target of every panel (nested rows included, and the
/// legacy `rows[].panels[]`), and every query variable.
pub(crate) fn dashboard(text: &str) -> Result<Vec<Query>, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    // An export wrapped for the import API: `{"dashboard": {...}}`.
    let root = root.get("dashboard").filter(|d| d.is_object()).unwrap_or(&root);
    let mut queries = Vec::new();
    for panel in array(root, "panels") {
        panel_queries(panel, &mut queries);
    }
    for row in array(root, "rows") {
        for panel in array(row, "panels") {
            panel_queries(panel, &mut queries);
        }
    }
    let variables = root.get("templating").map_or(&[][..], |t| array(t, "list"));
    for variable in variables {
        if variable.get("type").and_then(Value::as_str) != Some("query") {
            continue;
        }
        let query = match variable.get("query") {
            Some(Value::String(q)) => q.as_str(),
            Some(q @ Value::Object(_)) => q.get("query").and_then(Value::as_str).unwrap_or(""),
            _ => "",
        };
        let name = variable.get("name").and_then(Value::as_str).unwrap_or("?");
        if let Some((expr, required_label)) = label_values(query) {
            queries.push(Query {
                location: format!("variable {name:?}"),
                expr: substitute_variables(&expr),
                required_label,
            });
        }
    }
    Ok(queries)
}

fn panel_queries(panel: &Value, queries: &mut Vec<Query>) {
    let title = panel.get("title").and_then(Value::as_str).unwrap_or("");
    let panel_name = match panel.get("id").and_then(Value::as_u64) {
        Some(id) => format!("panel {title:?} (id {id})"),
        None => format!("panel {title:?}"),
    };
    for (index, target) in array(panel, "targets").iter().enumerate() {
        let Some(expr) = target.get("expr").and_then(Value::as_str) else { continue };
        if expr.trim().is_empty() {
            continue;
        }
        let target_name = target
            .get("refId")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{}", index + 1), str::to_owned);
        queries.push(Query {
            location: format!("{panel_name}, target {target_name}"),
            expr: substitute_variables(expr),
            required_label: None,
        });
    }
    for nested in array(panel, "panels") {
        panel_queries(nested, queries);
    }
}

fn array<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rule_files() {
        let yaml = "groups:\n- name: g\n  rules:\n  - record: a:b:rate5m\n    expr: sum(rate(x_total[5m]))\n    labels: {team: t}\n  - alert: Down\n    expr: up == 0\n";
        let (queries, recordings) = rule_file(yaml).unwrap();
        assert_eq!(queries.len(), 2);
        assert_eq!(queries[0].location, "group \"g\", record \"a:b:rate5m\"");
        assert_eq!(queries[1].expr, "up == 0");
        assert_eq!(recordings[0].labels, ["team"]);
        assert!(rule_file("groups: [").is_err());
    }

    #[test]
    fn reads_panels_rows_and_variables() {
        let json = r#"{"panels": [
            {"id": 1, "title": "Rate", "targets": [{"refId": "A", "expr": "rate(x_total[$__rate_interval])"}]},
            {"type": "row", "title": "R", "panels": [{"id": 2, "title": "In row", "targets": [{"expr": "y{a=~\"$a\"}"}]}]}
          ],
          "rows": [{"panels": [{"title": "Old", "targets": [{"expr": "z"}]}]}],
          "templating": {"list": [
            {"type": "query", "name": "a", "query": {"query": "label_values(y, a)"}},
            {"type": "custom", "name": "c", "query": "1,2"}
          ]}}"#;
        let queries = dashboard(json).unwrap();
        let exprs: Vec<_> = queries.iter().map(|q| q.expr.as_str()).collect();
        assert_eq!(exprs, ["rate(x_total[5m])", "y{a=~\".*\"}", "z", "y"]);
        assert_eq!(queries[0].location, "panel \"Rate\" (id 1), target A");
        assert_eq!(queries[1].location, "panel \"In row\" (id 2), target #1");
        assert_eq!(queries[3].required_label.as_deref(), Some("a"));
    }
}
