//! The declaration shared by every application metric: name, HELP text, unit and labels,
//! validated once at build time; and the lazily created meter they record through.

use std::sync::OnceLock;

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::{InstrumentationScope, Key};

use super::error::AppMetricError;
use crate::metrics::catalog::InstrumentKind;
use crate::pipeline::cardinality;
use crate::pipeline::{self, Pipeline};
use flowmeter_naming as names;

/// The instrumentation scope of application-defined metrics (scope labels are off in the
/// exposition, so it does not show in `/metrics`).
pub const SCOPE_NAME: &str = "flowmeter.app";

/// What a builder has collected so far; validated by [`SpecBuilder::build`].
#[derive(Debug, Clone, Default)]
pub(crate) struct SpecBuilder {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) unit: String,
    pub(crate) labels: Vec<String>,
    pub(crate) label_values: Vec<(String, Vec<String>)>,
    pub(crate) cardinality_limit: Option<usize>,
}

/// One declared label: its name, its OpenTelemetry key, and its declared value set if any.
#[derive(Debug)]
pub(crate) struct Label {
    pub(crate) name: String,
    pub(crate) key: Key,
    pub(crate) allowed: Option<Vec<String>>,
}

/// A validated declaration.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) unit: String,
    pub(crate) kind: InstrumentKind,
    pub(crate) labels: Vec<Label>,
}

impl SpecBuilder {
    pub(crate) fn new(name: &str) -> Self {
        SpecBuilder { name: name.to_owned(), ..SpecBuilder::default() }
    }

    /// Validates the name against the unit and kind, every label, and every value set.
    pub(crate) fn build(self, kind: InstrumentKind) -> Result<Spec, AppMetricError> {
        let metric = &self.name;
        names::validate_metric_name(metric, &self.unit, kind == InstrumentKind::Counter)
            .map_err(|source| AppMetricError::InvalidName { metric: metric.clone(), source })?;
        if self.help.trim().is_empty() {
            return Err(AppMetricError::MissingHelp { metric: metric.clone() });
        }
        let mut labels: Vec<Label> = Vec::with_capacity(self.labels.len());
        for label in &self.labels {
            names::validate_label(label).map_err(|source| AppMetricError::InvalidLabel {
                metric: metric.clone(),
                label: label.clone(),
                source,
            })?;
            if labels.iter().any(|l| &l.name == label) {
                return Err(AppMetricError::DuplicateLabel {
                    metric: metric.clone(),
                    label: label.clone(),
                });
            }
            labels.push(Label { name: label.clone(), key: Key::new(label.clone()), allowed: None });
        }
        for (label, values) in self.label_values {
            let invalid = |reason| AppMetricError::InvalidValueSet {
                metric: metric.clone(),
                label: label.clone(),
                reason,
            };
            if values.is_empty() {
                return Err(invalid("the set is empty"));
            }
            let Some(declared) = labels.iter_mut().find(|l| l.name == label) else {
                return Err(invalid("the label is not declared with `labels`"));
            };
            if declared.allowed.is_some() {
                return Err(invalid("a value set is already given for it"));
            }
            declared.allowed = Some(values);
        }
        if let Some(limit) = self.cardinality_limit {
            if let Some(reason) = cardinality::invalid(limit) {
                return Err(AppMetricError::InvalidCardinalityLimit {
                    metric: metric.clone(),
                    limit,
                    reason,
                });
            }
            cardinality::declare(metric, limit);
        }
        Ok(Spec { name: self.name, help: self.help, unit: self.unit, kind, labels })
    }
}

impl Spec {
    pub(crate) fn prometheus_name(&self) -> String {
        names::prometheus_name(&self.name, &self.unit, self.kind == InstrumentKind::Counter)
    }
}

/// Adds the builder methods every metric kind shares; `$builder.spec` is a [`SpecBuilder`].
macro_rules! common_builder_methods {
    () => {
        /// Sets the description, exported as the `# HELP` text. Required: `build` fails with
        /// [`AppMetricError::MissingHelp`](crate::app::AppMetricError) without one.
        pub fn help(mut self, help: impl Into<String>) -> Self {
            self.spec.help = help.into();
            self
        }

        /// Sets the UCUM unit (`s`, `ms`, `By`, `1`, `%`, or an annotation such as `{USD}`).
        /// The bridge appends the unit's suffix (`s` → `_seconds`), so do not repeat it in
        /// the name: `build` rejects `x.seconds` with unit `s`.
        pub fn unit(mut self, unit: impl Into<String>) -> Self {
            self.spec.unit = unit.into();
            self
        }

        /// Declares the label names, in the order recordings give their values. Replaces any
        /// earlier declaration.
        pub fn labels<I, S>(mut self, labels: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.spec.labels = labels.into_iter().map(Into::into).collect();
            self
        }

        /// Restricts a declared label to a set of values; recordings with any other value
        /// are rejected with [`AppMetricError::LabelValue`](crate::app::AppMetricError).
        pub fn label_values<I, S>(mut self, label: impl Into<String>, values: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.spec
                .label_values
                .push((label.into(), values.into_iter().map(Into::into).collect()));
            self
        }

        /// The most distinct label-value combinations this metric keeps; recordings with any
        /// further combination are added to one series labelled `otel_metric_overflow="true"`
        /// (totals stay exact, memory stays bounded). Default: the pipeline's
        /// ([`TelemetryBuilder::cardinality_limit`](crate::TelemetryBuilder::cardinality_limit),
        /// 2000). Takes effect if declared before the metric's first recording; `build`
        /// rejects 0 with
        /// [`AppMetricError::InvalidCardinalityLimit`](crate::app::AppMetricError).
        pub fn cardinality_limit(mut self, limit: usize) -> Self {
            self.spec.cardinality_limit = Some(limit);
            self
        }
    };
}
pub(crate) use common_builder_methods;

static APP_METER: OnceLock<Meter> = OnceLock::new();

/// The meter of application metrics, if an enabled pipeline is installed.
pub(crate) fn enabled_meter() -> Option<&'static Meter> {
    let pipeline = pipeline::get()?;
    pipeline.is_enabled().then(|| app_meter(pipeline))
}

fn app_meter(pipeline: &Pipeline) -> &'static Meter {
    // At most one pipeline is ever published per process, so one meter is enough.
    APP_METER.get_or_init(|| {
        let scope =
            InstrumentationScope::builder(SCOPE_NAME).with_version(env!("CARGO_PKG_VERSION"));
        pipeline.meter_provider().meter_with_scope(scope.build())
    })
}

/// The instrument in `cell`, created with `create` on first use once an enabled pipeline is
/// installed; `None` while telemetry is off or not installed.
#[inline]
pub(crate) fn lazy_instrument<T>(
    cell: &OnceLock<T>,
    create: impl FnOnce(&Meter) -> T,
) -> Option<&T> {
    if let Some(instrument) = cell.get() {
        return Some(instrument);
    }
    let meter = enabled_meter()?;
    Some(cell.get_or_init(|| create(meter)))
}
