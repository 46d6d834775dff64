//! Which labels a series can carry: read from the exposition for scraped metrics, inferred
//! from the expression for recording rules (`sum by (a, b) (...)` carries `a` and `b`).
//!
//! The inference follows Prometheus's evaluation: aggregations keep their `by` labels (or drop
//! their `without` labels), `topk`/`bottomk`/`limitk` keep the input's, functions keep their
//! vector argument's (`histogram_quantile` drops `le`, `label_replace` adds its target,
//! `absent` takes its selector's equality matchers), one-to-one binary operations keep the left
//! side's labels reduced by `on`/`ignoring`, `group_left`/`group_right` add their labels, and
//! `or` unites both sides. Whatever it cannot follow is "unknown" and is not checked, so the
//! inference never reports a label that could be there.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use promql_parser::label::MatchOp;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{Expr, LabelModifier, VectorMatchCardinality};

use super::exposition::Exposition;
use super::selectors::{MetricName, selector};

/// A set of label names; `None` is "unknown".
pub(crate) type LabelSet = Option<BTreeSet<String>>;

/// One definition of a recording rule: its parsed expression and the labels it adds.
#[derive(Debug)]
pub(crate) struct Definition {
    pub(crate) expr: Option<Expr>,
    pub(crate) labels: Vec<String>,
}

/// Label sets of series: scraped ones from the exposition, recorded ones inferred.
#[derive(Debug)]
pub(crate) struct Labels<'a> {
    exposition: &'a Exposition,
    recorded: &'a BTreeMap<String, Vec<Definition>>,
    memo: RefCell<BTreeMap<String, LabelSet>>,
    visiting: RefCell<BTreeSet<String>>,
}

impl<'a> Labels<'a> {
    pub(crate) fn new(
        exposition: &'a Exposition,
        recorded: &'a BTreeMap<String, Vec<Definition>>,
    ) -> Self {
        Labels { exposition, recorded, memo: RefCell::default(), visiting: RefCell::default() }
    }

    /// Whether `name` is scraped or recorded.
    pub(crate) fn exists(&self, name: &str) -> bool {
        self.exposition.has_series(name) || self.recorded.contains_key(name)
    }

