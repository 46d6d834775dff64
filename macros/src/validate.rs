//! The naming rules the attribute enforces at compile time, so a bad name, label or bucket set
//! is a compiler error at the user's token rather than a series Prometheus rejects (or a
//! histogram silently dropped) at run time.
//!
//! They mirror `flowmeter::metrics::names` (the proc-macro crate cannot depend on the runtime
//! crate, which depends on it); keep the two in step.

/// Labels Prometheus owns: `job` and `instance` are set on every scraped series, `le` and
/// `quantile` belong to histograms and summaries.
const RESERVED_LABELS: &[&str] = &["job", "instance", "le", "quantile"];

/// Labels every execution metric already carries; a static label with one of these names
/// would clash with them.
const BUILT_IN_LABELS: &[&str] = &["primitive_name", "primitive_type", "status"];

/// `name = "..."` is a label value (`primitive_name`) and the span's name: anything readable,
/// but never empty, and no control characters (they break the text exposition and logs).
pub(crate) fn primitive_name(name: &str) -> Result<(), String> {
    label_value(name).map_err(|why| format!("invalid `name`: {why}"))
}

/// `kind = "..."` (`primitive_type`) is matched on in dashboards and alerts, so it is held to
/// a stricter, identifier-like shape: `[a-z_][a-z0-9_]*`.
pub(crate) fn kind(kind: &str) -> Result<(), String> {
    let mut chars = kind.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid `kind` \"{kind}\": use lowercase letters, digits and `_`, not starting with a digit"
        ))
    }
}

/// A key of `labels(...)`: a Prometheus label name (`[A-Za-z_][A-Za-z0-9_]*`), not reserved,
/// not one of the built-in labels, and not starting with `__` (Prometheus' internal labels).
pub(crate) fn label_key(key: &str) -> Result<(), String> {
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "invalid label name `{key}`: use ASCII letters, digits and `_`, not starting with a digit"
        ));
    }
    if RESERVED_LABELS.contains(&key) {
        return Err(format!(
            "`{key}` is a reserved label: Prometheus uses job, instance, le and quantile itself"
        ));
    }
    if key.starts_with("__") {
        return Err(format!(
            "invalid label name `{key}`: names starting with `__` are reserved for Prometheus"
        ));
    }
    if BUILT_IN_LABELS.contains(&key) {
        return Err(format!(
            "`{key}` is already a label of every execution metric (primitive_name, primitive_type, status)"
        ));
    }
    Ok(())
}

/// A value of `labels(...)`: same rule as a name.
pub(crate) fn label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("it must not be empty".into());
    }
    if value.chars().any(char::is_control) {
        return Err("it must not contain control characters".into());
    }
    Ok(())
}

/// One histogram boundary, given the one before it: finite, not negative (they are durations
/// in seconds), and strictly greater than its predecessor.
pub(crate) fn bucket(value: f64, previous: Option<f64>) -> Result<(), String> {
    if !value.is_finite() {
        return Err("histogram boundaries must be finite numbers".into());
    }
    if value < 0.0 {
        return Err("histogram boundaries are durations in seconds and cannot be negative".into());
    }
    match previous {
        Some(previous) if value <= previous => Err(format!(
            "histogram boundaries must be strictly increasing: {value} is not greater than {previous}"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_kinds() {
        assert!(primitive_name("Repo::load").is_ok());
        assert!(primitive_name("").is_err());
        assert!(primitive_name("a\nb").is_err());
        assert!(kind("llm_call").is_ok());
        assert!(kind("LLM").is_err());
        assert!(kind("9x").is_err());
        assert!(kind("").is_err());
    }

    #[test]
    fn label_keys() {
        assert!(label_key("tier").is_ok());
        for bad in [
            "job",
            "instance",
            "le",
            "quantile",
            "__meta",
            "status",
            "primitive_name",
            "a-b",
            "naïve",
            "1a",
        ] {
            assert!(label_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn buckets() {
        assert!(bucket(0.5, None).is_ok());
        assert!(bucket(1.0, Some(0.5)).is_ok());
        assert!(bucket(0.5, Some(0.5)).is_err());
        assert!(bucket(f64::INFINITY, None).is_err());
        assert!(bucket(-1.0, None).is_err());
    }
}
