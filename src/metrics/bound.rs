//! Bound execution instruments: one counter and one histogram handle per status (plus an
//! optional in-flight gauge handle) for a fixed attribute set (bound lazily by
//! [`super::lazy_bound`]).
//!
//! The series budget of one attribute set at rest (README, "Metrics"): the counter of every
//! status (4 series, so rates and error ratios are never empty), the duration histogram of
//! `success` (the boundaries, `+Inf`, `_sum`, `_count`) and the in-flight gauge: 23 series
//! with the default 15 boundaries. The duration series of `error`, `panic` and `cancelled`
//! are bound at their status's first execution: at rest they would only be zeros (18 series
//! each) that no query needs, since a latency quantile over no observations has no value
//! anyway.
//!
//! Static call sites (`#[instrumented]`) and runtime-named primitives and workflows share
//! this: whatever the name's origin, a recorded execution is a few atomic adds on a stripe of
//! the calling thread's own ([`super::stripes`]), handed to the SDK's handles in batches.
//! Every bound set is listed in [`LIVE`], so a collection can flush them all first
//! ([`flush_all`]).

use std::sync::{Arc, Mutex, OnceLock, Weak};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    BoundCounter, BoundHistogram, BoundUpDownCounter, Counter, Histogram, UpDownCounter,
};

use super::catalog::keys;
use super::error_types::ErrorTypes;
use super::exemplars::{HistogramTarget, SeriesExemplars, SpanIds};
use super::status::Status;
use super::stripes::{Pending, Stripes};
use super::weak_list::push_pruned;

/// The handles of one attribute set, bound for every status, and the stripes its executions
/// wait in.
#[derive(Debug)]
pub(crate) struct Bound {
    by_status: [StatusHandles; 4],
    /// The duration instrument and the set's attributes, to bind a status's duration series
    /// at its first execution.
    duration: Histogram<f64>,
    attrs: Vec<KeyValue>,
    active: Option<BoundUpDownCounter<i64>>,
    stripes: Stripes,
    /// `status="error"` by `error_type`, for the sets that label errors with their type.
    error_types: Option<ErrorTypes>,
    /// The duration histogram the sampled executions keep exemplars for; `None` when
    /// exemplars are off.
    exemplars: Option<HistogramTarget>,
}

#[derive(Debug)]
struct StatusHandles {
    count: BoundCounter<u64>,
    /// Bound with the counter for `success`, at the first execution for the other statuses.
    duration: OnceLock<BoundHistogram<f64>>,
    /// The duration series' exemplars, from its first sampled execution.
    exemplars: OnceLock<Arc<SeriesExemplars>>,
}

impl Bound {
    /// Binds `executions` to `attrs` + `status` for each status, `duration` for `success`
    /// (the other statuses' duration series at their first execution), and `active` (when
    /// given) to `attrs`. Errors are counted under `status="error"` alone; see
    /// [`Bound::with_error_types`]. With `exemplars`, sampled executions keep their span's
    /// ids as exemplars of the `duration` series ([`Bound::exit_traced`]).
    pub(crate) fn new(
        executions: &Counter<u64>,
        duration: &Histogram<f64>,
        active: Option<&UpDownCounter<i64>>,
        attrs: Vec<KeyValue>,
        exemplars: Option<HistogramTarget>,
    ) -> Self {
        let by_status = Status::ALL.map(|status| StatusHandles {
            count: executions.bind(&with_status(&attrs, status)),
            duration: match status {
                Status::Success => OnceLock::from(duration.bind(&with_status(&attrs, status))),
                _ => OnceLock::new(),
            },
            exemplars: OnceLock::new(),
        });
        Bound {
            by_status,
            duration: duration.clone(),
            active: active.map(|a| a.bind(&attrs)),
            attrs,
            stripes: Stripes::new(),
            error_types: None,
            exemplars,
        }
    }

    /// Like [`Bound::new`], and an errored execution whose error has a type name is counted
    /// with `error_type="<name>"` too (the executions of call sites and primitives; DESIGN,
    /// "The metric catalog"). The `status="error"` series without `error_type` stays, at 0
    /// unless an error comes without a type, so error rates and ratios are never empty.
    pub(crate) fn with_error_types(
        executions: &Counter<u64>,
        duration: &Histogram<f64>,
        active: Option<&UpDownCounter<i64>>,
        attrs: Vec<KeyValue>,
        exemplars: Option<HistogramTarget>,
    ) -> Self {
        let errors = with_status(&attrs, Status::Error);
        let types = ErrorTypes::new(executions, duration, errors, exemplars.clone());
        let mut bound = Bound::new(executions, duration, active, attrs, exemplars);
        bound.error_types = Some(types);
        bound
    }

    #[inline]
    pub(crate) fn enter(&self) {
        if self.active.is_some() {
            self.stripes.start();
        }
    }

    #[inline]
    pub(crate) fn exit(&self, status: Status, seconds: f64) {
        match self.stripes.finish(status, seconds) {
            Ok(None) => {}
            Ok(Some(mut full)) => self.hand_over(&mut full),
            Err(()) => self.record(status, seconds),
        }
    }

