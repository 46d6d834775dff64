//! [`metadata`]: the name, type, HELP text and label names of every metric family the
//! exposition contains right now, read from the same gathered families the text is encoded
//! from.

use std::collections::BTreeSet;

use prometheus::proto::{MetricFamily, MetricType};
use serde::Serialize;

use super::gather::gather;
use crate::pipeline::Pipeline;

/// Prometheus metric type of an exported family, as its `# TYPE` line names it.
///
/// Serialized in snake case (`"counter"`, `"gauge"`, ...), the word the `# TYPE` line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// A monotonic counter (`# TYPE x counter`); OpenTelemetry counters.
    Counter,
    /// A value that goes up and down (`# TYPE x gauge`); OpenTelemetry gauges and up-down
    /// counters.
    Gauge,
    /// Buckets, `_sum` and `_count` (`# TYPE x histogram`); OpenTelemetry histograms.
    Histogram,
    /// Quantiles, `_sum` and `_count` (`# TYPE x summary`); only from collectors registered
    /// directly in the registry, never from the OpenTelemetry bridge.
    Summary,
    /// No declared type (`# TYPE x untyped`); only from collectors registered directly in the
    /// registry.
    Untyped,
}

impl MetricKind {
    /// The word of the `# TYPE` line: `counter`, `gauge`, `histogram`, `summary`, `untyped`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
            MetricKind::Summary => "summary",
            MetricKind::Untyped => "untyped",
        }
    }

    pub(super) fn of(family: &MetricFamily) -> Self {
        match family.get_field_type() {
            MetricType::COUNTER => MetricKind::Counter,
            MetricType::GAUGE => MetricKind::Gauge,
            MetricType::HISTOGRAM => MetricKind::Histogram,
            MetricType::SUMMARY => MetricKind::Summary,
            MetricType::UNTYPED => MetricKind::Untyped,
        }
    }
}

impl std::fmt::Display for MetricKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One exported metric family: exactly the name on its `# TYPE` line, its type, the HELP
/// text (unescaped) and the union of the label names of its series, sorted.
///
/// Histogram buckets' `le` is not a label of the family (the encoder adds it per bucket), so
/// it is not listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MetricMetadata {
    /// The family name as exported, e.g. `flowmeter_primitive_executions_total`.
    pub name: String,
    /// The Prometheus type.
    pub kind: MetricKind,
    /// The HELP text; empty when the family has none (the exposition then has no `# HELP`).
    pub help: String,
    /// Every label name used by any series of the family, sorted.
    pub labels: Vec<String>,
}

/// Every metric family the exposition of `pipeline` would contain right now, sorted by name:
/// flowmeter's own metrics, application metrics ([`crate::app`]), process and system metrics
/// when enabled, and `target_info`. This is what `/metadata` serves.
///
/// Metadata and the catalog answer different questions: the catalog
/// ([`CATALOG_PATH`](super::CATALOG_PATH), [`crate::metrics::catalog`]) is what flowmeter
/// *declares* it records, whether or not anything was recorded yet, plus the instrumented call
/// sites; metadata is what is *exported now*, including application metrics and collectors
/// the catalog knows nothing about, and only families with at least one series (the text
/// format has no way to show an empty family).
///
/// Never panics: if collecting panics, the panic is caught, logged once, and the list is
/// empty, exactly as [`render`](super::render()) gives an empty exposition.
///
/// ```
/// # fn main() -> Result<(), flowmeter::Error> {
/// let telemetry = flowmeter::Telemetry::builder()
///     .serve(false)
///     .ignore_env()
///     .install_subscriber(false)
///     .install()?;
/// let metadata = flowmeter::exporter::metadata(telemetry.pipeline());
/// let target_info = metadata.iter().find(|m| m.name == "target_info").expect("exported");
/// assert_eq!(target_info.kind, flowmeter::exporter::MetricKind::Gauge);
/// assert!(target_info.labels.contains(&"service_name".to_owned()));
/// # Ok(()) }
/// ```
pub fn metadata(pipeline: &Pipeline) -> Vec<MetricMetadata> {
    let mut list: Vec<MetricMetadata> = gather(pipeline).iter().map(describe).collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    list
}

fn describe(family: &MetricFamily) -> MetricMetadata {
    let labels: BTreeSet<&str> = family
        .get_metric()
        .iter()
        .flat_map(|metric| metric.get_label().iter().map(|pair| pair.name()))
        .collect();
    MetricMetadata {
        name: family.name().to_owned(),
        kind: MetricKind::of(family),
        help: family.help().to_owned(),
        labels: labels.into_iter().map(str::to_owned).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::gather::tests::pipeline;

    #[test]
    fn lists_families_sorted_with_the_union_of_their_labels() {
        let registry = prometheus::Registry::new();
        let requests = prometheus::IntCounterVec::new(
            prometheus::Opts::new("requests_total", "Requests served"),
            &["route", "code"],
        )
        .unwrap();
        requests.with_label_values(&["/a", "200"]).inc();
        let depth = prometheus::Gauge::new("depth", "Queue depth").unwrap();
        let empty =
            prometheus::IntCounterVec::new(prometheus::Opts::new("empty_total", "none"), &["x"])
                .unwrap();
        registry.register(Box::new(requests)).unwrap();
        registry.register(Box::new(depth)).unwrap();
        registry.register(Box::new(empty)).unwrap();

        let listed = metadata(&pipeline(registry));
        assert_eq!(
            listed,
            [
                MetricMetadata {
                    name: "depth".into(),
                    kind: MetricKind::Gauge,
                    help: "Queue depth".into(),
                    labels: vec![],
                },
                MetricMetadata {
                    name: "requests_total".into(),
                    kind: MetricKind::Counter,
                    help: "Requests served".into(),
                    labels: vec!["code".into(), "route".into()],
                },
            ],
            "a family without series is not exported, so it is not listed"
        );
        let json = serde_json::to_value(&listed[1]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "name": "requests_total", "kind": "counter", "help": "Requests served",
                "labels": ["code", "route"],
            })
        );
    }

    #[test]
    fn kinds_serialize_as_the_type_line_word() {
        for kind in [
            MetricKind::Counter,
            MetricKind::Gauge,
            MetricKind::Histogram,
            MetricKind::Summary,
            MetricKind::Untyped,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }
}
