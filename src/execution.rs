//! One execution: the metrics recording and the span of a call, finished together.

use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::Status;
use crate::in_span::Scope;
use crate::metrics::callsite::Callsite;
use crate::metrics::exemplars::SpanIds;
use crate::metrics::outcome::Classified;
use crate::metrics::recording::Recording;
use crate::sampling::Decision;

/// One execution of an instrumented call site or primitive: its metrics recording and its
/// span.
///
/// Dropped without [`Execution::finish`], it marks the span `panic` (while unwinding) or
/// `cancelled` (a future dropped mid-flight); the [`Recording`] it owns does the same for the
/// metrics.
#[derive(Debug)]
pub struct Execution<'a> {
    recording: Option<Recording<'a>>,
    scope: Scope,
    finished: bool,
}

impl<'a> Execution<'a> {
    /// An execution of the call `name` from a recording (`None` when telemetry is off) and
    /// its span, which `make_span` builds only when there is a recording and the call will
    /// be recorded in a trace (see `sampling`): a call in a trace that is not sampled runs
    /// without one, its metrics recorded all the same.
    #[inline]
    pub fn new(
        recording: Option<Recording<'a>>,
        name: &str,
        make_span: impl FnOnce() -> tracing::Span,
    ) -> Self {
        let mut execution = Execution { recording, scope: Scope::none(), finished: false };
        if execution.recording.is_some() {
            let scope = &mut execution.scope;
            // An unsampled root's context goes straight into the scope: moved through return
            // values it cost stalled loads (see `sampling::SpanPolicy::decide`).
            if decide(name, |context| *scope = Scope::context(context)) == Decision::Span {
                *scope = Scope::span(make_span());
            }
        }
        execution
    }

    /// Starts an execution of `callsite`. `make_span` runs only when telemetry is on and
    /// the call will be recorded in a trace.
    #[inline]
    pub fn start(
        callsite: &'static Callsite,
        make_span: impl FnOnce() -> tracing::Span,
    ) -> Execution<'static> {
        Execution::new(callsite.start(), callsite.meta().name, make_span)
    }

    /// The execution's span; `None` when telemetry is off or the call's trace is not
    /// sampled.
    #[inline]
    pub fn span(&self) -> Option<&tracing::Span> {
        self.scope.tracing_span()
    }

    /// Where the execution's body runs: its span, or the context of its unsampled trace.
    #[inline]
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Runs a sync body inside the execution's scope (once).
    #[inline]
    pub fn run_once<R>(&mut self, body: impl FnOnce() -> R) -> R {
        self.scope.run_once(body)
    }

    /// Ends the execution with the classification of its returned value.
    #[inline]
    pub fn finish(mut self, outcome: Classified) {
        self.finished = true;
        if let Some(recording) = self.recording.take() {
            match self.scope.tracing_span() {
                // Only a call with a span of its own can be in a sampled trace.
                Some(span) if recording.keeps_exemplars() => {
                    finish_traced(recording, span, outcome.status, outcome.error_type);
                }
                _ => recording.finish(outcome.status, outcome.error_type),
            }
        }
        if let Some(span) = self.span() {
            record_status(span, outcome.status, outcome.error_type);
        }
    }
}

/// Ends `recording` with the ids of `span` as its exemplar when the span is sampled (a
/// subscriber of the application's own may build spans for unsampled traces too, or have no
/// OpenTelemetry layer at all: then no exemplar).
#[inline(never)]
fn finish_traced(
    recording: Recording<'_>,
    span: &tracing::Span,
    status: Status,
    error_type: Option<&'static str>,
) {
    match sampled_ids(span) {
        Some(ids) => recording.finish_traced(status, error_type, ids),
        None => recording.finish(status, error_type),
    }
}

/// The trace and span ids of `span`, if its OpenTelemetry span is sampled.
fn sampled_ids(span: &tracing::Span) -> Option<SpanIds> {
    let context = span.context();
    let otel_span = context.span();
    let span_context = otel_span.span_context();
    (span_context.is_sampled() && span_context.is_valid())
        .then(|| SpanIds { trace_id: span_context.trace_id(), span_id: span_context.span_id() })
}

/// Whether the call `name` builds its span, by the installed pipeline's sampling policy (a
/// recording exists only once a pipeline is installed); an unsampled root's context is given
/// to `root`.
#[inline]
fn decide(name: &str, root: impl FnOnce(opentelemetry::Context)) -> Decision {
    crate::pipeline::get().map_or(Decision::Span, |pipeline| pipeline.spans().decide(name, root))
}

impl Drop for Execution<'_> {
    /// A call unwound by a panic or dropped mid-flight: its span gets the status, and, when
    /// sampled, its duration keeps the exemplar (a cancelled call is often a slow one).
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let Some(span) = self.scope.tracing_span() else { return };
        record_status(span, Status::unfinished(), None);
        if let Some(recording) = self.recording.take_if(|recording| recording.keeps_exemplars()) {
            finish_traced(recording, span, Status::unfinished(), None);
        }
    }
}

/// Records a failed outcome on a span: `status`, `error.type` and the OpenTelemetry error
/// status (tracing-opentelemetry reads `otel.status_code`).
///
/// A success records nothing: its OpenTelemetry status stays `Unset`, which is how
/// OpenTelemetry marks success, and recording a field costs a call through every layer
/// (about a tenth of a sampled span, BENCHMARKS.md). So a span without `status` succeeded.
pub(crate) fn record_status(
    span: &tracing::Span,
    status: Status,
    error_type: Option<&'static str>,
) {
    let error_type = match status {
        Status::Success => return,
        Status::Error => error_type,
        Status::Panic | Status::Cancelled => Some(status.as_str()),
    };
    span.record("status", status.as_str());
    span.record("otel.status_code", "ERROR");
    if let Some(error_type) = error_type {
        span.record("error.type", error_type);
    }
}
