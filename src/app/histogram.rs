//! Explicit-bucket histograms, and the timers that observe into them.

use std::sync::{Arc, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundHistogram, Histogram};

use super::error::AppMetricError;
use super::spec::{Spec, SpecBuilder, common_builder_methods, lazy_instrument};
use flowmeter_naming as names;

use crate::metrics::catalog::InstrumentKind;
use crate::metrics::clock::{self, Instant};

/// The boundaries used when none are declared: those of the Python `prometheus_client`
/// (suited to durations in seconds).
pub const DEFAULT_BUCKETS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Declares a histogram; see [`HistogramBuilder`]. Exported as a Prometheus `histogram`:
/// `skill.duration` with unit `s` → `skill_duration_seconds` (`_bucket`, `_sum`, `_count`).
pub fn histogram(name: &str) -> HistogramBuilder {
    HistogramBuilder { spec: SpecBuilder::new(name), buckets: DEFAULT_BUCKETS.to_vec() }
}

/// The declaration of a histogram, validated by [`build`](HistogramBuilder::build).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct HistogramBuilder {
    spec: SpecBuilder,
    buckets: Vec<f64>,
}

impl HistogramBuilder {
    common_builder_methods!();

    /// Sets the bucket upper bounds (finite, strictly increasing; `+Inf` is implied), exported
    /// exactly as the `le` labels. Defaults to [`DEFAULT_BUCKETS`].
    pub fn buckets(mut self, buckets: impl IntoIterator<Item = f64>) -> Self {
        self.buckets = buckets.into_iter().collect();
        self
    }

