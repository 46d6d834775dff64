//! [`SpanPolicy::decide`]: whether a call builds its span.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{
    Link, SpanContext, SpanKind, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};

use super::{Sampler, ids, standard};

/// What a call does about its span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Build the span: the call will be recorded, or spans are built whatever the sampler
    /// says.
    Span,
    /// No span: the call's trace is not sampled, and the current context (its unsampled
    /// parent, or a context with telemetry suppressed) is already the one that spans made
    /// inside the call must have.
    Skip,
    /// No span: the call starts a trace that is not sampled. It runs in the context
    /// [`SpanPolicy::decide`] gave, which carries the new trace's id with the sampled flag
    /// off.
    SkipRoot,
}

/// The sampler that decides every span, shared with the tracer provider, and whether a call
/// that will not be recorded skips its `tracing` span.
#[derive(Debug)]
pub(crate) struct SpanPolicy {
    sampler: Asked,
    skip_unsampled: AtomicBool,
}

/// The sampler flowmeter asks.
#[derive(Debug)]
enum Asked {
    /// A standard sampler: decided directly (`standard.rs`), the SDK given its own.
    Standard(Sampler),
    /// A program's own sampler, asked through the SDK's interface by both.
    Custom(SharedSampler),
}

impl SpanPolicy {
    /// A policy deciding with a standard `sampler`; spans are built for every call until
    /// [`set_skip_unsampled`](Self::set_skip_unsampled).
    pub(crate) fn standard(sampler: Sampler) -> Self {
        SpanPolicy { sampler: Asked::Standard(sampler), skip_unsampled: AtomicBool::new(false) }
    }

    /// A policy deciding with a program's own `sampler`.
    pub(crate) fn custom(sampler: Box<dyn ShouldSample>) -> Self {
        let sampler = Asked::Custom(SharedSampler(Arc::from(sampler)));
        SpanPolicy { sampler, skip_unsampled: AtomicBool::new(false) }
    }

    /// The sampler that decides the same, for the tracer provider.
    pub(crate) fn sdk_sampler(&self) -> Box<dyn ShouldSample> {
        match &self.sampler {
            Asked::Standard(sampler) => Box::new(sampler.to_sdk()),
            Asked::Custom(shared) => Box::new(shared.clone()),
        }
    }

    /// Whether calls that will not be recorded skip their span.
    pub(crate) fn set_skip_unsampled(&self, skip: bool) {
        self.skip_unsampled.store(skip, Ordering::Relaxed);
    }

    /// Whether calls that will not be recorded skip their span.
    pub(crate) fn skips_unsampled(&self) -> bool {
        self.skip_unsampled.load(Ordering::Relaxed)
    }

    /// Whether the call `name`, about to start in the current OpenTelemetry context, builds
    /// its span. For [`Decision::SkipRoot`] it gives `root` the context the call runs in,
    /// to store where it will stay: a context moved through the layers of return values
    /// costs more than the rest of the decision (its last bytes are copied in pieces the CPU
    /// cannot forward from store to load).
    #[inline]
    pub(crate) fn decide(&self, name: &str, root: impl FnOnce(Context)) -> Decision {
        if !self.skips_unsampled() {
            return Decision::Span;
        }
        Context::map_current(|cx| self.decide_in(cx, name, root))
    }

    fn decide_in(&self, cx: &Context, name: &str, root: impl FnOnce(Context)) -> Decision {
        if cx.is_telemetry_suppressed() {
            // The SDK would make an empty span: nothing to build.
            return Decision::Skip;
        }
        let parent = cx.span();
        let parent = parent.span_context();
        if parent.is_valid() {
            // The SDK passes the same context and the parent's trace id.
            let (sampled, _) = self.ask(cx, Some(parent), parent.trace_id(), name);
            return if sampled { Decision::Span } else { Decision::Skip };
        }
        // A root: decided on the trace id its span would get, which a sampled root leaves
        // for its span and an unsampled one takes for its context.
        ids::with_thread_ids(|ids| {
            let trace_id = ids.peek_root();
            let (sampled, trace_state) = self.ask(cx, None, trace_id, name);
            if sampled {
                return Decision::Span;
            }
            ids.forget_root();
            let flags = TraceFlags::default();
            let unsampled = SpanContext::new(trace_id, ids.span_id(), flags, false, trace_state);
            root(cx.with_remote_span_context(unsampled));
            Decision::SkipRoot
        })
    }

    /// Whether the sampler keeps a span (records it: `RecordOnly` builds the span too), as the
    /// SDK will ask when the span starts, and the trace state it gives; asked without the
    /// attributes, which do not exist yet (OpenTelemetry's samplers do not read them).
    /// Inlined: its pair returned through memory would stall the caller's load of it.
    #[inline(always)]
    fn ask(
        &self,
        cx: &Context,
        parent: Option<&SpanContext>,
        trace_id: TraceId,
        name: &str,
    ) -> (bool, TraceState) {
        match &self.sampler {
            Asked::Standard(sampler) => {
                let state = parent.map(|p| p.trace_state().clone()).unwrap_or_default();
                (standard::samples(*sampler, parent, trace_id), state)
            }
            Asked::Custom(custom) => {
                let kind = &SpanKind::Internal;
                let result = custom.should_sample(Some(cx), trace_id, name, kind, &[], &[]);
                (result.decision != SamplingDecision::Drop, result.trace_state)
            }
        }
    }
}

/// OpenTelemetry's default: parent-based always-on, every span built.
impl Default for SpanPolicy {
    fn default() -> Self {
        SpanPolicy::standard(Sampler::default())
    }
}

/// One sampler behind an `Arc`, so flowmeter and the tracer provider ask the same one.
#[derive(Debug, Clone)]
struct SharedSampler(Arc<dyn ShouldSample>);

impl ShouldSample for SharedSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        self.0.should_sample(parent_context, trace_id, name, span_kind, attributes, links)
    }
}

#[cfg(test)]
mod tests;
