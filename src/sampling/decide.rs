//! [`SpanPolicy::decide`]: whether a call builds its span.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{
    Link, SpanContext, SpanKind, TraceContextExt as _, TraceFlags, TraceId,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};

use super::ids;

/// What a call does about its span.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Build the span: the call will be recorded, or spans are built whatever the sampler
    /// says.
    Span,
    /// No span: the call's trace is not sampled, and the current context (its unsampled
    /// parent, or a context with telemetry suppressed) is already the one that spans made
    /// inside the call must have.
    Skip,
    /// No span: the call starts a trace that is not sampled. It runs in this context, which
    /// carries the new trace's id with the sampled flag off.
    SkipRoot(Context),
}

/// The sampler that decides every span, shared with the tracer provider, and whether a call
/// that will not be recorded skips its `tracing` span.
#[derive(Debug)]
pub(crate) struct SpanPolicy {
    sampler: SharedSampler,
    skip_unsampled: AtomicBool,
}

impl SpanPolicy {
    /// A policy deciding with `sampler`; spans are built for every call until
    /// [`set_skip_unsampled`](Self::set_skip_unsampled).
    pub(crate) fn new(sampler: Box<dyn ShouldSample>) -> Self {
        SpanPolicy {
            sampler: SharedSampler(Arc::from(sampler)),
            skip_unsampled: AtomicBool::new(false),
        }
    }

    /// The same sampler, for the tracer provider.
    pub(crate) fn sdk_sampler(&self) -> Box<dyn ShouldSample> {
        Box::new(self.sampler.clone())
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
    /// its span.
    #[inline]
    pub(crate) fn decide(&self, name: &str) -> Decision {
        if !self.skips_unsampled() {
            return Decision::Span;
        }
        Context::map_current(|cx| self.decide_in(cx, name))
    }

    fn decide_in(&self, cx: &Context, name: &str) -> Decision {
        if cx.is_telemetry_suppressed() {
            // The SDK would make an empty span: nothing to build.
            return Decision::Skip;
        }
        let parent = cx.span();
        let parent = parent.span_context();
        if parent.is_valid() {
            // The SDK passes the same context and the parent's trace id.
            return match self.ask(cx, parent.trace_id(), name).decision {
                SamplingDecision::Drop => Decision::Skip,
                SamplingDecision::RecordOnly | SamplingDecision::RecordAndSample => Decision::Span,
            };
        }
        // A root: decided on the trace id its span would get.
        let trace_id = ids::peek_root_trace_id();
        let result = self.ask(cx, trace_id, name);
        match result.decision {
            SamplingDecision::Drop => {
                ids::take_root_trace_id();
                let unsampled = SpanContext::new(
                    trace_id,
                    ids::new_span_id(),
                    TraceFlags::default(),
                    false,
                    result.trace_state,
                );
                Decision::SkipRoot(cx.with_remote_span_context(unsampled))
            }
            SamplingDecision::RecordOnly | SamplingDecision::RecordAndSample => Decision::Span,
        }
    }

    /// Asks the sampler as the SDK will when the span starts, without the attributes (which
    /// do not exist yet; OpenTelemetry's samplers do not read them).
    fn ask(&self, cx: &Context, trace_id: TraceId, name: &str) -> SamplingResult {
        self.sampler.should_sample(Some(cx), trace_id, name, &SpanKind::Internal, &[], &[])
    }
}

/// OpenTelemetry's default: parent-based always-on, every span built.
impl Default for SpanPolicy {
    fn default() -> Self {
        SpanPolicy::new(Box::new(super::Sampler::default().to_sdk()))
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
