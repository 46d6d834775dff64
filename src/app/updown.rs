//! Up-down counters: counts that go up and down (active sessions, queue depth), exported as
//! Prometheus `gauge`s.

use std::sync::{Arc, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundUpDownCounter, UpDownCounter};

use super::error::AppMetricError;
use super::spec::{Spec, SpecBuilder, common_builder_methods, lazy_instrument};
use crate::metrics::catalog::InstrumentKind;

/// Declares an up-down counter; see [`UpDownCounterBuilder`]. Exported as a `gauge` with no
/// `_total` appended, so a name ending in `.total` is kept as declared:
/// `active.sessions.total` → `active_sessions_total`.
pub fn up_down_counter(name: &str) -> UpDownCounterBuilder {
    UpDownCounterBuilder { spec: SpecBuilder::new(name) }
}

/// The declaration of an up-down counter, validated by [`build`](UpDownCounterBuilder::build).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct UpDownCounterBuilder {
    spec: SpecBuilder,
}

impl UpDownCounterBuilder {
    common_builder_methods!();

    /// Validates the declaration.
    pub fn build(self) -> Result<AppUpDownCounter, AppMetricError> {
        let spec = self.spec.build(InstrumentKind::UpDownCounter)?;
        super::declared::declare(&spec, None);
        Ok(AppUpDownCounter { inner: Arc::new(Inner { spec, instrument: OnceLock::new() }) })
    }
}

#[derive(Debug)]
struct Inner {
    spec: Spec,
    instrument: OnceLock<UpDownCounter<i64>>,
}

/// An `i64` count that goes up and down, with declared labels. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppUpDownCounter {
    inner: Arc<Inner>,
}

impl AppUpDownCounter {
    /// The name as declared.
    pub fn name(&self) -> &str {
        &self.inner.spec.name
    }

    /// The Prometheus family name the bridge exports.
    pub fn prometheus_name(&self) -> String {
        self.inner.spec.prometheus_name()
    }

    fn instrument(&self) -> Option<&UpDownCounter<i64>> {
        let spec = &self.inner.spec;
        lazy_instrument(&self.inner.instrument, |meter| {
            meter
                .i64_up_down_counter(spec.name.clone())
                .with_description(spec.help.clone())
                .with_unit(spec.unit.clone())
                .build()
        })
    }

    /// Adds `delta` (negative to decrease) to the series of `labels`.
    pub fn add(&self, delta: i64, labels: &[&str]) -> Result<(), AppMetricError> {
        let attrs = self.inner.spec.attributes(labels)?;
        if let Some(instrument) = self.instrument() {
            instrument.add(delta, &attrs);
        }
        Ok(())
    }

    /// Adds 1.
    pub fn inc(&self, labels: &[&str]) -> Result<(), AppMetricError> {
        self.add(1, labels)
    }

    /// Subtracts 1.
    pub fn dec(&self, labels: &[&str]) -> Result<(), AppMetricError> {
        self.add(-1, labels)
    }

    /// A handle for one series, after checking its label values once.
    pub fn bind(&self, labels: &[&str]) -> Result<BoundAppUpDownCounter, AppMetricError> {
        let attrs = self.inner.spec.attributes(labels)?;
        Ok(BoundAppUpDownCounter { metric: self.clone(), attrs, bound: OnceLock::new() })
    }
}

/// One series of an [`AppUpDownCounter`], bound on first use once an enabled pipeline exists.
#[derive(Debug)]
pub struct BoundAppUpDownCounter {
    metric: AppUpDownCounter,
    attrs: Vec<KeyValue>,
    bound: OnceLock<BoundUpDownCounter<i64>>,
}

impl BoundAppUpDownCounter {
    #[inline]
    fn handle(&self) -> Option<&BoundUpDownCounter<i64>> {
        if let Some(bound) = self.bound.get() {
            return Some(bound);
        }
        let instrument = self.metric.instrument()?;
        Some(self.bound.get_or_init(|| instrument.bind(&self.attrs)))
    }

    /// Adds `delta`.
    #[inline]
    pub fn add(&self, delta: i64) {
        if let Some(bound) = self.handle() {
            bound.add(delta);
        }
    }

    /// Adds 1.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts 1.
    #[inline]
    pub fn dec(&self) {
        self.add(-1);
    }
}
