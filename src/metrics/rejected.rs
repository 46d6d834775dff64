//! Measurements that validation refused: counted in `ns.measurements.rejected{metric_name,
//! reason}` and logged once per metric and reason.
//!
//! Recording methods return the refusal as an error, but callers of instrumentation often
//! ignore it (`let _ = gauge.set(..)`); the counter keeps the loss visible on `/metrics`, and
//! the single warning says where to look without flooding the log when a bad value repeats.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};

use opentelemetry::KeyValue;

use super::catalog::keys;

/// Why a measurement was refused: the `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Rejection {
    /// NaN or an infinity.
    NotFinite,
    /// A negative value for a histogram.
    Negative,
    /// A gauge value outside its declared range.
    OutOfRange,
    /// A label value outside the label's declared set.
    LabelValue,
    /// Not one value per declared label.
    LabelCount,
    /// The instrument reached its cardinality limit: further label sets are folded into the
    /// overflow series (counted once per metric, when a scrape first sees it).
    CardinalityLimit,
}

impl Rejection {
    /// The `reason` label value.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Rejection::NotFinite => "not_finite",
            Rejection::Negative => "negative",
            Rejection::OutOfRange => "out_of_range",
            Rejection::LabelValue => "label_value",
            Rejection::LabelCount => "label_count",
            Rejection::CardinalityLimit => "cardinality_limit",
        }
    }
}

/// Counts one refusal of `metric` without logging, for a caller that logs its own message.
/// `false` (nothing counted) while telemetry is off or not installed.
pub(crate) fn count_quietly(metric: &str, reason: Rejection) -> bool {
    let Some(instruments) = super::instruments::EXECUTIONS.get() else { return false };
    instruments.measurements_rejected.add(
        1,
        &[
            KeyValue::new(keys::METRIC_NAME, metric.to_owned()),
            KeyValue::new(keys::REASON, reason.as_str()),
        ],
    );
    true
}

static WARNED: LazyLock<Mutex<HashSet<(String, Rejection)>>> = LazyLock::new(Default::default);

/// Counts one refused measurement of `metric` (its declared or catalog name) and logs the
/// first refusal of each `(metric, reason)`. Does nothing to the count while telemetry is off
/// or not installed; the caller still gets its error.
pub(crate) fn count(metric: &str, reason: Rejection, detail: &dyn std::fmt::Display) {
    if !count_quietly(metric, reason) {
        return;
    }
    let first =
        WARNED.lock().unwrap_or_else(PoisonError::into_inner).insert((metric.to_owned(), reason));
    if first {
        tracing::warn!(
            metric_name = metric,
            reason = reason.as_str(),
            "flowmeter refused a measurement and recorded nothing: {detail}; further refusals \
             of this metric for this reason are only counted in the measurements_rejected \
             counter"
        );
    }
}
