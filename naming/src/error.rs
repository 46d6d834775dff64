//! Why a name, label or bucket set was rejected.

use std::fmt;

/// Why a name, label, label value or bucket set was rejected. The message says what is
/// wrong and what is allowed; callers add where the value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// Empty, starts with a digit, or has a character outside `[A-Za-z0-9_]`.
    Invalid(String),
    /// One of [`RESERVED_LABELS`](crate::RESERVED_LABELS), or starting with `__`.
    Reserved(String),
    /// One of [`EXECUTION_LABELS`](crate::EXECUTION_LABELS), used as a call site's static label.
    BuiltIn(String),
    /// A `primitive_type` value outside `[a-z_][a-z0-9_]*`.
    Kind(String),
    /// A label value that is empty or has control characters.
    LabelValue(String),
    /// The name already ends with the suffix the bridge will append.
    RepeatedSuffix(String),
    /// Boundaries that are empty, not finite, negative durations, or not strictly increasing.
    Buckets(String),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Invalid(name) => write!(
                f,
                "`{name}` is not a valid name: use ASCII letters, digits and `_`, not starting with a digit"
            ),
            NameError::Reserved(name) if name.starts_with("__") => write!(
                f,
                "`{name}` is a reserved label: names starting with `__` belong to Prometheus"
            ),
            NameError::Reserved(name) => write!(
                f,
                "`{name}` is a reserved label: Prometheus uses job, instance, le and quantile itself"
            ),
            NameError::BuiltIn(name) => write!(
                f,
                "`{name}` is already a label of every execution metric (primitive_name, primitive_type, status)"
            ),
            NameError::Kind(kind) => write!(
                f,
                "`{kind}` is not a valid kind: use lowercase letters, digits and `_`, not starting with a digit"
            ),
            NameError::LabelValue(why) => write!(f, "{why}"),
            NameError::RepeatedSuffix(name) => write!(
                f,
                "`{name}` ends with the suffix the exporter appends (unit or `_total`); drop it from the name"
            ),
            NameError::Buckets(why) => write!(f, "histogram boundaries {why}"),
        }
    }
}

impl std::error::Error for NameError {}
