//! The naming rules the attribute enforces at compile time, so a bad name, label or bucket set
//! is a compiler error at the user's token rather than a series Prometheus rejects (or a
//! histogram silently dropped) at run time.
//!
//! The rules themselves are `flowmeter-naming`'s, the same the runtime applies to metrics
//! declared at run time and the generator to the names it queries; this module only says
//! which option of the attribute was wrong.

use flowmeter_naming as naming;

/// `name = "..."` is a label value (`primitive_name`) and the span's name: anything readable,
/// but never empty, and no control characters.
pub(crate) fn primitive_name(name: &str) -> Result<(), String> {
    naming::validate_label_value(name).map_err(|why| format!("invalid `name`: {why}"))
}

/// `kind = "..."` (`primitive_type`) is matched on in dashboards and alerts: `[a-z_][a-z0-9_]*`.
pub(crate) fn kind(kind: &str) -> Result<(), String> {
    naming::validate_kind(kind).map_err(|why| why.to_string())
}

/// A key of `labels(...)`: a Prometheus label name, not reserved and not one of the labels
/// every execution metric already has.
pub(crate) fn label_key(key: &str) -> Result<(), String> {
    naming::validate_static_label(key).map_err(|why| why.to_string())
}

/// A value of `labels(...)`: same rule as a name.
pub(crate) fn label_value(value: &str) -> Result<(), String> {
    naming::validate_label_value(value).map_err(|why| why.to_string())
}

/// One histogram boundary, given the one before it.
pub(crate) fn bucket(value: f64, previous: Option<f64>) -> Result<(), String> {
    naming::validate_bucket(value, previous).map_err(|why| why.to_string())
}

/// `#[error_type(name = "...")]` of `#[derive(ErrorType)]`: a label value.
pub(crate) fn error_type(name: &str) -> Result<(), String> {
    naming::validate_label_value(name).map_err(|why| format!("invalid `error_type` name: {why}"))
}