    /// Validates the declaration (name, labels, value sets and buckets).
    pub fn build(self) -> Result<AppHistogram, AppMetricError> {
        let spec = self.spec.build(InstrumentKind::Histogram)?;
        names::validate_buckets(&self.buckets).map_err(|source| {
            AppMetricError::InvalidBuckets { metric: spec.name.clone(), source }
        })?;
        super::declared::declare(&spec, Some(&self.buckets));
        Ok(AppHistogram {
            inner: Arc::new(Inner { spec, buckets: self.buckets, instrument: OnceLock::new() }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    spec: Spec,
    buckets: Vec<f64>,
    instrument: OnceLock<Histogram<f64>>,
}

impl Inner {
    fn check(&self, value: f64) -> Result<(), AppMetricError> {
        self.spec.check_finite(value)?;
        if value < 0.0 {
            let error = AppMetricError::Negative { metric: self.spec.name.clone(), value };
            return Err(self.spec.rejected(error));
        }
        Ok(())
    }
}

/// An `f64` histogram with declared labels and buckets. Cheap to clone.
///
/// Values must be finite and non-negative (durations, sizes, scores ≥ 0): a negative
/// observation would make the exported `_sum` decrease, which Prometheus treats as a reset.
#[derive(Debug, Clone)]
pub struct AppHistogram {
    inner: Arc<Inner>,
}

impl AppHistogram {
    /// The name as declared.
    pub fn name(&self) -> &str {
        &self.inner.spec.name
    }

    /// The Prometheus family name the bridge exports.
    pub fn prometheus_name(&self) -> String {
        self.inner.spec.prometheus_name()
    }

    /// The bucket upper bounds.
    pub fn buckets(&self) -> &[f64] {
        &self.inner.buckets
    }

    fn instrument(&self) -> Option<&Histogram<f64>> {
        let inner = &self.inner;
        lazy_instrument(&inner.instrument, |meter| {
            meter
                .f64_histogram(inner.spec.name.clone())
                .with_description(inner.spec.help.clone())
                .with_unit(inner.spec.unit.clone())
                .with_boundaries(inner.buckets.clone())
                .build()
        })
    }

    /// Observes `value` in the series of `labels`. NaN, infinities and negative values are
    /// rejected ([`AppMetricError::NotFinite`], [`AppMetricError::Negative`]) and nothing is
    /// recorded.
    pub fn record(&self, value: f64, labels: &[&str]) -> Result<(), AppMetricError> {
        self.inner.check(value)?;
        let attrs = self.inner.spec.attributes(labels)?;
        self.record_attrs(value, &attrs);
        Ok(())
    }

    pub(crate) fn record_attrs(&self, value: f64, attrs: &[KeyValue]) {
        if let Some(histogram) = self.instrument() {
            histogram.record(value, attrs);
        }
    }

    /// Starts a timer that observes the elapsed seconds into the series of `labels` when it
    /// is dropped (or [`observe_duration`](HistogramTimer::observe_duration) is called).
    pub fn start_timer(&self, labels: &[&str]) -> Result<HistogramTimer<'_>, AppMetricError> {
        let attrs = self.inner.spec.attributes(labels)?;
        Ok(HistogramTimer::unbound(self, attrs))
    }

    /// A handle for one series, after checking its label values once.
    pub fn bind(&self, labels: &[&str]) -> Result<BoundAppHistogram, AppMetricError> {
        let attrs = self.inner.spec.attributes(labels)?;
        Ok(BoundAppHistogram { metric: self.clone(), attrs, bound: OnceLock::new() })
    }
}

/// One series of an [`AppHistogram`], bound on first use once an enabled pipeline exists.
#[derive(Debug)]
pub struct BoundAppHistogram {
    metric: AppHistogram,
    attrs: Vec<KeyValue>,
    bound: OnceLock<BoundHistogram<f64>>,
}

impl BoundAppHistogram {
    /// Observes `value`, validated as [`AppHistogram::record`] does.
    #[inline]
    pub fn record(&self, value: f64) -> Result<(), AppMetricError> {
        self.metric.inner.check(value)?;
        self.record_unchecked(value);
        Ok(())
    }

    /// Records a value known to be finite and non-negative.
    #[inline]
    pub(crate) fn record_unchecked(&self, value: f64) {
        let bound = match self.bound.get() {
            Some(bound) => bound,
            None => match self.metric.instrument() {
                Some(histogram) => self.bound.get_or_init(|| histogram.bind(&self.attrs)),
                None => return,
            },
        };
        bound.record(value);
    }

    /// Starts a timer that observes the elapsed seconds into this series when dropped.
    pub fn start_timer(&self) -> HistogramTimer<'_> {
        HistogramTimer::bound(self)
    }
}

// ---- timers: the Rust form of Python's `with histogram.time():` ----------------------------

enum Target<'a> {
    Unbound(&'a AppHistogram, Vec<KeyValue>),
    Bound(&'a BoundAppHistogram),
}

/// Observes the seconds elapsed since it was started into a histogram series when dropped,
/// measured on flowmeter's monotonic clock.
///
/// End it early with [`observe_duration`](Self::observe_duration) (or its alias
/// [`stop`](Self::stop)); discard it without recording with [`cancel`](Self::cancel).
#[must_use = "the timer records when dropped; `let _ = …` drops it immediately"]
pub struct HistogramTimer<'a> {
    target: Target<'a>,
    start: Instant,
    armed: bool,
}

impl std::fmt::Debug for HistogramTimer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let metric = match &self.target {
            Target::Unbound(h, _) => h.name(),
            Target::Bound(_) => "<bound>",
        };
        f.debug_struct("HistogramTimer")
            .field("metric", &metric)
            .field("elapsed", &self.elapsed_seconds())
            .field("armed", &self.armed)
            .finish()
    }
}

impl<'a> HistogramTimer<'a> {
    pub(crate) fn unbound(histogram: &'a AppHistogram, attrs: Vec<KeyValue>) -> Self {
        Self::new(Target::Unbound(histogram, attrs))
    }

    pub(crate) fn bound(histogram: &'a BoundAppHistogram) -> Self {
        Self::new(Target::Bound(histogram))
    }

    fn new(target: Target<'a>) -> Self {
        HistogramTimer { target, start: clock::now(), armed: true }
    }

    /// Seconds elapsed since the timer started.
    pub fn elapsed_seconds(&self) -> f64 {
        clock::now().duration_since(self.start).as_secs_f64()
    }

    /// Records the elapsed seconds now and returns them.
    pub fn observe_duration(mut self) -> f64 {
        self.record()
    }

    /// Same as [`observe_duration`](Self::observe_duration).
    pub fn stop(self) -> f64 {
        self.observe_duration()
    }

    /// Drops the timer without recording anything.
    pub fn cancel(mut self) {
        self.armed = false;
    }

    fn record(&mut self) -> f64 {
        let seconds = self.elapsed_seconds();
        if std::mem::replace(&mut self.armed, false) {
            match &self.target {
                Target::Unbound(histogram, attrs) => histogram.record_attrs(seconds, attrs),
                Target::Bound(bound) => bound.record_unchecked(seconds),
            }
        }
        seconds
    }
}

impl Drop for HistogramTimer<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.record();
        }
    }
}
