//! [`summary`]: the current values of every exported metric family, without histogram
//! buckets, as data (and JSON) rather than text.

use std::collections::BTreeMap;

use prometheus::proto::{Metric, MetricFamily};
use serde::Serialize;

use super::gather::gather;
use super::metadata::MetricKind;
use crate::pipeline::Pipeline;

/// The current values of every exported metric family, keyed by the family name exactly as
/// its `# TYPE` line has it. What `/summary` serves, as JSON:
///
/// ```json
/// {"metrics": {
///   "flowmeter_primitive_executions_total": {"kind": "counter", "total": 3.0, "series": [
///     {"labels": {"primitive_name": "parse", "primitive_type": "step", "status": "success"},
///      "value": 3.0}]},
///   "flowmeter_execution_duration_seconds": {"kind": "histogram", "count": 3, "sum": 0.002,
///     "series": [{"labels": {...}, "count": 3, "sum": 0.002}]}
/// }}
/// ```
///
/// Fields that do not apply to a kind are left out of the JSON. A value that is not finite
/// (a gauge set to NaN) is written as `null`, since JSON has no NaN.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Every exported family, by name.
    pub metrics: BTreeMap<String, MetricSummary>,
}

/// The current values of one metric family.
///
/// | kind | `total` | `count`, `sum` | per series |
/// |---|---|---|---|
/// | counter | sum of the series' values | – | `value` |
/// | gauge, untyped | – | – | `value` |
/// | histogram, summary | – | sums over the series | `count`, `sum` |
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MetricSummary {
    /// The Prometheus type.
    pub kind: MetricKind,
    /// Counters: the sum of every series' value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    /// Histograms (and summaries): the number of observations over all series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Histograms (and summaries): the sum of the observations over all series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum: Option<f64>,
    /// One entry per series, in the order of the exposition.
    pub series: Vec<SeriesSummary>,
}

/// The current value of one series (one label set) of a family.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SeriesSummary {
    /// The series' labels (without a histogram's `le`).
    pub labels: BTreeMap<String, String>,
    /// Counters, gauges and untyped metrics: the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Histograms (and summaries): the number of observations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Histograms (and summaries): the sum of the observations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum: Option<f64>,
}

impl Summary {
    /// The family exported as `name`, if any.
    pub fn get(&self, name: &str) -> Option<&MetricSummary> {
        self.metrics.get(name)
    }

    /// The total of the counter exported as `name` over all its series; `None` when there is
    /// no such family or it is not a counter.
    pub fn counter_total(&self, name: &str) -> Option<f64> {
        self.get(name).filter(|m| m.kind == MetricKind::Counter).and_then(|m| m.total)
    }

    /// The value of the one series of `name` whose labels include every `(key, value)` of
    /// `matchers` (an empty slice matches every series). `None` when no series or more than
    /// one matches, or when the series has no single value (histograms: use
    /// [`get`](Self::get) and the series' `count` and `sum`).
    ///
    /// ```
    /// # use flowmeter::exporter::Summary;
    /// # fn check(summary: &Summary) {
    /// let parsed: Option<f64> = summary.value(
    ///     "flowmeter_primitive_executions_total",
    ///     &[("primitive_name", "parse"), ("status", "success")],
    /// );
    /// # }
    /// ```
    pub fn value(&self, name: &str, matchers: &[(&str, &str)]) -> Option<f64> {
        let mut matching = self.get(name)?.series.iter().filter(|series| {
            matchers.iter().all(|(k, v)| series.labels.get(*k).is_some_and(|have| have == v))
        });
        let one = matching.next()?;
        if matching.next().is_some() {
            return None;
        }
        one.value
    }
}

/// The current values of every family the exposition of `pipeline` contains right now (the
/// same families as [`metadata`](super::metadata()), read from the same gathered data as
/// [`render`](super::render())). This is what `/summary` serves.
///
/// Never panics: if collecting panics, the panic is caught, logged once, and the summary is
/// empty.
///
/// ```
/// # fn main() -> Result<(), flowmeter::Error> {
/// use flowmeter::exporter::{MetricKind, summary};
///
/// let telemetry = flowmeter::Telemetry::builder()
///     .serve(false)
///     .ignore_env()
///     .install_subscriber(false)
///     .install()?;
/// let now = summary(telemetry.pipeline());
/// let target_info = now.get("target_info").expect("always exported");
/// assert_eq!(target_info.kind, MetricKind::Gauge);
/// assert_eq!(now.value("target_info", &[]), Some(1.0));
/// # Ok(()) }
/// ```
pub fn summary(pipeline: &Pipeline) -> Summary {
    let metrics = gather(pipeline)
        .iter()
        .map(|family| (family.name().to_owned(), summarize(family)))
        .collect();
    Summary { metrics }
}

