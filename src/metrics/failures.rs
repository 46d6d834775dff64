//! Counters of flowmeter's own failures on its serving paths (DESIGN: a failure inside
//! flowmeter is logged once and counted): OTLP exports that failed
//! (`ns.otlp.export.failures{signal, reason}`) and requests the endpoint refused for
//! credentials (`ns.scrape.auth.refused{reason}`). The serving layer decides and logs; this
//! holds the instruments and their label values.
//!
//! Every series exists at 0 from install, in every build (with the `otlp` feature or
//! without, credentials required or not): "none failed" is true either way, a dashboard
//! panel shows 0 rather than "No data", the generated alerts never query a metric nothing
//! emits, and `rate()` sees the first failure.

use opentelemetry::KeyValue;
use opentelemetry::metrics::Counter;

use super::catalog::{self, keys};
use super::instruments::DomainInstruments;

/// The `signal` values of `ns.otlp.export.failures`.
pub(crate) const EXPORT_SIGNALS: [&str; 2] = ["traces", "metrics"];
/// The `reason` values of `ns.otlp.export.failures`: the SDK's error kinds.
pub(crate) const EXPORT_REASONS: [&str; 3] = ["timeout", "shutdown", "export_error"];
/// The `reason` values of `ns.scrape.auth.refused`.
pub(crate) const REFUSAL_REASONS: [&str; 3] = ["missing", "scheme", "invalid"];

struct FailureInstruments {
    export_failures: Counter<u64>,
    auth_refused: Counter<u64>,
}

static FAILURES: DomainInstruments<FailureInstruments> = DomainInstruments::new(|f| {
    let instruments = FailureInstruments {
        export_failures: f.u64_counter(&catalog::OTLP_EXPORT_FAILURES),
        auth_refused: f.u64_counter(&catalog::SCRAPE_AUTH_REFUSED),
    };
    for signal in EXPORT_SIGNALS {
        for reason in EXPORT_REASONS {
            instruments.export_failures.add(0, &export_attrs(signal, reason));
        }
    }
    for reason in REFUSAL_REASONS {
        instruments.auth_refused.add(0, &[KeyValue::new(keys::REASON, reason)]);
    }
    instruments
});

fn export_attrs(signal: &'static str, reason: &'static str) -> [KeyValue; 2] {
    [KeyValue::new(keys::SIGNAL, signal), KeyValue::new(keys::REASON, reason)]
}

/// Counts one failed OTLP export; nothing while no enabled pipeline is installed.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) fn count_export_failure(signal: &'static str, reason: &'static str) {
    debug_assert!(EXPORT_SIGNALS.contains(&signal) && EXPORT_REASONS.contains(&reason));
    if let Some(failures) = FAILURES.get() {
        failures.export_failures.add(1, &export_attrs(signal, reason));
    }
}

/// Counts one refused request; nothing while no enabled pipeline is installed.
pub(crate) fn count_refusal(reason: &'static str) {
    debug_assert!(REFUSAL_REASONS.contains(&reason));
    if let Some(failures) = FAILURES.get() {
        failures.auth_refused.add(1, &[KeyValue::new(keys::REASON, reason)]);
    }
}

/// Creates every series at 0 (the instruments' first use does).
pub(super) fn warm_up() {
    FAILURES.get();
}

impl std::fmt::Debug for FailureInstruments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureInstruments").finish_non_exhaustive()
    }
}
