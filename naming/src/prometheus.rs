//! How OpenTelemetry names become Prometheus names through the bridge.
//!
//! Mirrors opentelemetry-prometheus 0.33: dots and other invalid characters become `_`, a known
//! unit becomes a suffix, monotonic counters get `_total`.

/// The Prometheus family name the bridge exports for an OpenTelemetry instrument; `counter` is
/// true for a monotonic counter (which gets `_total`).
pub fn prometheus_name(otel_name: &str, unit: &str, counter: bool) -> String {
    let mut name = sanitize(otel_name);
    if let Some(suffix) = unit_suffix(unit) {
        name.push('_');
        name.push_str(suffix);
    }
    if counter {
        name.push_str("_total");
    }
    name
}

/// The Prometheus label name for an attribute key (`gen_ai.token.type` → `gen_ai_token_type`).
pub fn prometheus_label(key: &str) -> String {
    sanitize(key)
}

/// Every character outside `[A-Za-z0-9_:]` becomes `_`; a leading digit gets a `_` before it.
pub(crate) fn sanitize(name: &str) -> String {
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
pub fn unit_suffix(unit: &str) -> Option<&'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_bridge_names() {
        assert_eq!(prometheus_name("a.b", "s", false), "a_b_seconds");
        assert_eq!(prometheus_name("a.b", "{USD}", true), "a_b_total");
        assert_eq!(prometheus_name("a.b", "", false), "a_b");
        assert_eq!(prometheus_label("gen_ai.token.type"), "gen_ai_token_type");
        assert_eq!(prometheus_label("9lives"), "_9lives");
        // The bridge appends blindly; `validate_metric_name` is what prevents the repeat.
        assert_eq!(prometheus_name("x.seconds", "s", false), "x_seconds_seconds");
    }
}
