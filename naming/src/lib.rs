//! The naming rules of flowmeter, written once and used by the `#[instrumented]` attribute (at
//! compile time, so a bad name is an error at the user's token), the runtime (for metrics
//! declared at run time through `flowmeter::app`) and the rules generator (for the names it
//! queries).
//!
//! Two families of rules:
//!
//! - **What is valid**: identifiers, label names (not reserved, not built in), label values,
//!   `primitive_type` values, histogram boundaries, and OpenTelemetry metric names that would
//!   not repeat a suffix once exported.
//! - **What the bridge exports**: how an OpenTelemetry name, unit and kind become a Prometheus
//!   family name (dots become `_`, a known unit becomes a suffix, a monotonic counter gets
//!   `_total`), as opentelemetry-prometheus 0.33 does; flowmeter's exposition tests check this
//!   against real scrapes.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

mod error;
mod prometheus;
mod valid;

pub use error::NameError;
pub use prometheus::{prometheus_label, prometheus_name, unit_suffix};
pub use valid::{
    validate_bucket, validate_buckets, validate_identifier, validate_kind, validate_label,
    validate_label_value, validate_metric_name, validate_static_label,
};

/// Labels no metric may define: Prometheus sets `job` and `instance` on every scraped series,
/// and `le` / `quantile` belong to histograms and summaries.
pub const RESERVED_LABELS: &[&str] = &["job", "instance", "le", "quantile"];

/// Labels every execution metric already carries; a call site's static label may not reuse
/// one of them.
pub const EXECUTION_LABELS: &[&str] = &["primitive_name", "primitive_type", "status"];

/// Default boundaries of the duration histograms, in seconds: 1 ms to 60 s, dense where
/// service latencies usually fall. Objectives' latency thresholds must be one of them unless a
/// call site declares its own `buckets`.
pub const DURATION_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
