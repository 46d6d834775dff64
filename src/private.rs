//! What `#[instrumented]` expansions call. Not public API: no stability promise.

pub use linkme;
pub use tracing;

pub use crate::metrics::Status;
pub use crate::metrics::callsite::{CALLSITES, Callsite, CallsiteMeta};
pub use crate::metrics::outcome::{
    Classified, ClassifyAny, ClassifyResult, Outcome, classify_error_if, classify_ok_if,
};
pub use crate::metrics::recording::Recording;

/// One execution of an instrumented call site: its metrics recording and its span.
///
/// Dropped without [`Execution::finish`], it marks the span `panic` (while unwinding) or
/// `cancelled` (a future dropped mid-flight); the [`Recording`] it owns does the same for the
/// metrics.
#[derive(Debug)]
pub struct Execution {
    recording: Option<Recording>,
    span: tracing::Span,
    finished: bool,
}

impl Execution {
    /// Starts an execution of `callsite`. `make_span` runs only when telemetry is on.
    #[inline]
    pub fn start(callsite: &'static Callsite, make_span: impl FnOnce() -> tracing::Span) -> Self {
        let recording = callsite.start();
        let span = if recording.is_some() { make_span() } else { tracing::Span::none() };
        Execution { recording, span, finished: false }
    }

    /// Starts an execution without a span (`span = false`).
    #[inline]
    pub fn start_without_span(callsite: &'static Callsite) -> Self {
        Execution { recording: callsite.start(), span: tracing::Span::none(), finished: false }
    }

    /// The execution's span (disabled when telemetry is off or `span = false`).
    #[inline]
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Ends the execution with the classification of its returned value.
    #[inline]
    pub fn finish(mut self, outcome: Classified) {
        self.finished = true;
        if let Some(recording) = self.recording.take() {
            recording.finish(outcome.status);
        }
        if !self.span.is_disabled() {
            record_status(&self.span, outcome.status, outcome.error_type);
        }
    }
}

impl Drop for Execution {
    fn drop(&mut self) {
        if !self.finished && !self.span.is_disabled() {
            let status = if std::thread::panicking() { Status::Panic } else { Status::Cancelled };
            record_status(&self.span, status, None);
        }
    }
}

/// Records the outcome on a span: `status`, and for failures `error.type` and the
/// OpenTelemetry error status (tracing-opentelemetry reads `otel.status_code`).
fn record_status(span: &tracing::Span, status: Status, error_type: Option<&'static str>) {
    span.record("status", status.as_str());
    match status {
        Status::Success => {}
        Status::Error => {
            span.record("otel.status_code", "ERROR");
            if let Some(error_type) = error_type {
                span.record("error.type", error_type);
            }
        }
        Status::Panic | Status::Cancelled => {
            span.record("otel.status_code", "ERROR");
            span.record("error.type", status.as_str());
        }
    }
}

/// Records an error's `Display` on the span's `error` field (the `err` option).
#[inline]
pub fn record_error<T, E: std::fmt::Display>(span: &tracing::Span, value: &Result<T, E>) {
    if let Err(e) = value {
        span.record("error", tracing::field::display(e));
    }
}

/// Runs a sync body. Passing the closure to an `FnOnce` parameter fixes its kind, so a body
/// may return a borrow of a captured `&mut` argument (a bare `(move || body)()` would be
/// inferred `FnMut` and rejected). Used for `span = false`; otherwise `Span::in_scope`, which
/// takes an `FnOnce` too, runs the body.
#[inline(always)]
pub fn run<R>(body: impl FnOnce() -> R) -> R {
    body()
}
