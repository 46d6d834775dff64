//! Gathering the registry's metric families once, for the exposition, the metadata and the
//! summary alike.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

use prometheus::proto::{MetricFamily, MetricType};

use crate::telemetry::Pipeline;

/// The families of `pipeline`'s registry that the text encoder writes: the registry's
/// `gather` with a panicking collector caught (logged once, nothing gathered), and without
/// the families the encoder rejects: no name, no series, or untyped (prometheus 0.14's text
/// encoder panics on those; only a collector registered by hand can produce one). So [`metadata`](super::metadata()) and
/// [`summary`](super::summary()) list exactly the families of the exposition. A disabled
/// pipeline gathers nothing, so all three are empty while recording is off.
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

#[cfg(test)]
pub(super) mod tests {
    use opentelemetry_sdk::metrics::SdkMeterProvider;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use prometheus::core::{Collector, Desc};

    use super::*;
    use crate::exporter::{metadata, render, summary};
    use crate::telemetry::Config;

    /// An enabled pipeline reading `registry`, not installed.
    pub(in crate::exporter) fn pipeline(registry: prometheus::Registry) -> Pipeline {
        pipeline_with(registry, Config::default())
    }

    fn pipeline_with(registry: prometheus::Registry, config: Config) -> Pipeline {
        let meters = SdkMeterProvider::builder().build();
        let tracers = SdkTracerProvider::builder().build();
        Pipeline::new(config, meters, registry, tracers)
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
        let config = Config { enabled: false, ..Config::default() };
        assert!(gather(&pipeline_with(registry.clone(), config)).is_empty());
        assert_eq!(gather(&pipeline(registry)).len(), 1);
    }
}
