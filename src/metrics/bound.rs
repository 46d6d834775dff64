//! Bound execution instruments: one counter and one histogram handle per status (plus an
//! optional in-flight gauge handle) for a fixed attribute set, and the slot that binds them
//! lazily once an enabled pipeline exists.
//!
//! Static call sites (`#[instrumented]`) and runtime-named primitives and workflows share
//! this: whatever the name's origin, a recorded execution is a few atomic adds.

use std::sync::OnceLock;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    BoundCounter, BoundHistogram, BoundUpDownCounter, Counter, Histogram, UpDownCounter,
};

use super::keys;
use super::recording::Recording;
use super::status::Status;
use crate::telemetry::pipeline::{self, Pipeline};

/// The handles of one attribute set, bound for every status.
#[derive(Debug)]
pub(crate) struct Bound {
    by_status: [StatusHandles; 4],
    active: Option<BoundUpDownCounter<i64>>,
}

#[derive(Debug)]
struct StatusHandles {
    count: BoundCounter<u64>,
    duration: BoundHistogram<f64>,
}

impl Bound {
    /// Binds `executions` and `duration` to `attrs` + `status` for each status, and `active`
    /// (when given) to `attrs`.
    pub(crate) fn new(
        executions: &Counter<u64>,
        duration: &Histogram<f64>,
        active: Option<&UpDownCounter<i64>>,
        attrs: Vec<KeyValue>,
    ) -> Self {
        let by_status = Status::ALL.map(|status| {
            let mut with_status = attrs.clone();
            with_status.push(KeyValue::new(keys::STATUS, status.as_str()));
            StatusHandles {
                count: executions.bind(&with_status),
                duration: duration.bind(&with_status),
            }
        });
        Bound { by_status, active: active.map(|a| a.bind(&attrs)) }
    }

    #[inline]
    pub(crate) fn enter(&self) {
        if let Some(active) = &self.active {
            active.add(1);
        }
    }

    #[inline]
    pub(crate) fn exit(&self, status: Status, seconds: f64) {
        let handles = &self.by_status[status.index()];
        handles.count.add(1);
        handles.duration.record(seconds);
        if let Some(active) = &self.active {
            active.add(-1);
        }
    }
}

/// Bound handles created on first use, once an enabled pipeline is installed.
#[derive(Debug, Default)]
pub(crate) struct LazyBound {
    bound: OnceLock<Bound>,
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
        Some(self.bound.get_or_init(|| bind(pipeline)))
    }
}
