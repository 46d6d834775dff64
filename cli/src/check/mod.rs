//! The rule and dashboard checker: does every metric and label that a rule file or dashboard
//! queries exist in a real scrape?
//!
//! Expressions are parsed with [`promql_parser`] (GreptimeTeam's maintained port of the
//! Prometheus parser), and every vector and matrix selector of the syntax tree is checked:
//!
//! - its metric must be a series of the exposition (histogram families count through their
//!   `_bucket`, `_sum` and `_count` series; `up` and the other series Prometheus adds on
//!   scrape count too), or be recorded by a rule of the given rule files;
//! - each of its label matchers must name a label that appears on that metric somewhere in the
//!   exposition. `job` and `instance` (added by Prometheus on scrape) and `__name__` are never
//!   checked, `le` is fine on `_bucket` series because it appears on them. For a recording
//!   rule, the labels are inferred from its expression (`sum by (a) (...)` carries `a`); when
//!   the inference cannot follow an expression, its labels are not checked.
//!
//! Rule files give `groups[].rules[].expr`; dashboards give `panels[].targets[].expr` (rows and
//! nested panels included) with Grafana variables substituted (`$__rate_interval` etc. become
//! `5m`, other variables `.*`), and `label_values(selector, label)` query variables, whose
//! label must appear on the selector's metric.
//!
//! Input that would take the checker down is refused with a problem that says why: an
//! expression nesting deeper than [`MAX_EXPRESSION_DEPTH`] is reported unparsable (parsing it
//! could overflow the stack), a rule file whose brackets nest deeper than
//! [`MAX_YAML_FLOW_DEPTH`] unreadable.
//!
//! ```
//! use flowmeter_cli::check::{Checker, Exposition, Source};
//!
//! let scrape = Exposition::parse(
//!     "# TYPE app_requests_total counter\napp_requests_total{route=\"/\",status=\"ok\"} 3\n",
//! )?;
//! let rules = Source::rules(
//!     "app.rules.yml",
//!     "groups:\n- name: app\n  rules:\n  - record: route:app_requests:rate5m\n    \
//!      expr: sum by (route) (rate(app_requests_total{staus=\"ok\"}[5m]))\n",
//! );
//! let report = Checker::new(&scrape).check(&[rules]);
//! assert_eq!(
//!     report.to_string(),
//!     "app.rules.yml: group \"app\", record \"route:app_requests:rate5m\": label `staus` never \
//!      appears on metric `app_requests_total` in the exposition\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod depth;
mod drift;
mod exposition;
mod fetch;
mod grafana;
mod labels;
mod problem;
mod selectors;
mod sources;

use std::collections::{BTreeMap, BTreeSet};

pub use depth::{MAX_EXPRESSION_DEPTH, MAX_YAML_FLOW_DEPTH};
pub use drift::{Drift, GENERATED_DIRS, drift};
pub use exposition::{Exposition, ExpositionError};
pub use fetch::{FETCH_TIMEOUT, FetchError, read_exposition};
pub use problem::{Problem, ProblemKind, Report};
pub use sources::{Source, SourceKind};

use super::GeneratedFile;
use labels::{Definition, Labels};
use selectors::{MetricName, Selector};
use sources::Query;

/// Labels never checked: Prometheus attaches them to every scraped series.
pub const ALWAYS_PRESENT_LABELS: &[&str] = &["job", "instance"];

/// Checks rule files and dashboards against one exposition. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Checker<'a> {
    exposition: &'a Exposition,
    ignored_labels: BTreeSet<String>,
}

impl<'a> Checker<'a> {
    /// A checker against `exposition`, ignoring [`ALWAYS_PRESENT_LABELS`].
    pub fn new(exposition: &'a Exposition) -> Self {
        let ignored_labels = ALWAYS_PRESENT_LABELS.iter().map(|l| (*l).to_owned()).collect();
        Checker { exposition, ignored_labels }
    }

    /// Also accepts matchers on `label` wherever they appear: for labels that relabeling or
    /// external labels add after the scrape (e.g. `cluster`). Default: only `job`, `instance`.
    pub fn ignore_label(mut self, label: impl Into<String>) -> Self {
        self.ignored_labels.insert(label.into());
        self
    }

    /// Checks every expression of `sources`. Recording rules of every rule file count as
    /// available metrics for all sources.
    pub fn check(&self, sources: &[Source]) -> Report {
        let mut report = Report { files: sources.len(), ..Report::default() };
        let mut recorded: BTreeMap<String, Vec<Definition>> = BTreeMap::new();
        let mut per_file = Vec::new();
        for source in sources {
            let queries = match source.kind {
                SourceKind::Rules => sources::rule_file(&source.text).map(|(queries, recs)| {
                    for rec in recs {
                        let expr = depth::expression_too_deep(&rec.expr)
                            .is_none()
                            .then(|| promql_parser::parser::parse(&rec.expr).ok())
                            .flatten();
                        let definition = Definition { expr, labels: rec.labels };
                        recorded.entry(rec.name).or_default().push(definition);
                    }
                    queries
                }),
                SourceKind::Dashboard => sources::dashboard(&source.text),
            };
            match queries {
                Ok(queries) => per_file.push((source, queries)),
                Err(error) => report.problems.push(Problem {
                    file: source.name.clone(),
                    location: String::new(),
                    kind: ProblemKind::UnreadableFile { error },
                }),
            }
        }
        let labels = Labels::new(self.exposition, &recorded);
        for (source, queries) in per_file {
            for query in queries {
                self.check_query(&source.name, &query, &labels, &mut report);
            }
        }
        let mut seen = BTreeSet::new();
        report.problems.retain(|p| seen.insert(p.clone()));
        report
    }

