//! A small lint over PromQL syntax trees (promql-parser): every selector must be a catalog
//! series of the namespace with the catalog's labels, counters and histograms only under
//! `rate()`/`increase()`, gauges never as ranges, `histogram_quantile` over `sum by (..., le)`,
//! `by` labels present on the aggregated series, and no `or` / `vector()` fallbacks.

use std::collections::{BTreeMap, BTreeSet};

use flowmeter::metrics::catalog::{CATALOG, InstrumentKind, MetricDef};
use promql_parser::parser::{Expr, LabelModifier, VectorSelector, parse};

/// Grafana's variables made concrete: intervals and ranges `5m`, template variables `.*`
/// (asserting they only stand in regex matchers, where `.*` is what "All" means).
pub fn concrete(expr: &str) -> String {
    let mut text = expr.replace("$__rate_interval", "5m").replace("$__range", "5m");
    while let Some(start) = text.find('$') {
        assert!(text[..start].ends_with("=~\""), "variable outside a regex matcher: {expr}");
        let len = text[start + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len() - start - 1);
        assert!(len > 0, "lone $ in {expr}");
        text.replace_range(start..=start + len, ".*");
    }
    text
}

/// `label_values(selector, label)` → (selector, label).
pub fn label_values(query: &str) -> (String, String) {
    let inner = query.strip_prefix("label_values(").and_then(|q| q.strip_suffix(')')).unwrap();
    let (selector, label) = inner.rsplit_once(',').unwrap();
    (selector.trim().to_owned(), label.trim().to_owned())
}

/// What a selector may name under a namespace: a catalog metric's series, with the metric.
pub fn series(namespace: &str) -> BTreeMap<String, (MetricDef, &'static str)> {
    let mut out = BTreeMap::new();
    for def in CATALOG {
        let name = def.prometheus_name(namespace);
        if def.kind == InstrumentKind::Histogram {
            for suffix in ["_bucket", "_sum", "_count"] {
                out.insert(format!("{name}{suffix}"), (*def, suffix));
            }
        } else {
            out.insert(name, (*def, ""));
        }
    }
    out
}

/// Walks an expression's syntax tree, checking selectors against the catalog; returns the
/// labels the expression's result can carry.
pub struct Lint<'a> {
    series: &'a BTreeMap<String, (MetricDef, &'static str)>,
    expr: &'a str,
    used: BTreeSet<String>,
    problems: Vec<String>,
}

impl Lint<'_> {
    fn problem(&mut self, what: String) {
        self.problems.push(format!("{what} in `{}`", self.expr));
    }

    fn selector(
        &mut self,
        vs: &VectorSelector,
        matrix: bool,
        function: Option<&str>,
    ) -> BTreeSet<String> {
        let Some(name) = vs.name.clone() else {
            self.problem("a selector without a metric name".into());
            return BTreeSet::new();
        };
        self.used.insert(name.clone());
        let Some((def, suffix)) = self.series.get(&name).copied() else {
            self.problem(format!("`{name}` is not a catalog series"));
            return BTreeSet::new();
        };
        let mut labels: BTreeSet<String> = def.prometheus_labels().into_iter().collect();
        if suffix == "_bucket" {
            labels.insert("le".into());
        }
        for matcher in &vs.matchers.matchers {
            if matcher.name != "__name__" && !labels.contains(&matcher.name) {
                self.problem(format!("`{name}` has no label `{}`", matcher.name));
            }
        }
        let cumulative = matches!(def.kind, InstrumentKind::Counter | InstrumentKind::Histogram);
        let over_time = matrix && matches!(function, Some("rate" | "increase"));
        match (cumulative, function) {
            (_, Some("label_values")) => {}
            (true, _) if !over_time => {
                self.problem(format!("counter `{name}` not under rate()/increase()"))
            }
            (false, _) if matrix => self.problem(format!("gauge `{name}` used as a range")),
            _ => {}
        }
        labels
    }

    fn walk(&mut self, expr: &Expr, function: Option<&str>) -> BTreeSet<String> {
        match expr {
            Expr::VectorSelector(vs) => self.selector(vs, false, function),
            Expr::MatrixSelector(ms) => self.selector(&ms.vs, true, function),
            Expr::Paren(p) => self.walk(&p.expr, function),
            Expr::Unary(u) => self.walk(&u.expr, function),
            Expr::Aggregate(a) => {
                let inner = self.walk(&a.expr, None);
                if let Some(param) = &a.param {
                    self.walk(param, None);
                }
                match &a.modifier {
                    Some(LabelModifier::Include(by)) => {
                        for label in &by.labels {
                            if !inner.contains(label) {
                                self.problem(format!("`by ({label})` over series without it"));
                            }
                        }
                        by.labels.iter().cloned().collect()
                    }
                    Some(LabelModifier::Exclude(without)) => {
                        inner.into_iter().filter(|l| !without.labels.contains(l)).collect()
                    }
                    None if a.op.to_string() == "topk" => inner,
                    None => BTreeSet::new(),
                }
            }
            Expr::Call(call) => {
                let name = call.func.name;
                if name == "histogram_quantile" {
                    let grouped_by_le = matches!(call.args.args.get(1).map(|a| a.as_ref()),
                        Some(Expr::Aggregate(a)) if matches!(&a.modifier,
                            Some(LabelModifier::Include(by)) if by.labels.iter().any(|l| l == "le")));
                    if !grouped_by_le {
                        self.problem("histogram_quantile without `sum by (..., le)`".into());
                    }
                }
                if name == "vector" {
                    self.problem("vector() invents data".into());
                }
                let mut labels = BTreeSet::new();
                for arg in &call.args.args {
                    labels.extend(self.walk(arg, Some(name)));
                }
                if name == "histogram_quantile" {
                    labels.remove("le");
                }
                labels
            }
            Expr::Binary(b) => {
                if b.op.to_string() == "or" {
                    self.problem("`or` fallback".into());
                }
                let mut labels = self.walk(&b.lhs, None);
                labels.extend(self.walk(&b.rhs, None));
                labels
            }
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) => BTreeSet::new(),
            other => {
                self.problem(format!("unexpected expression {other}"));
                BTreeSet::new()
            }
        }
    }
}

/// The problems of one expression (or a variable's selector, with `function` `label_values`
/// and the variable's `label`), and the series it uses.
pub fn lint_one(
    series: &BTreeMap<String, (MetricDef, &'static str)>,
    text: &str,
    function: Option<&str>,
    label: Option<&str>,
) -> (BTreeSet<String>, Vec<String>) {
    let concrete = concrete(text);
    let parsed = parse(&concrete).unwrap_or_else(|e| panic!("`{concrete}`: {e}"));
    let mut lint = Lint { series, expr: text, used: BTreeSet::new(), problems: Vec::new() };
    let labels = lint.walk(&parsed, function);
    if let Some(label) = label.filter(|l| !labels.contains(*l)) {
        lint.problem(format!("label_values of `{label}`, which the selector lacks"));
    }
    (lint.used, lint.problems)
}
