//! Last-value `f64` gauges with an optional declared range.

use std::ops::RangeInclusive;
use std::sync::{Arc, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundGauge, Gauge};

use super::error::AppMetricError;
use super::spec::{Spec, SpecBuilder, common_builder_methods, lazy_instrument};
use crate::metrics::catalog::InstrumentKind;

/// Declares a last-value gauge; see [`GaugeBuilder`]. Exported as a Prometheus `gauge` named
/// as declared (dots become `_`, plus the unit's suffix). Nothing is appended, so a gauge
/// may keep a trailing `.total` / `_total` if the name must match an existing system
/// (the reference exporter has a gauge `active_sessions_total`), although Prometheus
/// conventions reserve `_total` for counters.
pub fn gauge(name: &str) -> GaugeBuilder {
    GaugeBuilder { spec: SpecBuilder::new(name), range: None }
}

/// The declaration of a gauge, validated by [`build`](GaugeBuilder::build).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct GaugeBuilder {
    spec: SpecBuilder,
    range: Option<RangeInclusive<f64>>,
}

impl GaugeBuilder {
    common_builder_methods!();

    /// Declares the valid values (inclusive): `set` rejects anything outside with
    /// [`AppMetricError::OutOfRange`] and records nothing.
    pub fn range(mut self, range: RangeInclusive<f64>) -> Self {
        self.range = Some(range);
        self
    }

    /// Validates the declaration (name, labels, value sets, and a range that has no NaN bound
    /// and whose start is not above its end).
    pub fn build(self) -> Result<AppGauge, AppMetricError> {
        let spec = self.spec.build(InstrumentKind::Gauge)?;
        let range = match self.range {
            Some(range) => {
                let (min, max) = range.into_inner();
                if min.is_nan() || max.is_nan() || min > max {
                    return Err(AppMetricError::InvalidRange { metric: spec.name, min, max });
                }
                Some((min, max))
            }
            None => None,
        };
        super::declared::declare(&spec, None);
        Ok(AppGauge { inner: Arc::new(Inner { spec, range, instrument: OnceLock::new() }) })
    }
}

#[derive(Debug)]
struct Inner {
    spec: Spec,
    range: Option<(f64, f64)>,
    instrument: OnceLock<Gauge<f64>>,
}

impl Inner {
    fn check(&self, value: f64) -> Result<(), AppMetricError> {
        self.spec.check_finite(value)?;
        if let Some((min, max)) = self.range
            && !(min..=max).contains(&value)
        {
            return Err(self.spec.rejected(AppMetricError::OutOfRange {
                metric: self.spec.name.clone(),
                value,
                min,
                max,
            }));
        }
        Ok(())
    }
}

/// A last-value `f64` gauge with declared labels and an optional range. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppGauge {
    inner: Arc<Inner>,
}

impl AppGauge {
    /// The name as declared.
    pub fn name(&self) -> &str {
        &self.inner.spec.name
    }

    /// The Prometheus family name the bridge exports.
    pub fn prometheus_name(&self) -> String {
        self.inner.spec.prometheus_name()
    }

    /// The declared range, if any.
    pub fn range(&self) -> Option<RangeInclusive<f64>> {
        self.inner.range.map(|(min, max)| min..=max)
    }

    fn instrument(&self) -> Option<&Gauge<f64>> {
        let spec = &self.inner.spec;
        lazy_instrument(&self.inner.instrument, |meter| {
            meter
                .f64_gauge(spec.name.clone())
                .with_description(spec.help.clone())
                .with_unit(spec.unit.clone())
                .build()
        })
    }

    /// Sets the series of `labels` to `value`. NaN, infinities and values outside the
    /// declared range are rejected ([`AppMetricError::NotFinite`],
    /// [`AppMetricError::OutOfRange`]) and nothing is recorded.
    pub fn set(&self, value: f64, labels: &[&str]) -> Result<(), AppMetricError> {
        self.inner.check(value)?;
        let attrs = self.inner.spec.attributes(labels)?;
        if let Some(gauge) = self.instrument() {
            gauge.record(value, &attrs);
        }
        Ok(())
    }

    /// A handle for one series, after checking its label values once.
    pub fn bind(&self, labels: &[&str]) -> Result<BoundAppGauge, AppMetricError> {
        let attrs = self.inner.spec.attributes(labels)?;
        Ok(BoundAppGauge { metric: self.clone(), attrs, bound: OnceLock::new() })
    }
}

/// One series of an [`AppGauge`], bound on first use once an enabled pipeline exists.
#[derive(Debug)]
pub struct BoundAppGauge {
    metric: AppGauge,
    attrs: Vec<KeyValue>,
    bound: OnceLock<BoundGauge<f64>>,
}

impl BoundAppGauge {
    /// Sets the series to `value`, validated as [`AppGauge::set`] does.
    #[inline]
    pub fn set(&self, value: f64) -> Result<(), AppMetricError> {
        self.metric.inner.check(value)?;
        let bound = match self.bound.get() {
            Some(bound) => bound,
            None => match self.metric.instrument() {
                Some(gauge) => self.bound.get_or_init(|| gauge.bind(&self.attrs)),
                None => return Ok(()),
            },
        };
        bound.record(value);
        Ok(())
    }
}
