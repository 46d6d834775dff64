//! [`metadata`]: the name, type, HELP text and label names of every metric family the
//! program declares or exports: the gathered families the exposition is encoded from, merged
//! with every metric declared so far (flowmeter's catalog, the call sites' static labels and
//! each [`flowmeter::app`](crate::app) metric), so a metric is listed from the moment it is
//! declared, before its first series.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use flowmeter_naming as names;
use prometheus::proto::{MetricFamily, MetricType};
use serde::Serialize;

use super::gather::gather;
use crate::metrics::callsite;
use crate::metrics::catalog::{self, InstrumentKind, MetricInfo};
use crate::pipeline::{self, Pipeline};

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

/// One metric family, declared or exported: exactly the name its `# TYPE` line has (or will
/// have once it has a series), its type, the HELP text (unescaped) and its label names, sorted.
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
    /// Every label name the family is declared with or any of its series uses, sorted.
    pub labels: Vec<String>,
}

/// Every metric family of `pipeline`, sorted by name, one entry per name: what the exposition
/// contains right now (flowmeter's own metrics, application metrics, process and system
/// metrics when enabled, `target_info`, collectors registered by hand) and every metric
/// declared so far, recorded yet or not:
///
/// - flowmeter's catalog ([`crate::metrics::catalog`]) under the pipeline's namespace;
/// - the static labels of every `#[instrumented]` call site, on the execution metrics they
///   record into;
/// - every [`flowmeter::app`](crate::app) metric from the moment it is built
///   ([`declared_metrics`](crate::app::declared_metrics)).
///
/// A family both declared and exported is listed once, with the exported type and HELP text
/// and the union of the declared label names and those its series use. This is what
/// `/metadata` serves: a program that builds its metrics at startup lists all of them before
/// recording anything, where the exposition (which has no way to show an empty family) shows
/// only families with a series. The catalog ([`CATALOG_PATH`](super::CATALOG_PATH)) describes
/// the declarations in more detail (units, buckets, call sites, objectives); metadata adds
/// what is exported without a declaration.
///
/// Declarations belong to the installed pipeline (call sites and application metrics record
/// into it), so they are listed for that pipeline only, and only while it records: a disabled
/// or shut-down pipeline lists nothing, as its exposition is empty.
///
/// Never panics: if collecting panics, the panic is caught and logged once, and only the
/// declared metrics are listed, while [`render`](super::render()) gives an empty exposition.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let telemetry = flowmeter::Telemetry::builder()
///     .serve(false)
///     .ignore_env()
///     .install_subscriber(false)
///     .install()?;
/// let _orders = flowmeter::app::counter("orders.placed")
///     .help("Orders placed")
///     .labels(["channel"])
///     .build()?;
/// let metadata = flowmeter::exporter::metadata(telemetry.pipeline());
/// // Declared, never recorded: listed, though the exposition has no series of it yet.
/// let placed = metadata.iter().find(|m| m.name == "orders_placed_total").expect("declared");
/// assert_eq!(placed.kind, flowmeter::exporter::MetricKind::Counter);
/// assert_eq!(placed.labels, ["channel"]);
/// assert!(!telemetry.render().contains("orders_placed_total{"));
/// let target_info = metadata.iter().find(|m| m.name == "target_info").expect("exported");
/// assert!(target_info.labels.contains(&"service_name".to_owned()));
/// # Ok(()) }
/// ```
pub fn metadata(pipeline: &Pipeline) -> Vec<MetricMetadata> {
    let exported = gather(pipeline).iter().map(describe).collect();
    let installed = pipeline::get().is_some_and(|p| std::ptr::eq(p, pipeline));
    let declared = if installed && pipeline.is_enabled() {
        declared(pipeline.namespace())
    } else {
        Vec::new()
    };
    merge(exported, declared)
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

/// Every metric declared so far under `namespace`: the catalog (its execution metrics with
/// the call sites' static labels) and the application's metrics.
fn declared(namespace: &str) -> Vec<MetricMetadata> {
    // A call site's static labels are recorded on all three execution metrics (one binding,
    // `bind_execution`), so each of them is declared with every call site's label names.
    let static_labels: BTreeSet<String> = callsite::callsites()
        .iter()
        .flat_map(|site| site.labels.iter().map(|(key, _)| names::prometheus_label(key)))
        .collect();
    let executions =
        [&catalog::PRIMITIVE_EXECUTIONS, &catalog::EXECUTION_DURATION, &catalog::PRIMITIVE_ACTIVE]
            .map(|def| def.prometheus_name(namespace));
    catalog::list(namespace)
        .into_iter()
        .chain(crate::app::declared_metrics())
        .map(|info| {
            let extra = executions.contains(&info.prometheus_name).then_some(&static_labels);
            from_declaration(info, extra.into_iter().flatten())
        })
        .collect()
}

/// The metadata of one declaration, with `extra` label names besides its own.
fn from_declaration<'a>(
    info: MetricInfo,
    extra: impl Iterator<Item = &'a String>,
) -> MetricMetadata {
    let labels: BTreeSet<String> = info.labels.into_iter().chain(extra.cloned()).collect();
    let kind = match info.kind {
        InstrumentKind::Counter => MetricKind::Counter,
        InstrumentKind::UpDownCounter | InstrumentKind::Gauge => MetricKind::Gauge,
        InstrumentKind::Histogram => MetricKind::Histogram,
    };
    MetricMetadata {
        name: info.prometheus_name,
        kind,
        help: info.description,
        labels: labels.into_iter().collect(),
    }
}

