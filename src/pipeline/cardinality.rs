//! Cardinality limits: how many distinct label sets one instrument keeps.
//!
//! OpenTelemetry's SDK keeps at most that many series per instrument; measurements with any
//! further label set are added to one overflow series carrying the label
//! `otel_metric_overflow="true"`, so totals stay exact while memory stays bounded however many
//! values a label is fed. The limit is the pipeline's default
//! ([`TelemetryBuilder::cardinality_limit`](crate::TelemetryBuilder::cardinality_limit),
//! [`DEFAULT_CARDINALITY_LIMIT`]) unless an instrument declares its own (the `cardinality_limit`
//! option of [`flowmeter::app`](crate::app) builders).
//!
//! The limits reach the SDK through a view consulted when an instrument is created, so a
//! per-instrument limit must be declared before the instrument's first recording (the `app`
//! builders do so at `build`).

use std::collections::HashMap;
use std::sync::{LazyLock, PoisonError, RwLock};

use opentelemetry_sdk::metrics::{Instrument, Stream};

/// Series kept per instrument when nothing else is configured: the OpenTelemetry SDK's own
/// default.
pub const DEFAULT_CARDINALITY_LIMIT: usize = 2000;

/// The largest limit accepted. Each kept series costs memory (about 200 bytes for a counter,
/// more for a histogram), so a limit is a memory budget; this bound only catches typos.
pub const MAX_CARDINALITY_LIMIT: usize = 1 << 24;

/// Limits declared per instrument name (the OpenTelemetry name, e.g. `skill.invocations`).
static PER_INSTRUMENT: LazyLock<RwLock<HashMap<String, usize>>> = LazyLock::new(Default::default);

/// Declares the limit of the instrument `name`, for when it is created.
pub(crate) fn declare(name: &str, limit: usize) {
    let mut limits = PER_INSTRUMENT.write().unwrap_or_else(PoisonError::into_inner);
    limits.insert(name.to_owned(), limit);
}

/// The limit of the instrument `name`: its own if declared, else `default`.
pub(crate) fn limit_of(name: &str, default: usize) -> usize {
    let limits = PER_INSTRUMENT.read().unwrap_or_else(PoisonError::into_inner);
    limits.get(name).copied().unwrap_or(default)
}

/// Why a limit is not accepted, or `None` when it is (1 ..= [`MAX_CARDINALITY_LIMIT`]).
pub(crate) fn invalid(limit: usize) -> Option<String> {
    match limit {
        0 => Some("must be at least 1".to_owned()),
        n if n > MAX_CARDINALITY_LIMIT => Some(format!("must be at most {MAX_CARDINALITY_LIMIT}")),
        _ => None,
    }
}

/// The view giving every instrument its limit (only the limit: name, description, unit and
/// bucket boundaries stay the instrument's own).
pub(crate) fn view(default: usize) -> impl Fn(&Instrument) -> Option<Stream> + Send + Sync {
    move |instrument| {
        Stream::builder().with_cardinality_limit(limit_of(instrument.name(), default)).build().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_limit_wins_over_the_default() {
        declare("cardinality.test.declared", 7);
        assert_eq!(limit_of("cardinality.test.declared", 2000), 7);
        assert_eq!(limit_of("cardinality.test.undeclared", 2000), 2000);
    }

    #[test]
    fn limits_outside_one_to_the_maximum_are_refused() {
        assert!(invalid(0).is_some());
        assert!(invalid(1).is_none());
        assert!(invalid(MAX_CARDINALITY_LIMIT).is_none());
        assert!(invalid(MAX_CARDINALITY_LIMIT + 1).is_some());
    }
}
