//! Gathering the registry's metric families once, for the exposition, the metadata and the
//! summary alike; and the once-per-metric warning when a metric reached its cardinality limit.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};

use prometheus::proto::{MetricFamily, MetricType};

use crate::metrics::rejected::{self, Rejection};
use crate::pipeline::Pipeline;

/// The families of `pipeline`'s registry that the text encoder writes: the registry's
/// `gather` with a panicking collector caught (logged once, nothing gathered), and without
/// the families the encoder rejects: no name, no series, or untyped (prometheus 0.14's text
/// encoder panics on those; only a collector registered by hand can produce one). So [`summary`](super::summary()) lists
/// exactly the families of the exposition, and [`metadata`](super::metadata()) each of them. A disabled
/// pipeline gathers nothing, so all three are empty while recording is off.
///
/// A family that carries the cardinality-overflow series is reported once per family name
/// through `tracing` (see [`warn_overflowed_once`]).
pub(super) fn gather(pipeline: &Pipeline) -> Vec<MetricFamily> {
    static GATHER_PANICKED: AtomicBool = AtomicBool::new(false);
    if !pipeline.is_enabled() {
        return Vec::new();
    }
    // `gather` runs the collectors registered in the registry; one that panics must not take
    // the caller (an HTTP handler, an application's own code) down with it.
    match catch_unwind(AssertUnwindSafe(|| pipeline.registry().gather())) {
        Ok(mut families) => {
            families.retain(|f| {
                !f.name().is_empty()
                    && !f.get_metric().is_empty()
                    && f.get_field_type() != MetricType::UNTYPED
            });
            warn_overflowed_once(&families);
            families
        }
        Err(_) => {
            if !GATHER_PANICKED.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "flowmeter: collecting metrics panicked; the exposition, metadata and summary are empty (logged once)"
                );
            }
            Vec::new()
        }
    }
}

/// The label (OpenTelemetry's `otel.metric.overflow`, as the bridge exports it) of the one series
/// into which the SDK folds every label set beyond an instrument's cardinality limit.
const OVERFLOW_LABEL: &str = "otel_metric_overflow";

/// Family names already warned about: a metric that overflowed keeps its overflow series (and
/// would otherwise log on every scrape) for the life of the process.
static WARNED_OVERFLOW: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

/// Logs a warning, and counts it in `ns_measurements_rejected_total{metric_name,
/// reason="cardinality_limit"}`, the first time each family is seen with an overflow series
/// (`otel_metric_overflow="true"`): label sets were folded together, so a label is fed more
/// values than the limit allows (often an unbounded one: ids, URLs, user names). Returns the
/// names it warned about, for tests.
///
/// Cost per scrape: one look at each series' labels, no allocation unless a family overflowed;
/// the lock is taken only for a family that did.
fn warn_overflowed_once(families: &[MetricFamily]) -> Vec<String> {
    let mut warned_now = Vec::new();
    for family in families {
        let overflowed = |m: &prometheus::proto::Metric| {
            m.get_label().iter().any(|l| l.name() == OVERFLOW_LABEL && l.value() == "true")
        };
        if !family.get_metric().iter().any(overflowed) {
            continue;
        }
        let name = family.name();
        let mut warned = WARNED_OVERFLOW.lock().unwrap_or_else(PoisonError::into_inner);
        if warned.contains(name) {
            continue;
        }
        warned.insert(name.to_owned());
        drop(warned);
        let kept = family.get_metric().iter().filter(|m| !overflowed(m)).count();
        tracing::warn!(
            metric = name,
            kept_series = kept,
            "flowmeter: metric `{name}` reached its cardinality limit: it keeps {kept} label sets \
             and folds every further one into the series labelled otel_metric_overflow=\"true\" \
             (totals stay exact, per-label detail is lost). A label is probably fed unbounded \
             values; bound it, or raise the limit with `.cardinality_limit(n)` on the metric's \
             flowmeter::app builder, or for every instrument with \
             TelemetryBuilder::cardinality_limit (default {default}). Logged once per metric.",
            default = crate::pipeline::cardinality::DEFAULT_CARDINALITY_LIMIT,
        );
        let _ = rejected::count_quietly(name, Rejection::CardinalityLimit);
        warned_now.push(name.to_owned());
    }
    warned_now
}

#[cfg(test)]
pub(super) mod tests {
    use opentelemetry_sdk::metrics::SdkMeterProvider;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use prometheus::core::{Collector, Desc};

    use super::*;
    use crate::exporter::{metadata, render, summary};

    /// An enabled pipeline reading `registry`, not installed.
    pub(in crate::exporter) fn pipeline(registry: prometheus::Registry) -> Pipeline {
        pipeline_with(registry, true)
    }

    fn pipeline_with(registry: prometheus::Registry, enabled: bool) -> Pipeline {
        let meters = SdkMeterProvider::builder().build();
        let tracers = SdkTracerProvider::builder().build();
        Pipeline::new(enabled, "flowmeter".into(), meters, registry, tracers, Default::default())
    }

    struct Panicking(Vec<Desc>);

    impl Collector for Panicking {
        fn desc(&self) -> Vec<&Desc> {
            self.0.iter().collect()
        }
        fn collect(&self) -> Vec<MetricFamily> {
            panic!("collector failure (expected by this test)")
        }
    }

    #[test]
    fn a_panicking_collector_gives_empty_exposition_metadata_and_summary() {
        let registry = prometheus::Registry::new();
        let desc = Desc::new("boom".into(), "boom".into(), vec![], Default::default()).unwrap();
        registry.register(Box::new(Panicking(vec![desc]))).unwrap();
        let pipeline = pipeline(registry);
        assert_eq!(render(&pipeline), "");
        assert_eq!(metadata(&pipeline), []);
        assert_eq!(summary(&pipeline), Default::default());
    }

    #[test]
    fn a_disabled_pipeline_gathers_nothing() {
        let registry = prometheus::Registry::new();
        let gauge = prometheus::IntGauge::new("answer", "the answer").unwrap();
        gauge.set(42);
        registry.register(Box::new(gauge)).unwrap();
        assert!(gather(&pipeline_with(registry.clone(), false)).is_empty());
        assert_eq!(gather(&pipeline(registry)).len(), 1);
    }

    fn family(name: &str, label_sets: &[&[(&str, &str)]]) -> MetricFamily {
        let mut family = MetricFamily::default();
        family.set_name(name.into());
        family.set_field_type(MetricType::COUNTER);
        for labels in label_sets {
            let pairs = labels.iter().map(|(name, value)| {
                let mut pair = prometheus::proto::LabelPair::default();
                pair.set_name((*name).into());
                pair.set_value((*value).into());
                pair
            });
            let mut metric = prometheus::proto::Metric::default();
            metric.set_label(pairs.collect());
            family.mut_metric().push(metric);
        }
        family
    }

    #[test]
    fn an_overflowed_family_is_warned_about_once_by_name() {
        let families = [
            family("gather_test_fine_total", &[&[("user", "a")], &[("user", "b")]]),
            family("gather_test_over_total", &[&[("user", "a")], &[(OVERFLOW_LABEL, "true")]]),
            family("gather_test_false_total", &[&[(OVERFLOW_LABEL, "false")]]),
        ];
        assert_eq!(warn_overflowed_once(&families), ["gather_test_over_total"]);
        assert!(warn_overflowed_once(&families).is_empty(), "once per family");
        let later = [family("gather_test_later_total", &[&[(OVERFLOW_LABEL, "true")]])];
        assert_eq!(warn_overflowed_once(&later), ["gather_test_later_total"]);
    }
}
