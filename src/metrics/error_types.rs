//! The `error_type` series of one attribute set: an errored execution whose error has a type
//! name is counted under `status="error", error_type="<name>"`, bound at that type's first
//! occurrence.
//!
//! Why not bound at startup like the statuses: the types a call site can fail with are not
//! known until they happen (a `Result<T, E>` knows `E`, not which of its variants will occur),
//! and a series per possible variant at rest would be paid by every call site. Why not through
//! the stripes: errors are the rare path, and a stripe holds a status byte, not a name; an
//! errored execution records straight into its type's bound handles (two atomic adds and the
//! histogram's lock, as a taken stripe does).
//!
//! Bounded by construction: names are `&'static str` (a type's name, an
//! [`ErrorType`](crate::ErrorType) variant's name, a primitive error's kind), and at most
//! [`MAX_ERROR_TYPES`] distinct names per attribute set are kept; the rest count under
//! [`OTHER`], with one warning.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundCounter, BoundHistogram, Counter, Histogram};

use super::catalog::keys;
use super::exemplars::{HistogramTarget, SeriesExemplars, SpanIds};

/// Distinct `error_type` values one call site or primitive records; more fold into [`OTHER`].
pub(crate) const MAX_ERROR_TYPES: usize = 32;

/// The `error_type` of errors past [`MAX_ERROR_TYPES`].
pub(crate) const OTHER: &str = "other";

/// The handles of errored executions of one attribute set, one pair per error type seen.
#[derive(Debug)]
pub(crate) struct ErrorTypes {
    executions: Counter<u64>,
    duration: Histogram<f64>,
    /// The set's attributes with `status="error"`; `error_type` is appended per type.
    attrs: Vec<KeyValue>,
    seen: RwLock<Vec<(&'static str, Handles)>>,
    warned: AtomicBool,
    /// Where sampled errors keep exemplars; `None` when exemplars are off.
    exemplars: Option<HistogramTarget>,
}

#[derive(Debug)]
struct Handles {
    count: BoundCounter<u64>,
    duration: BoundHistogram<f64>,
    /// The attributes of this type's series, for its exemplars.
    attrs: Vec<KeyValue>,
    exemplars: OnceLock<Arc<SeriesExemplars>>,
}

impl ErrorTypes {
    /// Error-type series for `attrs` (which already carry `status="error"`), keeping the
    /// exemplars of sampled errors in `exemplars` when given.
    pub(crate) fn new(
        executions: &Counter<u64>,
        duration: &Histogram<f64>,
        attrs: Vec<KeyValue>,
        exemplars: Option<HistogramTarget>,
    ) -> Self {
        ErrorTypes {
            executions: executions.clone(),
            duration: duration.clone(),
            attrs,
            seen: RwLock::new(Vec::new()),
            warned: AtomicBool::new(false),
            exemplars,
        }
    }

    /// Records one errored execution of type `error_type` lasting `seconds`, with the ids of
    /// its sampled span as the exemplar of its bucket when given.
    pub(crate) fn record(&self, error_type: &'static str, seconds: f64, ids: Option<SpanIds>) {
        let seen = self.seen.read().unwrap_or_else(|e| e.into_inner());
        if let Some(index) = position(&seen, error_type) {
            return self.record_into(&seen[index].1, seconds, ids);
        }
        drop(seen);
        // A new type (or one another thread bound meanwhile): bind it, or past the limit fold
        // it into `other`.
        let mut seen = self.seen.write().unwrap_or_else(|e| e.into_inner());
        let error_type = match position(&seen, error_type) {
            Some(_) => error_type,
            None if seen.len() < MAX_ERROR_TYPES => error_type,
            None => {
                self.warn_once(error_type);
                OTHER
            }
        };
        let index = position(&seen, error_type).unwrap_or_else(|| {
            seen.push((error_type, self.bind(error_type)));
            seen.len() - 1
        });
        self.record_into(&seen[index].1, seconds, ids);
    }

    fn record_into(&self, handles: &Handles, seconds: f64, ids: Option<SpanIds>) {
        handles.count.add(1);
        handles.duration.record(seconds);
        if let (Some(ids), Some(target)) = (ids, &self.exemplars) {
            handles.exemplars.get_or_init(|| target.series(&handles.attrs)).offer(seconds, ids);
        }
    }

    fn bind(&self, error_type: &'static str) -> Handles {
        let mut attrs = self.attrs.clone();
        attrs.push(KeyValue::new(keys::ERROR_TYPE, error_type));
        Handles {
            count: self.executions.bind(&attrs),
            duration: self.duration.bind(&attrs),
            attrs,
            exemplars: OnceLock::new(),
        }
    }

    #[cold]
    fn warn_once(&self, error_type: &str) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "flowmeter",
                error_type,
                limit = MAX_ERROR_TYPES,
                "an instrumented call site returned more distinct error types than the limit; \
                 the rest are counted as error_type=\"{OTHER}\""
            );
        }
    }
}

/// Where `error_type` is in `seen`: compared by pointer first (the same `&'static str` every
/// time from one site), then by content.
fn position(seen: &[(&'static str, Handles)], error_type: &str) -> Option<usize> {
    seen.iter().position(|(name, _)| std::ptr::eq(*name, error_type) || *name == error_type)
}

#[cfg(test)]
mod tests {
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::metrics::SdkMeterProvider;

    use super::*;

    #[test]
    fn types_past_the_limit_fold_into_other() {
        let meter = SdkMeterProvider::builder().build().meter("error_types_test");
        let types = ErrorTypes::new(
            &meter.u64_counter("executions").build(),
            &meter.f64_histogram("duration").build(),
            Vec::new(),
            None,
        );
        for i in 0..MAX_ERROR_TYPES + 8 {
            let name: &'static str = Box::leak(format!("E{i}").into_boxed_str());
            types.record(name, 0.1, None);
            types.record(name, 0.1, None);
        }
        let seen = types.seen.read().unwrap();
        assert_eq!(seen.len(), MAX_ERROR_TYPES + 1);
        assert_eq!(seen.last().map(|(name, _)| *name), Some(OTHER));
        assert_eq!(position(&seen, "E0"), Some(0), "found by content too");
        assert!(types.warned.load(Ordering::Relaxed));
    }
}