fn summarize(family: &MetricFamily) -> MetricSummary {
    let kind = MetricKind::of(family);
    let series: Vec<SeriesSummary> =
        family.get_metric().iter().map(|metric| series(kind, metric)).collect();
    let mut summary = MetricSummary { kind, total: None, count: None, sum: None, series };
    match kind {
        MetricKind::Counter => {
            summary.total = Some(summary.series.iter().filter_map(|s| s.value).sum());
        }
        MetricKind::Histogram | MetricKind::Summary => {
            let counts = summary.series.iter().filter_map(|s| s.count);
            summary.count = Some(counts.fold(0, u64::saturating_add));
            summary.sum = Some(summary.series.iter().filter_map(|s| s.sum).sum());
        }
        MetricKind::Gauge | MetricKind::Untyped => {}
    }
    summary
}

fn series(kind: MetricKind, metric: &Metric) -> SeriesSummary {
    let labels = metric
        .get_label()
        .iter()
        .map(|pair| (pair.name().to_owned(), pair.value().to_owned()))
        .collect();
    let mut series = SeriesSummary { labels, value: None, count: None, sum: None };
    match kind {
        MetricKind::Counter => series.value = Some(metric.get_counter().get_value()),
        MetricKind::Gauge => series.value = Some(metric.get_gauge().get_value()),
        MetricKind::Untyped => {
            // prometheus 0.14 deprecates the untyped accessors (a protobuf leftover), but a
            // collector registered directly in the registry can still report an untyped value.
            #[allow(deprecated)]
            let value = metric.get_untyped().get_value();
            series.value = Some(value);
        }
        MetricKind::Histogram => {
            let histogram = metric.get_histogram();
            series.count = Some(histogram.get_sample_count());
            series.sum = Some(histogram.get_sample_sum());
        }
        MetricKind::Summary => {
            let quantiles = metric.get_summary();
            series.count = Some(quantiles.sample_count());
            series.sum = Some(quantiles.sample_sum());
        }
    }
    series
}

#[cfg(test)]
mod tests {
    use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};
    use serde_json::json;

    use super::*;
    use crate::exporter::gather::tests::pipeline;

    fn registry() -> Registry {
        let registry = Registry::new();
        let calls =
            IntCounterVec::new(Opts::new("calls_total", "Calls"), &["op", "status"]).unwrap();
        calls.with_label_values(&["read", "ok"]).inc_by(3);
        calls.with_label_values(&["read", "error"]).inc_by(1);
        calls.with_label_values(&["write", "ok"]).inc_by(2);
        let queue = IntGaugeVec::new(Opts::new("queue", "Queue length"), &["name"]).unwrap();
        queue.with_label_values(&["in"]).set(7);
        let latency = HistogramVec::new(
            HistogramOpts::new("latency_seconds", "Latency").buckets(vec![0.1, 1.0]),
            &["op"],
        )
        .unwrap();
        latency.with_label_values(&["read"]).observe(0.25);
        latency.with_label_values(&["read"]).observe(0.5);
        latency.with_label_values(&["write"]).observe(2.0);
        registry.register(Box::new(calls)).unwrap();
        registry.register(Box::new(queue)).unwrap();
        registry.register(Box::new(latency)).unwrap();
        registry
    }

    #[test]
    fn counters_gauges_and_histograms() {
        let summary = summary(&pipeline(registry()));
        assert_eq!(
            summary.metrics.keys().collect::<Vec<_>>(),
            ["calls_total", "latency_seconds", "queue"]
        );
        assert_eq!(summary.counter_total("calls_total"), Some(6.0));
        assert_eq!(summary.counter_total("queue"), None, "not a counter");
        assert_eq!(summary.counter_total("missing_total"), None);
        assert_eq!(summary.value("calls_total", &[("op", "read"), ("status", "ok")]), Some(3.0));
        assert_eq!(summary.value("calls_total", &[("op", "read")]), None, "two series match");
        assert_eq!(summary.value("calls_total", &[("op", "delete")]), None, "none matches");
        assert_eq!(summary.value("queue", &[]), Some(7.0));
        assert_eq!(summary.value("latency_seconds", &[("op", "write")]), None, "no single value");

        let latency = summary.get("latency_seconds").unwrap();
        assert_eq!(
            (latency.kind, latency.count, latency.sum),
            (MetricKind::Histogram, Some(3), Some(2.75))
        );
        assert_eq!(latency.total, None);
        let json = serde_json::to_value(latency).unwrap();
        assert_eq!(
            json,
            json!({"kind": "histogram", "count": 3, "sum": 2.75, "series": [
                {"labels": {"op": "read"}, "count": 2, "sum": 0.75},
                {"labels": {"op": "write"}, "count": 1, "sum": 2.0},
            ]})
        );
        let queue = serde_json::to_value(summary.get("queue").unwrap()).unwrap();
        assert_eq!(
            queue,
            json!({"kind": "gauge", "series": [{"labels": {"name": "in"}, "value": 7.0}]})
        );
    }

    #[test]
    fn a_non_finite_gauge_is_null_in_json() {
        let registry = Registry::new();
        let gauge = prometheus::Gauge::new("ratio", "Ratio").unwrap();
        gauge.set(f64::NAN);
        registry.register(Box::new(gauge)).unwrap();
        let summary = summary(&pipeline(registry));
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["metrics"]["ratio"]["series"][0]["value"], serde_json::Value::Null);
    }
}
