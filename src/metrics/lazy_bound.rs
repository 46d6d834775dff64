//! The slot that binds an execution's handles once an enabled pipeline exists, and the one
//! binding of an execution (of an `#[instrumented]` call site or of a primitive).

use std::sync::{Arc, OnceLock};

use opentelemetry::KeyValue;

use super::bound::{Bound, register};
use super::catalog::{self, keys};
use super::exemplars::HistogramTarget;
use super::instruments::{EXECUTIONS, InstrumentFactory};
use super::recording::Recording;
use crate::pipeline::{self, Pipeline};

/// Bound handles created on first use, once an enabled pipeline is installed.
#[derive(Debug, Default)]
pub(crate) struct LazyBound {
    bound: OnceLock<Arc<Bound>>,
}

impl LazyBound {
    pub(crate) const fn new() -> Self {
        LazyBound { bound: OnceLock::new() }
    }

    /// Starts recording one execution; `None` when telemetry is off or not installed.
    #[inline]
    pub(crate) fn start(&self, bind: impl FnOnce(&Pipeline) -> Bound) -> Option<Recording<'_>> {
        let bound = match self.bound.get() {
            Some(bound) => bound,
            None => self.bind(bind)?,
        };
        Some(Recording::start(bound))
    }

    /// Binds now if an enabled pipeline is installed (so the series exist from then on).
    #[cold]
    #[inline(never)]
    pub(crate) fn bind(&self, bind: impl FnOnce(&Pipeline) -> Bound) -> Option<&Bound> {
        let pipeline = pipeline::get()?;
        if !pipeline.is_enabled() {
            return None;
        }
        let bound = self.bound.get_or_init(|| {
            let bound = Arc::new(bind(pipeline));
            register(&bound);
            bound
        });
        Some(bound)
    }
}

/// Binds the executions of one call site or primitive (the one binding path of both):
/// `primitive_name`, `primitive_type` and the static `labels`, with its own duration
/// boundaries when it declares `buckets`.
pub(crate) fn bind_execution(
    pipeline: &Pipeline,
    name: impl Into<opentelemetry::Value>,
    kind: &'static str,
    labels: &[(&'static str, &'static str)],
    buckets: Option<&[f64]>,
) -> Bound {
    let instruments = EXECUTIONS.of(pipeline);
    let own_duration = buckets.map(|buckets| {
        // A different boundary set needs its own instrument; the SDK caches instruments
        // per meter by name, so it gets a meter of its own (Pipeline::meter_for_buckets).
        InstrumentFactory {
            meter: &pipeline.meter_for_buckets(buckets),
            namespace: pipeline.namespace(),
        }
        .f64_histogram(&catalog::EXECUTION_DURATION, Some(buckets))
    });
    let mut attrs =
        vec![KeyValue::new(keys::PRIMITIVE_NAME, name), KeyValue::new(keys::PRIMITIVE_TYPE, kind)];
    attrs.extend(labels.iter().map(|(k, v)| KeyValue::new(*k, *v)));
    let duration = own_duration.as_ref().unwrap_or(&instruments.duration);
    let exemplars = HistogramTarget::of(pipeline, &catalog::EXECUTION_DURATION, buckets);
    Bound::with_error_types(
        &instruments.executions,
        duration,
        Some(&instruments.active),
        attrs,
        exemplars,
    )
}
