//! The typed error of application-defined metrics.

use crate::metrics::NameError;
use crate::metrics::rejected::Rejection;

/// Why an application metric could not be defined, or why a value was not recorded.
///
/// Every variant names the metric (as declared, e.g. `skill.completion.rate`) and, where it
/// applies, the offending label or value. A rejected recording records nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AppMetricError {
    /// The metric name is invalid, or repeats the suffix the exporter appends
    /// (`x.total` for a counter, `x.seconds` with unit `s`).
    #[error("metric `{metric}`: invalid name: {source}")]
    InvalidName {
        /// The declared metric name.
        metric: String,
        /// The naming rule that was broken.
        source: NameError,
    },
    /// No HELP text was given (`help` is required: `promtool check metrics` rejects a family
    /// without one, and every Python `prometheus_client` metric has one).
    #[error("metric `{metric}`: no help text; declare one with `.help(\"...\")`")]
    MissingHelp {
        /// The declared metric name.
        metric: String,
    },
    /// A label name is invalid or reserved (`job`, `instance`, `le`, `quantile`, `__*`).
    #[error("metric `{metric}`: invalid label `{label}`: {source}")]
    InvalidLabel {
        /// The declared metric name.
        metric: String,
        /// The rejected label name.
        label: String,
        /// The naming rule that was broken.
        source: NameError,
    },
    /// A label is declared twice.
    #[error("metric `{metric}`: label `{label}` is declared twice")]
    DuplicateLabel {
        /// The declared metric name.
        metric: String,
        /// The repeated label name.
        label: String,
    },
    /// `label_values` names a label that is not among the declared labels, or gives an
    /// empty set of values.
    #[error("metric `{metric}`: label `{label}` has a value set but {reason}")]
    InvalidValueSet {
        /// The declared metric name.
        metric: String,
        /// The label the value set was given for.
        label: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The cardinality limit is 0 or above
    /// [`MAX_CARDINALITY_LIMIT`](crate::telemetry::MAX_CARDINALITY_LIMIT).
    #[error("metric `{metric}`: cardinality limit {limit} {reason}")]
    InvalidCardinalityLimit {
        /// The declared metric name.
        metric: String,
        /// The rejected limit.
        limit: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The histogram boundaries are empty, not finite or not strictly increasing.
    #[error("metric `{metric}`: {source}")]
    InvalidBuckets {
        /// The declared metric name.
        metric: String,
        /// The bucket rule that was broken.
        source: NameError,
    },
    /// The gauge range has a NaN bound or its start is above its end.
    #[error("metric `{metric}`: invalid range {min}..={max}")]
    InvalidRange {
        /// The declared metric name.
        metric: String,
        /// The declared lower bound.
        min: f64,
        /// The declared upper bound.
        max: f64,
    },
    /// A recording gave a different number of label values than labels were declared.
    #[error("metric `{metric}`: expected {expected} label values ({labels}), got {got}")]
    LabelArity {
        /// The declared metric name.
        metric: String,
        /// How many labels were declared.
        expected: usize,
        /// How many values were given.
        got: usize,
        /// The declared label names, comma-separated.
        labels: String,
    },
    /// A label value is not in the label's declared set.
    #[error("metric `{metric}`: label `{label}` does not allow `{value}` (allowed: {allowed:?})")]
    LabelValue {
        /// The declared metric name.
        metric: String,
        /// The label whose value was rejected.
        label: String,
        /// The rejected value.
        value: String,
        /// The declared set of values.
        allowed: Vec<String>,
    },
    /// A gauge or histogram value is NaN or infinite.
    #[error("metric `{metric}`: value {value} is not finite")]
    NotFinite {
        /// The declared metric name.
        metric: String,
        /// The rejected value.
        value: f64,
    },
    /// A gauge value is outside the gauge's declared range.
    #[error("metric `{metric}`: value {value} is outside the declared range {min}..={max}")]
    OutOfRange {
        /// The declared metric name.
        metric: String,
        /// The rejected value.
        value: f64,
        /// The declared lower bound.
        min: f64,
        /// The declared upper bound.
        max: f64,
    },
    /// A histogram value is negative (histograms observe durations and sizes; a negative
    /// observation would make `_sum` decrease).
    #[error("metric `{metric}`: negative value {value} cannot be observed by a histogram")]
    Negative {
        /// The declared metric name.
        metric: String,
        /// The rejected value.
        value: f64,
    },
}

impl AppMetricError {
    /// Why a measurement was refused, for errors of recording (not of declaration).
    pub(crate) fn rejection(&self) -> Option<Rejection> {
        Some(match self {
            AppMetricError::NotFinite { .. } => Rejection::NotFinite,
            AppMetricError::Negative { .. } => Rejection::Negative,
            AppMetricError::OutOfRange { .. } => Rejection::OutOfRange,
            AppMetricError::LabelValue { .. } => Rejection::LabelValue,
            AppMetricError::LabelArity { .. } => Rejection::LabelCount,
            _ => return None,
        })
    }

    /// The declared name of the metric the error is about.
    pub fn metric(&self) -> &str {
        match self {
            AppMetricError::InvalidName { metric, .. }
            | AppMetricError::MissingHelp { metric }
            | AppMetricError::InvalidLabel { metric, .. }
            | AppMetricError::DuplicateLabel { metric, .. }
            | AppMetricError::InvalidValueSet { metric, .. }
            | AppMetricError::InvalidCardinalityLimit { metric, .. }
            | AppMetricError::InvalidBuckets { metric, .. }
            | AppMetricError::InvalidRange { metric, .. }
            | AppMetricError::LabelArity { metric, .. }
            | AppMetricError::LabelValue { metric, .. }
            | AppMetricError::NotFinite { metric, .. }
            | AppMetricError::OutOfRange { metric, .. }
            | AppMetricError::Negative { metric, .. } => metric,
        }
    }
}