    /// Ends an errored execution whose error has a type: under its `error_type`, straight
    /// into the SDK, where the set labels errors by type; else as any other error. With `ids`
    /// (its sampled span's), they become the exemplar of its duration bucket.
    #[cold]
    pub(crate) fn exit_error(&self, error_type: &'static str, seconds: f64, ids: Option<SpanIds>) {
        match &self.error_types {
            Some(error_types) => {
                self.stripes.end_unbuffered();
                error_types.record(error_type, seconds, ids);
            }
            None => self.exit_with(Status::Error, seconds, ids),
        }
    }

    /// Whether sampled executions keep exemplars (see [`Bound::exit_traced`]).
    #[inline]
    pub(crate) fn keeps_exemplars(&self) -> bool {
        self.exemplars.is_some()
    }

    /// Ends an execution as [`exit`](Self::exit) or [`exit_error`](Self::exit_error) do, and
    /// keeps `ids`, its sampled span's, as the exemplar of the duration bucket it fell in.
    /// The observation is recorded first, so an exemplar a scrape sees has its observation
    /// counted in that scrape ([`super::exemplars::ExemplarIndex`]).
    #[inline(never)]
    pub(crate) fn exit_traced(
        &self,
        status: Status,
        error_type: Option<&'static str>,
        seconds: f64,
        ids: SpanIds,
    ) {
        match (status, error_type) {
            (Status::Error, Some(error_type)) => self.exit_error(error_type, seconds, Some(ids)),
            _ => self.exit_with(status, seconds, Some(ids)),
        }
    }

    /// [`exit`](Self::exit), then `ids` as the exemplar of the status's duration series.
    fn exit_with(&self, status: Status, seconds: f64, ids: Option<SpanIds>) {
        self.exit(status, seconds);
        if let (Some(ids), Some(target)) = (ids, &self.exemplars) {
            self.by_status[status.index()]
                .exemplars
                .get_or_init(|| target.series(&with_status(&self.attrs, status)))
                .offer(seconds, ids);
        }
    }

    /// Records one execution straight into the SDK (its stripe was taken; the stripe
    /// counted its end for the in-flight gauge).
    #[cold]
    #[inline(never)]
    fn record(&self, status: Status, seconds: f64) {
        self.by_status[status.index()].count.add(1);
        self.duration_of(status.index()).record(seconds);
    }

    /// The duration handle of the status at `index`, bound now if this is its first
    /// execution.
    #[inline]
    fn duration_of(&self, index: usize) -> &BoundHistogram<f64> {
        self.by_status[index]
            .duration
            .get_or_init(|| self.duration.bind(&with_status(&self.attrs, Status::ALL[index])))
    }

    /// Hands a stripe's buffered executions to the SDK's counters and histograms.
    #[inline(never)]
    fn hand_over(&self, pending: &mut Pending) {
        let mut counts = [0_u64; Status::ALL.len()];
        for (status, seconds) in pending.take() {
            counts[status] += 1;
            self.duration_of(status).record(seconds);
        }
        for (handles, count) in self.by_status.iter().zip(counts) {
            if count > 0 {
                handles.count.add(count);
            }
        }
    }

    /// Hands every stripe's executions to the SDK, and the in-flight change to its gauge.
    fn flush(&self) {
        let in_flight = self.stripes.drain(|pending| self.hand_over(pending));
        if let Some(active) = self.active.as_ref().filter(|_| in_flight != 0) {
            active.add(in_flight);
        }
    }
}

impl Drop for Bound {
    /// A set rebound under another name (`Observed::rename`) loses nothing it counted.
    fn drop(&mut self) {
        self.flush();
    }
}

/// `attrs` and `status`.
fn with_status(attrs: &[KeyValue], status: Status) -> Vec<KeyValue> {
    let mut with_status = attrs.to_vec();
    with_status.push(KeyValue::new(keys::STATUS, status.as_str()));
    with_status
}

/// Every bound set alive, for [`flush_all`].
static LIVE: Mutex<Vec<Weak<Bound>>> = Mutex::new(Vec::new());

/// Hands every stripe of every bound set to the SDK. Runs first in every collection (a
/// callback of the pipeline's meter: the SDK runs callbacks before it reads aggregations),
/// so a scrape or an OTLP export sees every execution that finished before it began.
///
/// The list stays locked throughout, so two collections (the Prometheus bridge and an OTLP
/// reader) drain one after the other, and each sees a consistent in-flight count.
pub(crate) fn flush_all() {
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    live.retain(|bound| bound.strong_count() > 0);
    for bound in live.iter().filter_map(Weak::upgrade) {
        bound.flush();
    }
}

/// Lists `bound` in [`LIVE`]. The sets of dropped primitives are pruned here too (when the
/// list would grow), not only at collections: a program that renames or drops primitives and
/// never collects still keeps the list as long as its live sets.
pub(super) fn register(bound: &Arc<Bound>) {
    push_pruned(&mut LIVE.lock().unwrap_or_else(|e| e.into_inner()), bound);
}
