//! PromQL building blocks for the panels: selectors over catalog names, `rate`, `sum by`,
//! `histogram_quantile` and guarded ratios.
//!
//! Metric names come from [`MetricNames`](crate::MetricNames) and label names from
//! [`label`] (checked against the catalog's attribute keys), so no panel spells a name itself.

use std::fmt;

use flowmeter::Status;

/// Grafana's range for `rate()` in time series panels: at least four scrape intervals.
pub(super) const RATE: &str = "$__rate_interval";
/// Grafana's dashboard time range, for instant "over the range" panels.
pub(super) const RANGE: &str = "$__range";

/// The Prometheus label names the panels use, each equal to the catalog's attribute key as
/// the bridge exports it (a unit test checks them against [`keys`](flowmeter::metrics::catalog::keys)).
pub(super) mod label {
    /// `primitive_name`.
    pub(crate) const PRIMITIVE_NAME: &str = "primitive_name";
    /// `primitive_type`.
    pub(crate) const PRIMITIVE_TYPE: &str = "primitive_type";
    /// `status`.
    pub(crate) const STATUS: &str = "status";
    /// `workflow_name`.
    pub(crate) const WORKFLOW_NAME: &str = "workflow_name";
    /// `cache_name`.
    pub(crate) const CACHE_NAME: &str = "cache_name";
    /// `cause`.
    pub(crate) const CAUSE: &str = "cause";
    /// `model`.
    pub(crate) const MODEL: &str = "model";
    /// `provider`.
    pub(crate) const PROVIDER: &str = "provider";
    /// `budget_name`.
    pub(crate) const BUDGET_NAME: &str = "budget_name";
    /// `gen_ai_operation_name`.
    pub(crate) const GEN_AI_OPERATION_NAME: &str = "gen_ai_operation_name";
    /// `gen_ai_request_model`.
    pub(crate) const GEN_AI_REQUEST_MODEL: &str = "gen_ai_request_model";
    /// `gen_ai_token_type`.
    pub(crate) const GEN_AI_TOKEN_TYPE: &str = "gen_ai_token_type";
    /// `metric_name`.
    pub(crate) const METRIC_NAME: &str = "metric_name";
    /// `reason`.
    pub(crate) const REASON: &str = "reason";
    /// The histogram bucket bound Prometheus adds to `_bucket` series.
    pub(crate) const LE: &str = "le";
    /// The OpenTelemetry signal of an export (`traces`, `metrics`).
    pub(crate) const SIGNAL: &str = "signal";
    /// The error's variant or type name, on errored executions only.
    pub(crate) const ERROR_TYPE: &str = "error_type";
}

/// The `status` regex of failed executions: `error|panic`. A `cancelled` execution is not a
/// failure of its own (its caller dropped it: a timeout or a failing parallel sibling, which
/// records the error), so error ratios leave it out; the by-status panels still show it.
pub(super) fn failed_statuses() -> String {
    format!("{}|{}", Status::Error.as_str(), Status::Panic.as_str())
}

/// A vector selector: a metric name and label matchers.
#[derive(Debug, Clone)]
pub(super) struct Selector {
    metric: String,
    matchers: Vec<String>,
}

impl Selector {
    /// `metric` with no matchers.
    pub(super) fn new(metric: &str) -> Self {
        Selector { metric: metric.to_owned(), matchers: Vec::new() }
    }

    /// The `_bucket` series of a histogram family.
    pub(super) fn bucket(family: &str) -> Self {
        Self::new(&format!("{family}_bucket"))
    }

    /// The `_count` series of a histogram family.
    pub(super) fn count(family: &str) -> Self {
        Self::new(&format!("{family}_count"))
    }

    /// The `_sum` series of a histogram family.
    pub(super) fn sum(family: &str) -> Self {
        Self::new(&format!("{family}_sum"))
    }

    /// Adds `label="value"`.
    pub(super) fn eq(self, label: &str, value: &str) -> Self {
        self.matcher(label, "=", value)
    }

    /// Adds `label!="value"`.
    pub(super) fn ne(self, label: &str, value: &str) -> Self {
        self.matcher(label, "!=", value)
    }

    /// Adds `label=~"regex"`: also how Grafana variables are used (`=~"$primitive"`), so a
    /// multi-value or "All" (`.*`) selection works.
    pub(super) fn re(self, label: &str, regex: &str) -> Self {
        self.matcher(label, "=~", regex)
    }

    /// Adds `label=~"$variable"`: the values selected in a dashboard variable.
    pub(super) fn var(self, label: &str, variable: &str) -> Self {
        self.re(label, &format!("${variable}"))
    }

