//! Alerts on flowmeter's own failures, from its self-metrics: OTLP exports that fail (their
//! data is dropped: traces or pushed metrics missing from the backend) and scrape requests
//! the endpoint refuses for credentials (a scraper with stale credentials, or someone probing
//! it). Both counters exist at 0 from their first export or permitted scrape, so `rate()`
//! sees the first failure.

use super::{Severity, alert};
use crate::promql::{rate, sum_by};
use crate::rule_names::WINDOW;
use crate::{MetricNames, Rule};

/// How long a failure must go on before these alerts fire.
const FOR: &str = "10m";

/// `…OtlpExportFailing` and `…ScrapeAuthRefused`.
pub(super) fn alerts(prefix: &str, m: &MetricNames) -> [Rule; 2] {
    let failures = &m.otlp_export_failures;
    let refused = &m.scrape_auth_refused;
    [
        alert(
            format!("{prefix}OtlpExportFailing"),
            format!("{} > 0", sum_by(&["signal", "reason"], &rate(failures, WINDOW))),
            FOR,
            Severity::Ticket,
            &[],
            "OTLP {{ $labels.signal }} exports fail ({{ $labels.reason }})".to_owned(),
            format!(
                "{{{{ $value | humanize }}}} OTLP {{{{ $labels.signal }}}} exports per second \
                 have failed ({{{{ $labels.reason }}}}) for {FOR}: their data is dropped, so the \
                 backend misses it. The application log names the endpoint and the error once \
                 per outage. See {failures}."
            ),
        ),
        alert(
            format!("{prefix}ScrapeAuthRefused"),
            format!("{} > 0", sum_by(&["reason"], &rate(refused, WINDOW))),
            FOR,
            Severity::Warning,
            &[],
            "The metrics endpoint refuses requests ({{ $labels.reason }} credentials)".to_owned(),
            format!(
                "{{{{ $value | humanize }}}} requests per second to the metrics endpoint have \
                 been refused for {FOR} ({{{{ $labels.reason }}}} credentials): a scraper with \
                 stale credentials, or someone probing the endpoint. See {refused}."
            ),
        ),
    ]
}
