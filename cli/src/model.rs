//! Prometheus rule files as data, serialized to the YAML `promtool` and Prometheus read.

use std::collections::BTreeMap;

use serde::Serialize;

/// One rule file: `groups:` of rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RuleFile {
    /// The groups, evaluated independently.
    pub groups: Vec<RuleGroup>,
}

/// A group of rules evaluated together, in order, at one interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RuleGroup {
    /// The group's name, unique in the file.
    pub name: String,
    /// Evaluation interval (`30s`); `None` uses Prometheus's global `evaluation_interval`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// The rules, in evaluation order (a rule may use the rules above it).
    pub rules: Vec<Rule>,
}

/// A recording rule or an alerting rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Rule {
    /// `record: name` / `expr:` / `labels:`.
    Record(Record),
    /// `alert: name` / `expr:` / `for:` / `labels:` / `annotations:`.
    Alert(Alert),
}

/// A recording rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Record {
    /// The recorded series' name, `level:metric:operations`.
    pub record: String,
    /// The PromQL expression.
    pub expr: String,
    /// Labels added to the result.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// An alerting rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Alert {
    /// The alert's name.
    pub alert: String,
    /// The PromQL condition.
    pub expr: String,
    /// How long the condition must hold before firing (`5m`).
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// Labels, including `severity`.
    pub labels: BTreeMap<String, String>,
    /// Annotations: `summary` and `description` at least.
    pub annotations: BTreeMap<String, String>,
}

impl Rule {
    /// A recording rule.
    pub fn record(name: impl Into<String>, expr: impl Into<String>) -> Self {
        Rule::Record(Record { record: name.into(), expr: expr.into(), labels: BTreeMap::new() })
    }

    /// The rule's name (`record` or `alert`).
    pub fn name(&self) -> &str {
        match self {
            Rule::Record(r) => &r.record,
            Rule::Alert(a) => &a.alert,
        }
    }

    /// The rule's PromQL expression.
    pub fn expr(&self) -> &str {
        match self {
            Rule::Record(r) => &r.expr,
            Rule::Alert(a) => &a.expr,
        }
    }
}

impl RuleFile {
    /// The file as YAML.
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self).expect("rule files serialize")
    }

    /// Every rule of every group, in order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.groups.iter().flat_map(|g| &g.rules)
    }
}
