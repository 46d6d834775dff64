//! Monotonic counters: exported as Prometheus `counter`s with a `_total` suffix.

use std::sync::{Arc, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundCounter, Counter};

use super::error::AppMetricError;
use super::spec::{Spec, SpecBuilder, common_builder_methods, lazy_instrument};
use crate::metrics::catalog::InstrumentKind;

/// Declares a counter; see [`CounterBuilder`]. The exported name is the name with dots
/// replaced by `_`, the unit's suffix, and `_total`: `skill.invocations` →
/// `skill_invocations_total`.
pub fn counter(name: &str) -> CounterBuilder {
    CounterBuilder { spec: SpecBuilder::new(name) }
}

/// The declaration of a counter, validated by [`build`](CounterBuilder::build).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct CounterBuilder {
    spec: SpecBuilder,
}

impl CounterBuilder {
    common_builder_methods!();

    /// Validates the declaration. The name must not end with `total` (or the unit's suffix):
    /// the bridge appends `_total`, so `x.total` would be exported as `x_total_total`.
    pub fn build(self) -> Result<AppCounter, AppMetricError> {
        let spec = self.spec.build(InstrumentKind::Counter)?;
        super::declared::declare(&spec, None);
        Ok(AppCounter { inner: Arc::new(Inner { spec, instrument: OnceLock::new() }) })
    }
}

#[derive(Debug)]
struct Inner {
    spec: Spec,
    instrument: OnceLock<Counter<u64>>,
}

/// A monotonic `u64` counter with declared labels. Cheap to clone (clones share the
/// instrument); usable from a `static LazyLock` defined before the pipeline is installed.
#[derive(Debug, Clone)]
pub struct AppCounter {
    inner: Arc<Inner>,
}

impl AppCounter {
    /// The name as declared (`skill.invocations`).
    pub fn name(&self) -> &str {
        &self.inner.spec.name
    }

    /// The Prometheus family name the bridge exports (`skill_invocations_total`).
    pub fn prometheus_name(&self) -> String {
        self.inner.spec.prometheus_name()
    }

    fn instrument(&self) -> Option<&Counter<u64>> {
        let spec = &self.inner.spec;
        lazy_instrument(&self.inner.instrument, |meter| {
            meter
                .u64_counter(spec.name.clone())
                .with_description(spec.help.clone())
                .with_unit(spec.unit.clone())
                .build()
        })
    }

    /// Adds `n` to the series of `labels` (one value per declared label, in order).
    /// Checks arity and declared value sets even when telemetry is off.
    pub fn add(&self, n: u64, labels: &[&str]) -> Result<(), AppMetricError> {
        let attrs = self.inner.spec.attributes(labels)?;
        if let Some(counter) = self.instrument() {
            counter.add(n, &attrs);
        }
        Ok(())
    }

    /// Adds 1 to the series of `labels`.
    pub fn inc(&self, labels: &[&str]) -> Result<(), AppMetricError> {
        self.add(1, labels)
    }

    /// A handle for one series, after checking its label values once: `inc` and `add` on
    /// it are lock-free atomic adds once bound.
    pub fn bind(&self, labels: &[&str]) -> Result<BoundAppCounter, AppMetricError> {
        let attrs = self.inner.spec.attributes(labels)?;
        Ok(BoundAppCounter { metric: self.clone(), attrs, bound: OnceLock::new() })
    }
}

/// One series of an [`AppCounter`]. Binds to the OpenTelemetry instrument on first use once
/// an enabled pipeline is installed; records nothing before.
#[derive(Debug)]
pub struct BoundAppCounter {
    metric: AppCounter,
    attrs: Vec<KeyValue>,
    bound: OnceLock<BoundCounter<u64>>,
}

impl BoundAppCounter {
    #[inline]
    fn handle(&self) -> Option<&BoundCounter<u64>> {
        if let Some(bound) = self.bound.get() {
            return Some(bound);
        }
        let counter = self.metric.instrument()?;
        Some(self.bound.get_or_init(|| counter.bind(&self.attrs)))
    }

    /// Adds 1.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        if let Some(bound) = self.handle() {
            bound.add(n);
        }
    }
}
