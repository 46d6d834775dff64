//! Every series selector of a parsed PromQL expression.

use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::{Expr, VectorSelector};
use promql_parser::util::{ExprVisitor, walk_expr};

/// How a selector names its metric.
#[derive(Debug, Clone)]
pub(crate) enum MetricName {
    /// `name{...}` or `{__name__="name"}`.
    Exact(String),
    /// `{__name__=~"regex"}`: any name the matcher accepts.
    Pattern(Matcher),
    /// No positive name (`{job="x"}`, `{__name__!="y"}`): not checked.
    Unknown,
}

/// A vector or matrix selector: its metric and its label matchers (without `__name__`).
#[derive(Debug, Clone)]
pub(crate) struct Selector {
    pub(crate) metric: MetricName,
    pub(crate) matchers: Vec<Matcher>,
}

/// The selectors of `expr`, in the order they appear, including inside function arguments,
/// subqueries and aggregation parameters (`topk(scalar(x), y)`).
pub(crate) fn selectors(expr: &Expr) -> Vec<Selector> {
    struct Collect(Vec<Selector>);
    impl ExprVisitor for Collect {
        type Error = std::convert::Infallible;
        fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
            match expr {
                Expr::VectorSelector(vs) => self.0.push(selector(vs)),
                Expr::MatrixSelector(ms) => self.0.push(selector(&ms.vs)),
                // `walk_expr` does not descend into an aggregation's parameter.
                Expr::Aggregate(aggregate) => {
                    if let Some(param) = &aggregate.param {
                        self.0.extend(selectors(param));
                    }
                }
                _ => {}
            }
            Ok(true)
        }
    }
    let mut collect = Collect(Vec::new());
    let Ok(_) = walk_expr(&mut collect, expr);
    collect.0
}

/// The metric and the label matchers of one selector; `or`-ed matcher sets are flattened.
pub(crate) fn selector(vs: &VectorSelector) -> Selector {
    let all = vs.matchers.matchers.iter().chain(vs.matchers.or_matchers.iter().flatten());
    let (names, matchers): (Vec<&Matcher>, Vec<&Matcher>) = all.partition(|m| m.name == "__name__");
    let metric = match &vs.name {
        Some(name) => MetricName::Exact(name.clone()),
        None => names
            .iter()
            .find_map(|m| match m.op {
                MatchOp::Equal => Some(MetricName::Exact(m.value.clone())),
                MatchOp::Re(_) => Some(MetricName::Pattern((*m).clone())),
                _ => None,
            })
            .unwrap_or(MetricName::Unknown),
    };
    Selector { metric, matchers: matchers.into_iter().cloned().collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(expr: &str) -> Vec<String> {
        let expr = promql_parser::parser::parse(expr).unwrap();
        selectors(&expr)
            .into_iter()
            .map(|s| match s.metric {
                MetricName::Exact(n) => {
                    let labels: Vec<_> = s.matchers.iter().map(|m| m.name.as_str()).collect();
                    format!("{n}{labels:?}")
                }
                MetricName::Pattern(m) => format!("~{}", m.value),
                MetricName::Unknown => "?".into(),
            })
            .collect()
    }

    #[test]
    fn finds_every_selector() {
        assert_eq!(
            names(
                "sum by (a) (rate(x_total{a=\"1\",b=~\"2\"}[5m])) / on (a) group_left topk(scalar(k), y) \
                 or absent(z{c!=\"\"}) + max_over_time(w[1h:5m]) * {__name__=\"v\"} + {__name__=~\"u.*\"} + {job=\"j\"}"
            ),
            ["x_total[\"a\", \"b\"]", "k[]", "y[]", "z[\"c\"]", "w[]", "v[]", "~u.*", "?"]
        );
    }
}
