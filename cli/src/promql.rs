//! Small PromQL builders shared by the rule generators: selectors, `rate`, `sum by`, guarded
//! ratios and quantiles, numbers and label values written the way Prometheus reads them.
//!
//! Metric names never appear here as literals: callers pass names from
//! [`MetricNames`](crate::MetricNames) and labels from [`catalog::keys`](flowmeter::metrics::catalog::keys).

use flowmeter::Status;
use flowmeter::metrics::catalog::keys;

/// A label matcher, `label="value"`, `label!="value"` or `label=~"regex"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Matcher(String);

impl Matcher {
    /// `label="value"`.
    pub(crate) fn eq(label: &str, value: &str) -> Self {
        Matcher(format!("{label}={}", quote(value)))
    }

    /// `label!="value"`.
    pub(crate) fn ne(label: &str, value: &str) -> Self {
        Matcher(format!("{label}!={}", quote(value)))
    }

    /// `label=~"regex"`.
    fn re(label: &str, regex: &str) -> Self {
        Matcher(format!("{label}=~{}", quote(regex)))
    }

    /// The executions that count as errors: `status=~"error|panic"`.
    pub(crate) fn errors() -> Self {
        Matcher::re(keys::STATUS, &format!("{}|{}", Status::Error.as_str(), Status::Panic.as_str()))
    }

    /// The executions that finished with an outcome: `status!="cancelled"`.
    pub(crate) fn finished() -> Self {
        Matcher::ne(keys::STATUS, Status::Cancelled.as_str())
    }

    /// Successful executions: `status="success"`.
    pub(crate) fn success() -> Self {
        Matcher::eq(keys::STATUS, Status::Success.as_str())
    }
}

/// `metric{matchers}` (just `metric` without matchers).
pub(crate) fn selector(metric: &str, matchers: &[Matcher]) -> String {
    if matchers.is_empty() {
        return metric.to_owned();
    }
    let inner: Vec<&str> = matchers.iter().map(|m| m.0.as_str()).collect();
    format!("{metric}{{{}}}", inner.join(", "))
}

/// `rate(selector[window])`.
pub(crate) fn rate(selector: &str, window: &str) -> String {
    format!("rate({selector}[{window}])")
}

/// `sum by (labels) (inner)`; `sum(inner)` without labels.
pub(crate) fn sum_by(labels: &[&str], inner: &str) -> String {
    if labels.is_empty() {
        format!("sum({inner})")
    } else {
        format!("sum by ({}) ({inner})", labels.join(", "))
    }
}

/// `numerator / (denominator > 0)`: the Sloth-style low-traffic guard. Where the denominator
/// is zero the comparison filters the series out, so a quiet period yields no series rather
/// than a `NaN` (0/0) or an `+Inf`.
pub(crate) fn guarded_ratio(numerator: &str, denominator: &str) -> String {
    format!("{numerator}\n/\n({denominator} > 0)")
}

/// `histogram_quantile(q, sum by (labels, le) (rate(family_bucket[window])))`, kept only where
/// the histogram saw observations in the window (`and on (labels) (… _count … > 0)`), so a
/// quiet period yields no series rather than `NaN`.
pub(crate) fn guarded_quantile(
    quantile: f64,
    family: &str,
    labels: &[&str],
    window: &str,
) -> String {
    let mut by_le = labels.to_vec();
    by_le.push("le");
    let buckets = sum_by(&by_le, &rate(&format!("{family}_bucket"), window));
    let count = sum_by(labels, &rate(&format!("{family}_count"), window));
    format!(
        "histogram_quantile({}, {buckets})\nand on ({})\n({count} > 0)",
        num(quantile),
        labels.join(", ")
    )
}

/// A number as PromQL and the exposition write it: `0.5`, `1`, `2.5`, `60`, `0.01` (rounded
/// to 10 decimals first, so `1 - 0.99` is `0.01`, not `0.010000000000000009`).
pub(crate) fn num(value: f64) -> String {
    let rounded = format!("{value:.10}");
    let trimmed = rounded.trim_end_matches('0').trim_end_matches('.');
    if trimmed.is_empty() || trimmed == "-" { "0".to_owned() } else { trimmed.to_owned() }
}

/// A `le` label value exactly as the exposition prints a bucket boundary (`0.5`, `1`, `60`).
pub(crate) fn le(boundary: f64) -> String {
    // Rust's shortest round-trip formatting is what the exporter prints for boundaries.
    format!("{boundary}")
}

/// A PromQL double-quoted string literal.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `my_app` → `MyApp`: the namespace as the prefix of alert names.
pub(crate) fn camel(namespace: &str) -> String {
    namespace
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase()).into_iter();
            first.chain(chars).collect::<String>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_boundaries_print_like_prometheus() {
        assert_eq!(num(1.0 - 0.99), "0.01");
        assert_eq!(num(1.0 - 0.995), "0.005");
        assert_eq!(num(14.4), "14.4");
        assert_eq!(num(3600.0), "3600");
        assert_eq!(num(0.0), "0");
        let printed: Vec<String> =
            flowmeter::metrics::catalog::DURATION_BUCKETS.iter().map(|b| le(*b)).collect();
        assert_eq!(
            printed,
            [
                "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
                "2.5", "5", "10", "30", "60"
            ]
        );
    }

    #[test]
    fn builders() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(camel("flowmeter"), "Flowmeter");
        assert_eq!(camel("my_app"), "MyApp");
        assert_eq!(
            selector("m", &[Matcher::errors(), Matcher::finished()]),
            r#"m{status=~"error|panic", status!="cancelled"}"#
        );
        assert_eq!(sum_by(&[], "x"), "sum(x)");
        assert_eq!(sum_by(&["a", "b"], "x"), "sum by (a, b) (x)");
    }
}