/// One entry per name, sorted by name. An exported family keeps its type and HELP text (the
/// declaration's HELP fills in an empty one) and gains the declared label names.
fn merge(exported: Vec<MetricMetadata>, declared: Vec<MetricMetadata>) -> Vec<MetricMetadata> {
    let mut by_name: BTreeMap<String, MetricMetadata> = BTreeMap::new();
    for entry in exported.into_iter().chain(declared) {
        match by_name.entry(entry.name.clone()) {
            Entry::Vacant(slot) => {
                slot.insert(entry);
            }
            Entry::Occupied(mut slot) => {
                let kept = slot.get_mut();
                if kept.help.is_empty() {
                    kept.help = entry.help;
                }
                let labels: BTreeSet<String> = kept.labels.drain(..).chain(entry.labels).collect();
                kept.labels = labels.into_iter().collect();
            }
        }
    }
    by_name.into_values().collect()
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
            "a family without series is not exported, and a pipeline that is not installed \
             has no declarations, so it is not listed"
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

    fn entry(name: &str, kind: MetricKind, help: &str, labels: &[&str]) -> MetricMetadata {
        MetricMetadata {
            name: name.into(),
            kind,
            help: help.into(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        }
    }

    #[test]
    fn declared_and_exported_families_merge_into_one_entry_per_name() {
        let exported = vec![
            entry("target_info", MetricKind::Gauge, "Target metadata", &["service_name"]),
            entry("jobs_total", MetricKind::Counter, "", &["queue", "status"]),
        ];
        let declared = vec![
            entry("jobs_total", MetricKind::Counter, "Jobs run", &["status", "tenant"]),
            entry("backlog", MetricKind::Gauge, "Jobs waiting", &["queue"]),
        ];
        assert_eq!(
            merge(exported, declared),
            [
                entry("backlog", MetricKind::Gauge, "Jobs waiting", &["queue"]),
                entry(
                    "jobs_total",
                    MetricKind::Counter,
                    "Jobs run",
                    &["queue", "status", "tenant"]
                ),
                entry("target_info", MetricKind::Gauge, "Target metadata", &["service_name"]),
            ],
            "sorted by name; one entry per name; labels unioned; an empty HELP filled in"
        );
        let exported = vec![entry("jobs_total", MetricKind::Counter, "Jobs done", &[])];
        let declared = vec![entry("jobs_total", MetricKind::Counter, "Jobs run", &[])];
        assert_eq!(merge(exported, declared)[0].help, "Jobs done", "the exported HELP is kept");
    }

    #[test]
    fn the_catalog_is_declared_with_prometheus_names_kinds_and_label_names() {
        let declared = declared("shop");
        let executions = declared
            .iter()
            .find(|m| m.name == "shop_primitive_executions_total")
            .expect("the catalog's executions counter");
        assert_eq!(executions.kind, MetricKind::Counter);
        assert_eq!(executions.help, catalog::PRIMITIVE_EXECUTIONS.description);
        for label in catalog::PRIMITIVE_EXECUTIONS.prometheus_labels() {
            assert!(executions.labels.contains(&label), "{label} in {executions:?}");
        }
        let active = declared.iter().find(|m| m.name == "shop_primitive_active").unwrap();
        assert_eq!(active.kind, MetricKind::Gauge, "an up-down counter is a gauge");
        for def in catalog::CATALOG {
            let name = def.prometheus_name("shop");
            assert_eq!(declared.iter().filter(|m| m.name == name).count(), 1, "{name}");
        }
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
