use opentelemetry::trace::TraceState;

use super::super::Sampler;
use super::*;

/// Both kinds of policy for `sampler`: decided directly, and through the SDK's interface as
/// a custom sampler is.
fn policies(sampler: Sampler) -> [SpanPolicy; 2] {
    [SpanPolicy::standard(sampler), SpanPolicy::custom(Box::new(sampler.to_sdk()))].map(|p| {
        p.set_skip_unsampled(true);
        p
    })
}

fn parent(sampled: bool, remote: bool) -> Context {
    let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
    let span = SpanContext::new(
        TraceId::from(0x0af7651916cd43dd8448eb211c80319c),
        opentelemetry::trace::SpanId::from(0xb7ad6b7169203331),
        flags,
        remote,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(span)
}

#[test]
fn spans_are_built_for_every_call_until_skipping_is_on() {
    let policy = SpanPolicy::standard(Sampler::AlwaysOff);
    assert!(matches!(policy.decide("call", |_| ()), Decision::Span));
}

#[test]
fn a_parent_based_sampler_follows_local_and_remote_parents() {
    for policy in policies(Sampler::ParentBasedAlwaysOn) {
        for remote in [false, true] {
            let decision = policy.decide_in(&parent(true, remote), "call", |_| ());
            assert!(matches!(decision, Decision::Span), "sampled parent, remote: {remote}");
            let decision = policy.decide_in(&parent(false, remote), "call", |_| ());
            assert!(matches!(decision, Decision::Skip), "unsampled parent, remote: {remote}");
        }
    }
}

#[test]
fn an_unsampled_root_runs_in_an_unsampled_context_of_a_new_trace() {
    for policy in policies(Sampler::ParentBasedAlwaysOff) {
        let mut root = None;
        let decision = policy.decide_in(&Context::new(), "call", |cx| root = Some(cx));
        assert_eq!(decision, Decision::SkipRoot, "a root under parentbased_always_off");
        let cx = root.expect("the root's context");
        let span = cx.span();
        let context = span.span_context();
        assert!(context.is_valid());
        assert!(!context.is_sampled());
        assert!(!context.is_remote());
        // The id was taken: the next root gets another.
        assert_ne!(ids::peek_root_trace_id(), context.trace_id());
    }
}

#[test]
fn a_sampled_root_leaves_its_trace_id_for_its_span() {
    for policy in policies(Sampler::AlwaysOn) {
        let next = ids::peek_root_trace_id();
        assert!(matches!(policy.decide_in(&Context::new(), "call", |_| ()), Decision::Span));
        assert_eq!(ids::take_root_trace_id(), next);
    }
}

#[test]
fn a_root_is_decided_on_the_trace_id_its_span_will_get() {
    // Over many roots, each decision must equal the SDK's on the id the root's span takes.
    for policy in policies(Sampler::TraceIdRatio(0.5)) {
        let sdk = Sampler::TraceIdRatio(0.5).to_sdk();
        let (mut sampled, rounds) = (0, 2000);
        for _ in 0..rounds {
            let next = ids::peek_root_trace_id();
            let sdk_says =
                sdk.should_sample(None, next, "call", &SpanKind::Internal, &[], &[]).decision
                    == SamplingDecision::RecordAndSample;
            let mut root = None;
            match policy.decide_in(&Context::new(), "call", |cx| root = Some(cx)) {
                Decision::Span => {
                    assert!(sdk_says);
                    assert_eq!(ids::take_root_trace_id(), next);
                    sampled += 1;
                }
                Decision::SkipRoot => {
                    assert!(!sdk_says);
                    let cx = root.expect("the root's context");
                    assert_eq!(cx.span().span_context().trace_id(), next);
                }
                Decision::Skip => panic!("a root is never skipped without its own context"),
            }
        }
        assert!((800..1200).contains(&sampled), "{sampled} of {rounds}");
    }
}

#[test]
fn a_suppressed_context_builds_no_span() {
    for policy in policies(Sampler::AlwaysOn) {
        let decision =
            policy.decide_in(&Context::new().with_telemetry_suppressed(), "call", |_| ());
        assert!(matches!(decision, Decision::Skip));
    }
}