    /// Every scraped or recorded name.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.exposition.series_names().chain(self.recorded.keys().map(String::as_str))
    }

    /// The labels series `name` can carry; `None` when unknown (not found, or a recording
    /// rule the inference cannot follow).
    pub(crate) fn of_series(&self, name: &str) -> LabelSet {
        if let Some(known) = self.memo.borrow().get(name) {
            return known.clone();
        }
        if !self.visiting.borrow_mut().insert(name.to_owned()) {
            return None; // a rule that (indirectly) records itself
        }
        let mut labels = BTreeSet::new();
        let mut found = false;
        if self.exposition.has_series(name) {
            labels.extend(self.exposition.labels(name));
            found = true;
        }
        let mut known = true;
        for definition in self.recorded.get(name).into_iter().flatten() {
            found = true;
            match definition.expr.as_ref().and_then(|e| self.of_expr(e)) {
                Some(inferred) => {
                    labels.extend(inferred.into_iter().chain(definition.labels.clone()))
                }
                None => known = false,
            }
        }
        self.visiting.borrow_mut().remove(name);
        let result = (found && known).then_some(labels);
        self.memo.borrow_mut().insert(name.to_owned(), result.clone());
        result
    }

    /// The labels the result of `expr` can carry.
    pub(crate) fn of_expr(&self, expr: &Expr) -> LabelSet {
        match expr {
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) => Some(BTreeSet::new()),
            Expr::VectorSelector(vs) => self.of_selector(vs),
            Expr::MatrixSelector(ms) => self.of_selector(&ms.vs),
            Expr::Paren(p) => self.of_expr(&p.expr),
            Expr::Unary(u) => self.of_expr(&u.expr),
            Expr::Subquery(s) => self.of_expr(&s.expr),
            Expr::Aggregate(a) => {
                let op = a.op.to_string();
                if matches!(op.as_str(), "topk" | "bottomk" | "limitk" | "limit_ratio") {
                    return self.of_expr(&a.expr);
                }
                let mut labels = match &a.modifier {
                    Some(LabelModifier::Include(by)) => by.labels.iter().cloned().collect(),
                    Some(LabelModifier::Exclude(without)) => {
                        let mut inner = self.of_expr(&a.expr)?;
                        inner.retain(|l| !without.labels.contains(l));
                        inner
                    }
                    None => BTreeSet::new(),
                };
                if op == "count_values" {
                    match a.param.as_deref() {
                        Some(Expr::StringLiteral(s)) => labels.insert(s.val.clone()),
                        _ => return None,
                    };
                }
                Some(labels)
            }
            Expr::Call(call) => {
                let args = &call.args.args;
                let string_arg = |i: usize| match args.get(i).map(|a| &**a) {
                    Some(Expr::StringLiteral(s)) => Some(s.val.clone()),
                    _ => None,
                };
                match call.func.name {
                    _ if call.func.return_type != ValueType::Vector
                        && call.func.return_type != ValueType::Matrix =>
                    {
                        Some(BTreeSet::new())
                    }
                    "histogram_quantile" | "histogram_fraction" => {
                        let mut labels = self.of_expr(args.last()?)?;
                        labels.remove("le");
                        Some(labels)
                    }
                    "label_replace" | "label_join" => {
                        let mut labels = self.of_expr(args.first()?)?;
                        labels.insert(string_arg(1)?);
                        Some(labels)
                    }
                    "absent" | "absent_over_time" => {
                        let vs = match args.first().map(|a| &**a) {
                            Some(Expr::VectorSelector(vs)) => vs,
                            Some(Expr::MatrixSelector(ms)) => &ms.vs,
                            _ => return Some(BTreeSet::new()),
                        };
                        let equal = selector(vs).matchers.into_iter();
                        Some(
                            equal
                                .filter(|m| matches!(m.op, MatchOp::Equal))
                                .map(|m| m.name)
                                .collect(),
                        )
                    }
                    _ => match args
                        .iter()
                        .find(|a| matches!(a.value_type(), ValueType::Vector | ValueType::Matrix))
                    {
                        Some(arg) => self.of_expr(arg),
                        None => Some(BTreeSet::new()),
                    },
                }
            }
            Expr::Binary(b) => {
                let scalar = |e: &Expr| e.value_type() == ValueType::Scalar;
                match (scalar(&b.lhs), scalar(&b.rhs)) {
                    (true, true) => return Some(BTreeSet::new()),
                    (true, false) => return self.of_expr(&b.rhs),
                    (false, true) => return self.of_expr(&b.lhs),
                    (false, false) => {}
                }
                let op = b.op.to_string();
                match op.as_str() {
                    "and" | "unless" => return self.of_expr(&b.lhs),
                    "or" => {
                        let mut labels = self.of_expr(&b.lhs)?;
                        labels.extend(self.of_expr(&b.rhs)?);
                        return Some(labels);
                    }
                    _ => {}
                }
                let Some(modifier) = &b.modifier else { return self.of_expr(&b.lhs) };
                match &modifier.card {
                    VectorMatchCardinality::ManyToOne(extra) => {
                        let mut labels = self.of_expr(&b.lhs)?;
                        labels.extend(extra.labels.iter().cloned());
                        Some(labels)
                    }
                    VectorMatchCardinality::OneToMany(extra) => {
                        let mut labels = self.of_expr(&b.rhs)?;
                        labels.extend(extra.labels.iter().cloned());
                        Some(labels)
                    }
                    _ => {
                        let mut labels = self.of_expr(&b.lhs)?;
                        match &modifier.matching {
                            Some(LabelModifier::Include(on)) => {
                                labels.retain(|l| on.labels.contains(l))
                            }
                            Some(LabelModifier::Exclude(ignoring)) => {
                                labels.retain(|l| !ignoring.labels.contains(l))
                            }
                            None => {}
                        }
                        Some(labels)
                    }
                }
            }
            Expr::Extension(_) => None,
        }
    }

    fn of_selector(&self, vs: &promql_parser::parser::VectorSelector) -> LabelSet {
        match selector(vs).metric {
            MetricName::Exact(name) => self.of_series(&name),
            MetricName::Pattern(matcher) => {
                let names: Vec<String> =
                    self.names().filter(|n| matcher.is_match(n)).map(str::to_owned).collect();
                let mut labels = BTreeSet::new();
                for name in names {
                    labels.extend(self.of_series(&name)?);
                }
                Some(labels)
            }
            MetricName::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(rules: &[(&str, &str)], query: &str) -> LabelSet {
        let exposition = Exposition::parse(
            "x_total{a=\"1\",b=\"2\",status=\"ok\"} 1\nh_bucket{a=\"1\",le=\"1\"} 1\ny{c=\"3\"} 1\n",
        )
        .unwrap();
        let mut recorded: BTreeMap<String, Vec<Definition>> = BTreeMap::new();
        for (name, expr) in rules {
            let expr = promql_parser::parser::parse(expr).ok();
            recorded.entry((*name).into()).or_default().push(Definition { expr, labels: vec![] });
        }
        let labels = Labels::new(&exposition, &recorded);
        labels.of_expr(&promql_parser::parser::parse(query).unwrap())
    }

    fn set(labels: &[&str]) -> LabelSet {
        Some(labels.iter().map(|l| (*l).to_owned()).collect())
    }

    #[test]
    fn follows_aggregations_functions_and_binary_operations() {
        assert_eq!(infer(&[], "sum by (a) (rate(x_total[5m]))"), set(&["a"]));
        assert_eq!(infer(&[], "sum without (a) (x_total)"), set(&["b", "status"]));
        assert_eq!(
            infer(&[], "histogram_quantile(0.9, sum by (a, le) (rate(h_bucket[5m])))"),
            set(&["a"])
        );
        assert_eq!(infer(&[], "topk by (a) (3, x_total)"), set(&["a", "b", "status"]));
        assert_eq!(
            infer(&[], "label_replace(y, \"d\", \"$1\", \"c\", \"(.*)\")"),
            set(&["c", "d"])
        );
        assert_eq!(infer(&[], "absent(x_total{a=\"1\",b=~\"2\"})"), set(&["a"]));
        assert_eq!(infer(&[], "x_total / on (a) x_total"), set(&["a"]));
        assert_eq!(
            infer(&[], "x_total / ignoring (status) group_left (c) y"),
            set(&["a", "b", "c", "status"])
        );
        assert_eq!(infer(&[], "sum(x_total) or y * 2"), set(&["c"]));
        assert_eq!(infer(&[], "vector(1)"), set(&[]));
        assert_eq!(infer(&[], "{job=\"x\"}"), None);
    }

    #[test]
    fn follows_recording_rules_and_stops_at_cycles() {
        let rules = [("r:x:rate5m", "sum by (a) (rate(x_total[5m]))"), ("r:y", "r:x:rate5m * 2")];
        assert_eq!(infer(&rules, "r:y"), set(&["a"]));
        assert_eq!(infer(&[("loop", "loop + 1")], "loop"), None);
        assert_eq!(infer(&[], "missing"), None);
    }
}