    fn matcher(mut self, label: &str, op: &str, value: &str) -> Self {
        self.matchers.push(format!("{label}{op}\"{}\"", escape(value)));
        self
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.metric)?;
        if !self.matchers.is_empty() {
            write!(f, "{{{}}}", self.matchers.join(","))?;
        }
        Ok(())
    }
}

/// A PromQL double-quoted string's contents.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `rate(selector[range])`.
pub(super) fn rate(selector: &Selector, range: &str) -> String {
    format!("rate({selector}[{range}])")
}

/// `increase(selector[range])`.
pub(super) fn increase(selector: &Selector, range: &str) -> String {
    format!("increase({selector}[{range}])")
}

/// `sum by (labels) (inner)`, or `sum(inner)` without labels.
pub(super) fn sum_by(labels: &[&str], inner: &str) -> String {
    aggregate("sum", labels, inner)
}

/// `op by (labels) (inner)`, or `op(inner)` without labels.
pub(super) fn aggregate(op: &str, labels: &[&str], inner: &str) -> String {
    if labels.is_empty() {
        format!("{op}({inner})")
    } else {
        format!("{op} by ({}) ({inner})", labels.join(", "))
    }
}

/// `histogram_quantile(q, sum by (labels, le) (rate(bucket[range])))`: the buckets of every
/// series are summed per `le` before interpolating, as a quantile over several series needs.
/// Kept only where the histogram saw observations in the range (`and on (labels) (count > 0)`),
/// so a quiet series is absent rather than `NaN`.
pub(super) fn quantile(q: f64, labels: &[&str], bucket: &Selector, range: &str) -> String {
    let mut by = labels.to_vec();
    by.push(label::LE);
    let bucket_rate = rate(bucket, range);
    let count_rate = bucket_rate.replacen("_bucket", "_count", 1);
    format!(
        "(histogram_quantile({q}, {}) and on ({}) ({} > 0))",
        sum_by(&by, &bucket_rate),
        labels.join(", "),
        sum_by(labels, &count_rate)
    )
}

/// `p95` for 0.95: a quantile's name in legends.
pub(super) fn percentile(q: f64) -> String {
    format!("p{}", (q * 100.0).round())
}

/// `numerator / (denominator > 0)`: the ratio of two aggregations with the same labels. A
/// series without traffic in the window has no ratio (it is filtered out) rather than `NaN`,
/// and nothing is invented for it (no `or vector(0)`). Both sides must be single aggregations
/// or sums of them (`>` binds looser than `+`).
pub(super) fn ratio(numerator: &str, denominator: &str) -> String {
    format!("{numerator} / ({denominator} > 0)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowmeter::metrics::catalog::{CATALOG, keys};
    use flowmeter_naming::prometheus_label;

    #[test]
    fn label_names_are_the_catalog_keys_as_exported() {
        let pairs = [
            (label::PRIMITIVE_NAME, keys::PRIMITIVE_NAME),
            (label::PRIMITIVE_TYPE, keys::PRIMITIVE_TYPE),
            (label::STATUS, keys::STATUS),
            (label::WORKFLOW_NAME, keys::WORKFLOW_NAME),
            (label::CACHE_NAME, keys::CACHE_NAME),
            (label::CAUSE, keys::CAUSE),
            (label::MODEL, keys::MODEL),
            (label::PROVIDER, keys::PROVIDER),
            (label::BUDGET_NAME, keys::BUDGET_NAME),
            (label::GEN_AI_OPERATION_NAME, keys::GEN_AI_OPERATION_NAME),
            (label::GEN_AI_REQUEST_MODEL, keys::GEN_AI_REQUEST_MODEL),
            (label::GEN_AI_TOKEN_TYPE, keys::GEN_AI_TOKEN_TYPE),
        ];
        for (label, key) in pairs {
            assert_eq!(label, prometheus_label(key));
            assert!(CATALOG.iter().any(|def| def.labels.contains(&key)), "{key} is in the catalog");
        }
    }

    #[test]
    fn builds_guarded_ratios_and_quantiles() {
        let s =
            Selector::bucket("m").var(label::PRIMITIVE_NAME, "primitive").eq(label::STATUS, "a\"b");
        assert_eq!(s.to_string(), r#"m_bucket{primitive_name=~"$primitive",status="a\"b"}"#);
        assert_eq!(
            quantile(0.95, &["x"], &Selector::bucket("m"), "5m"),
            "(histogram_quantile(0.95, sum by (x, le) (rate(m_bucket[5m]))) and on (x) (sum by (x) (rate(m_count[5m])) > 0))"
        );
        assert_eq!(ratio("sum(a)", "sum(b)"), "sum(a) / (sum(b) > 0)");
        assert_eq!(failed_statuses(), "error|panic");
    }
}
