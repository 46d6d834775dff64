//! A program's own sampler (`custom_sampler`): flowmeter asks it before a call builds its span
//! and the SDK asks it again when the span starts; one that decides from the trace id alone, as
//! OpenTelemetry's do, gets exactly the traces it chooses, each whole.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::traces::spans_named;
use flowmeter::{Telemetry, instrumented};
use opentelemetry::trace::{Link, SpanKind, TraceContextExt as _, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, SamplingDecision, SamplingResult, ShouldSample,
};

/// Samples the traces whose id is odd, following the parent otherwise; counts its calls.
#[derive(Debug, Clone, Default)]
struct OddTraces(Arc<AtomicUsize>);

impl ShouldSample for OddTraces {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        trace_id: TraceId,
        _: &str,
        _: &SpanKind,
        _: &[KeyValue],
        _: &[Link],
    ) -> SamplingResult {
        self.0.fetch_add(1, Ordering::Relaxed);
        let parent = parent.map(|cx| cx.span().span_context().clone());
        let sampled = match parent.filter(|p| p.is_valid()) {
            Some(parent) => parent.is_sampled(),
            None => trace_id.to_bytes()[15] & 1 == 1,
        };
        let decision =
            if sampled { SamplingDecision::RecordAndSample } else { SamplingDecision::Drop };
        SamplingResult { decision, attributes: Vec::new(), trace_state: TraceState::default() }
    }
}

#[instrumented]
fn chosen_root() -> u8 {
    chosen_leaf()
}

#[instrumented]
fn chosen_leaf() -> u8 {
    1
}

#[test]
fn a_custom_sampler_gets_the_traces_it_chooses_each_whole() {
    let sampler = OddTraces::default();
    let exporter = InMemorySpanExporter::default();
    let telemetry = Telemetry::builder()
        .serve(false)
        .ignore_env()
        .custom_sampler(sampler.clone())
        .with_span_exporter(exporter.clone())
        .install()
        .expect("install telemetry");
    const ROOTS: usize = 2000;
    for _ in 0..ROOTS {
        chosen_root();
    }
    let spans = spans_named(&exporter, &["chosen_root", "chosen_leaf"]);
    let roots: Vec<_> = spans.iter().filter(|s| s.name == "chosen_root").collect();
    // Every recorded trace has an odd id: the SDK's asking agreed with flowmeter's.
    assert!(roots.iter().all(|r| r.span_context.trace_id().to_bytes()[15] & 1 == 1));
    assert!((800..=1200).contains(&roots.len()), "{} of {ROOTS} roots", roots.len());
    assert_eq!(spans.len(), 2 * roots.len(), "each recorded trace has its leaf");
    for leaf in spans.iter().filter(|s| s.name == "chosen_leaf") {
        assert!(roots.iter().any(|r| r.span_context.span_id() == leaf.parent_span_id));
    }
    // flowmeter asked for every call; the SDK again for every span it started.
    let asked = sampler.0.load(Ordering::Relaxed);
    assert_eq!(asked, 2 * ROOTS + spans.len(), "asked {asked} times");
    assert_eq!(telemetry.config().sampler, flowmeter::telemetry::Sampler::default());
}
