//! What is a valid name, label, label value, kind and bucket set.

use crate::prometheus::{sanitize, unit_suffix};
use crate::{EXECUTION_LABELS, NameError, RESERVED_LABELS};

/// Checks a namespace, metric name segment or label name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn validate_identifier(name: &str) -> Result<(), NameError> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid { Ok(()) } else { Err(NameError::Invalid(name.to_owned())) }
}

/// Checks a label name: a valid identifier, not reserved, not starting with `__`.
pub fn validate_label(name: &str) -> Result<(), NameError> {
    validate_identifier(name)?;
    if RESERVED_LABELS.contains(&name) || name.starts_with("__") {
        return Err(NameError::Reserved(name.to_owned()));
    }
    Ok(())
}

/// Checks a call site's static label name (`labels(key = "...")`): a valid label that is not
/// one of the execution metrics' own labels.
pub fn validate_static_label(name: &str) -> Result<(), NameError> {
    validate_label(name)?;
    if EXECUTION_LABELS.contains(&name) {
        return Err(NameError::BuiltIn(name.to_owned()));
    }
    Ok(())
}

/// Checks a label value fixed in code (a static label, a `primitive_name`): anything
/// readable, but never empty and no control characters (they break the text exposition and
/// logs).
pub fn validate_label_value(value: &str) -> Result<(), NameError> {
    if value.is_empty() {
        return Err(NameError::LabelValue("it must not be empty".into()));
    }
    if value.chars().any(char::is_control) {
        return Err(NameError::LabelValue("it must not contain control characters".into()));
    }
    Ok(())
}

/// Checks a `primitive_type` value, matched on in dashboards and alerts, so held to an
/// identifier-like shape: `[a-z_][a-z0-9_]*`.
pub fn validate_kind(kind: &str) -> Result<(), NameError> {
    let mut chars = kind.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid { Ok(()) } else { Err(NameError::Kind(kind.to_owned())) }
}

/// Checks an OpenTelemetry metric name (dot-separated identifiers) against the unit and kind
/// it is declared with (`counter`: a monotonic counter), so the exported name never repeats a
/// unit (`_seconds_seconds`) or a counter suffix (`_total_total`).
pub fn validate_metric_name(name: &str, unit: &str, counter: bool) -> Result<(), NameError> {
    for segment in name.split('.') {
        validate_identifier(segment).map_err(|_| NameError::Invalid(name.to_owned()))?;
    }
    let sanitized = sanitize(name);
    let repeats_unit = unit_suffix(unit).is_some_and(|s| sanitized.ends_with(&format!("_{s}")));
    let repeats_total = counter && sanitized.ends_with("_total");
    if repeats_unit || repeats_total {
        return Err(NameError::RepeatedSuffix(name.to_owned()));
    }
    Ok(())
}

/// Checks histogram boundaries: non-empty, finite, strictly increasing.
pub fn validate_buckets(buckets: &[f64]) -> Result<(), NameError> {
    if buckets.is_empty() {
        return Err(NameError::Buckets("need at least one boundary".into()));
    }
    let mut previous = None;
    for &value in buckets {
        check_boundary(value, previous)?;
        previous = Some(value);
    }
    Ok(())
}

/// Checks one boundary of a duration histogram given the one before it: finite, not
/// negative (durations in seconds), and strictly greater than its predecessor. The attribute
/// checks `buckets = [...]` one literal at a time with this, to point at the bad one.
pub fn validate_bucket(value: f64, previous: Option<f64>) -> Result<(), NameError> {
    if value < 0.0 {
        return Err(NameError::Buckets("are durations in seconds and cannot be negative".into()));
    }
    check_boundary(value, previous)
}

fn check_boundary(value: f64, previous: Option<f64>) -> Result<(), NameError> {
    if !value.is_finite() {
        return Err(NameError::Buckets(format!("must be finite numbers: {value} is not")));
    }
    match previous {
        Some(previous) if value <= previous => Err(NameError::Buckets(format!(
            "must be strictly increasing: {value} is not greater than {previous}"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_labels() {
        assert!(validate_identifier("9lives").is_err());
        assert!(validate_identifier("has-dash").is_err());
        assert!(validate_identifier("").is_err());
        assert!(validate_identifier("naïve").is_err());
        assert!(validate_identifier("tta").is_ok());
        for reserved in ["job", "instance", "le", "quantile", "__name__"] {
            assert!(matches!(validate_label(reserved), Err(NameError::Reserved(_))));
        }
        assert!(validate_static_label("tier").is_ok());
        for built_in in EXECUTION_LABELS {
            assert!(matches!(validate_static_label(built_in), Err(NameError::BuiltIn(_))));
        }
    }

    #[test]
    fn values_and_kinds() {
        assert!(validate_label_value("Repo::load").is_ok());
        assert!(validate_label_value("").is_err());
        assert!(validate_label_value("a\nb").is_err());
        assert!(validate_kind("llm_call").is_ok());
        for bad in ["LLM", "9x", ""] {
            assert!(validate_kind(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metric_names_never_repeat_a_suffix() {
        assert!(validate_metric_name("x.duration.seconds", "s", false).is_err());
        assert!(validate_metric_name("x.calls.total", "", true).is_err());
        assert!(validate_metric_name("x.duration", "s", false).is_ok());
        assert!(validate_metric_name("x.bad-name", "", false).is_err());
    }

    #[test]
    fn buckets() {
        assert!(validate_buckets(&[1.0, 1.0]).is_err());
        assert!(validate_buckets(&[f64::NAN]).is_err());
        assert!(validate_buckets(&[]).is_err());
        assert!(validate_buckets(&[0.1, 1.0]).is_ok());
        assert!(validate_bucket(0.5, None).is_ok());
        assert!(validate_bucket(1.0, Some(0.5)).is_ok());
        assert!(validate_bucket(0.5, Some(0.5)).is_err());
        assert!(validate_bucket(f64::INFINITY, None).is_err());
        assert!(validate_bucket(-1.0, None).is_err());
    }
}