    fn check_query(&self, file: &str, query: &Query, labels: &Labels<'_>, report: &mut Report) {
        report.expressions += 1;
        let mut problem = |kind| {
            report.problems.push(Problem {
                file: file.to_owned(),
                location: query.location.clone(),
                kind,
            })
        };
        if let Some(error) = depth::expression_too_deep(&query.expr) {
            return problem(ProblemKind::Unparsable { expr: query.expr.clone(), error });
        }
        let expr = match promql_parser::parser::parse(&query.expr) {
            Ok(expr) => expr,
            Err(error) => {
                return problem(ProblemKind::Unparsable { expr: query.expr.clone(), error });
            }
        };
        let selectors = selectors::selectors(&expr);
        let mut checked = 0;
        for selector in &selectors {
            checked += 1;
            for kind in self.check_selector(selector, labels) {
                problem(kind);
            }
        }
        if let Some(label) = &query.required_label
            && let Some(available) = labels.of_expr(&expr)
            && !available.contains(label)
            && !self.ignored_labels.contains(label)
        {
            let metric = match selectors.as_slice() {
                [Selector { metric: MetricName::Exact(name), .. }] => name.clone(),
                _ => query.expr.clone(),
            };
            let recorded = !self.exposition.has_series(&metric);
            problem(ProblemKind::MissingLabel { metric, label: label.clone(), recorded });
        }
        report.selectors += checked;
    }

    fn check_selector(&self, selector: &Selector, labels: &Labels<'_>) -> Vec<ProblemKind> {
        let (metric, available, recorded) = match &selector.metric {
            MetricName::Exact(name) => {
                if !labels.exists(name) {
                    return vec![ProblemKind::MissingMetric {
                        metric: name.clone(),
                        hint: self.hint(name),
                    }];
                }
                (name.clone(), labels.of_series(name), !self.exposition.has_series(name))
            }
            MetricName::Pattern(matcher) => {
                let names: Vec<String> =
                    labels.names().filter(|n| matcher.is_match(n)).map(str::to_owned).collect();
                let metric = format!("~{}", matcher.value);
                if names.is_empty() {
                    return vec![ProblemKind::MissingMetric { metric, hint: None }];
                }
                let mut union = Some(BTreeSet::new());
                for name in &names {
                    union = union.zip(labels.of_series(name)).map(|(mut u, l)| {
                        u.extend(l);
                        u
                    });
                }
                let recorded = names.iter().all(|n| !self.exposition.has_series(n));
                (metric, union, recorded)
            }
            MetricName::Unknown => return Vec::new(),
        };
        let Some(available) = available else { return Vec::new() };
        selector
            .matchers
            .iter()
            .map(|m| &m.name)
            .filter(|label| !self.ignored_labels.contains(*label) && !available.contains(*label))
            .map(|label| ProblemKind::MissingLabel {
                metric: metric.clone(),
                label: label.clone(),
                recorded,
            })
            .collect()
    }

    /// Why a missing metric may be missing: a histogram queried by its family name, a
    /// counter without (or with) `_total`, a family declared without series.
    fn hint(&self, name: &str) -> Option<String> {
        match self.exposition.family_type(name) {
            Some(kind @ ("histogram" | "summary")) => {
                return Some(format!(
                    "`{name}` is a {kind}: query `{name}_bucket`, `{name}_sum` or `{name}_count`"
                ));
            }
            Some(_) => {
                return Some("the exposition declares it but has no series of it yet".into());
            }
            None => {}
        }
        let alternative = match name.strip_suffix("_total") {
            Some(base) => base.to_owned(),
            None => format!("{name}_total"),
        };
        self.exposition.has_series(&alternative).then(|| format!("did you mean `{alternative}`?"))
    }
}

/// The rule files (`rules/*.yml`) and dashboards (`dashboards/*.json`) among generated files,
/// as sources named by their relative paths: what [`generate`](super::generate) would ship,
/// checked without writing it.
pub fn generated_sources(files: &[GeneratedFile]) -> Vec<Source> {
    files
        .iter()
        .filter_map(|file| {
            let name = file.path.to_string_lossy().replace('\\', "/");
            let extension = file.path.extension().and_then(|e| e.to_str()).unwrap_or("");
            match (name.split('/').next(), extension) {
                (Some("rules"), "yml" | "yaml") => Some(Source::rules(name, file.contents.clone())),
                (Some("dashboards"), "json") => {
                    Some(Source::dashboard(name, file.contents.clone()))
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
