//! Naming rules: how OpenTelemetry names become Prometheus names through the bridge, and
//! which names, labels and bucket sets are valid.
//!
//! The derivation mirrors opentelemetry-prometheus 0.33 (dots and other invalid characters
//! become `_`, a known unit becomes a suffix, monotonic counters get `_total`); the
//! exposition tests check it against real scrapes.

use super::catalog::InstrumentKind;

/// Labels no application metric may define: Prometheus sets `job` and `instance` on every
/// scraped series, and `le` / `quantile` belong to histograms and summaries.
pub const RESERVED_LABELS: &[&str] = &["job", "instance", "le", "quantile"];

/// Why a name, label or bucket set was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty, starts with a digit, or has a character outside `[A-Za-z0-9_]`.
    #[error("`{0}` is not a valid name: use letters, digits and `_`, not starting with a digit")]
    Invalid(String),
    /// One of [`RESERVED_LABELS`].
    #[error("`{0}` is a reserved label (Prometheus uses job, instance, le and quantile)")]
    Reserved(String),
    /// The name already ends with the suffix the bridge will append.
    #[error(
        "`{0}` ends with the suffix the exporter appends (unit or `_total`); drop it from the name"
    )]
    RepeatedSuffix(String),
    /// Boundaries that are empty, not finite, or not strictly increasing.
    #[error("histogram boundaries must be finite and strictly increasing: {0}")]
    Buckets(String),
}

/// The Prometheus family name the bridge exports for an OpenTelemetry instrument.
pub fn prometheus_name(otel_name: &str, unit: &str, kind: InstrumentKind) -> String {
    let mut name = sanitize(otel_name);
    if let Some(suffix) = unit_suffix(unit) {
        name.push('_');
        name.push_str(suffix);
    }
    if kind == InstrumentKind::Counter {
        name.push_str("_total");
    }
    name
}

/// The Prometheus label name for an attribute key (`gen_ai.token.type` → `gen_ai_token_type`).
pub fn prometheus_label(key: &str) -> String {
    sanitize(key)
}

fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    for (i, c) in name.chars().enumerate() {
        if i == 0 && c.is_ascii_digit() {
            out.push('_');
        }
        out.push(if c.is_ascii_alphanumeric() || c == '_' || c == ':' { c } else { '_' });
    }
    out
}

/// The suffix the bridge appends for a UCUM unit; annotations such as `{USD}` add none.
fn unit_suffix(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "min" => "minutes",
        "h" => "hours",
        "d" => "days",
        "By" => "bytes",
        "1" => "ratio",
        "%" => "percent",
        _ => return None,
    })
}

/// Checks a namespace, metric name segment or label name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn validate_identifier(name: &str) -> Result<(), NameError> {
    let mut chars = name.chars();
    let valid = match chars.next() {
        Some(first) => {
            (first.is_ascii_alphabetic() || first == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    };
    if valid { Ok(()) } else { Err(NameError::Invalid(name.to_owned())) }
}

/// Checks an OpenTelemetry metric name (dot-separated identifiers) against the unit and kind
/// it is declared with, so the exported name never repeats a unit (`_seconds_seconds`) or a
/// counter suffix (`_total_total`).
pub fn validate_metric_name(name: &str, unit: &str, kind: InstrumentKind) -> Result<(), NameError> {
    for segment in name.split('.') {
        validate_identifier(segment).map_err(|_| NameError::Invalid(name.to_owned()))?;
    }
    let sanitized = sanitize(name);
    let repeats_unit = unit_suffix(unit).is_some_and(|s| sanitized.ends_with(&format!("_{s}")));
    let repeats_total = kind == InstrumentKind::Counter && sanitized.ends_with("_total");
    if repeats_unit || repeats_total {
        return Err(NameError::RepeatedSuffix(name.to_owned()));
    }
    Ok(())
}

/// Checks a label name: a valid identifier, not reserved, not starting with `__`.
pub fn validate_label(name: &str) -> Result<(), NameError> {
    validate_identifier(name)?;
    if RESERVED_LABELS.contains(&name) || name.starts_with("__") {
        return Err(NameError::Reserved(name.to_owned()));
    }
    Ok(())
}

/// Checks histogram boundaries: non-empty, finite, strictly increasing.
pub fn validate_buckets(buckets: &[f64]) -> Result<(), NameError> {
    if buckets.is_empty() {
        return Err(NameError::Buckets("no boundaries".into()));
    }
    if let Some(b) = buckets.iter().find(|b| !b.is_finite()) {
        return Err(NameError::Buckets(format!("{b} is not finite")));
    }
    if let Some(w) = buckets.windows(2).find(|w| w[0] >= w[1]) {
        return Err(NameError::Buckets(format!("{} is not below {}", w[0], w[1])));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use InstrumentKind::*;

    #[test]
    fn derives_bridge_names() {
        assert_eq!(prometheus_name("a.b", "s", Histogram), "a_b_seconds");
        assert_eq!(prometheus_name("a.b", "{USD}", Counter), "a_b_total");
        assert_eq!(prometheus_name("a.b", "", UpDownCounter), "a_b");
        // The bridge appends blindly; `validate_metric_name` is what prevents the repeat.
        assert_eq!(prometheus_name("x.seconds", "s", Histogram), "x_seconds_seconds");
    }

    #[test]
    fn rejects_bad_names_labels_and_buckets() {
        assert!(validate_identifier("9lives").is_err());
        assert!(validate_identifier("has-dash").is_err());
        assert!(validate_identifier("").is_err());
        assert!(validate_identifier("tta").is_ok());
        for reserved in ["job", "instance", "le", "quantile", "__name__"] {
            assert!(matches!(validate_label(reserved), Err(NameError::Reserved(_))));
        }
        assert!(validate_metric_name("x.duration.seconds", "s", Histogram).is_err());
        assert!(validate_metric_name("x.calls.total", "", Counter).is_err());
        assert!(validate_metric_name("x.duration", "s", Histogram).is_ok());
        assert!(validate_buckets(&[1.0, 1.0]).is_err());
        assert!(validate_buckets(&[f64::NAN]).is_err());
        assert!(validate_buckets(&[]).is_err());
        assert!(validate_buckets(&[0.1, 1.0]).is_ok());
    }
}
