//! What `#[instrumented]` expansions call. Not public API: no stability promise.

pub use linkme;
pub use tracing;

pub use crate::Status;
pub use crate::execution::Execution;
pub use crate::in_span::{InSpan, Scope};
pub use crate::metrics::Goal;
pub use crate::metrics::callsite::{CALLSITES, Callsite, CallsiteMeta};
pub use crate::metrics::outcome::{
    Classified, ClassifyAny, ClassifyResult, ClassifyTyped, Outcome, classify_error_if, is_ok_if,
};
pub use crate::metrics::recording::Recording;

/// Records an error's `Display` on the span's `error` field (the `err` option), when the call
/// built a span.
#[inline]
pub fn record_error<T, E: std::fmt::Display>(span: Option<&tracing::Span>, value: &Result<T, E>) {
    if let (Err(e), Some(span)) = (value, span) {
        span.record("error", tracing::field::display(e));
    }
}

/// Ends a `span = false` call: its recording alone (`None` when telemetry is off), with the
/// classification of its returned value. Such a call has no execution around its recording:
/// there is no span to decide, enter or finish.
#[inline(always)]
pub fn finish_recording(recording: Option<Recording<'_>>, outcome: Classified) {
    if let Some(recording) = recording {
        recording.finish(outcome.status, outcome.error_type);
    }
}

/// Runs a sync body. Passing the closure to an `FnOnce` parameter fixes its kind, so a body
/// may return a borrow of a captured `&mut` argument (a bare `(move || body)()` would be
/// inferred `FnMut` and rejected). Used for `span = false`; otherwise `Execution::run_once`, which
/// takes an `FnOnce` too, runs the body.
#[inline(always)]
pub fn run<R>(body: impl FnOnce() -> R) -> R {
    body()
}
