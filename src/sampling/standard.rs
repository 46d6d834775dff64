//! The standard samplers' decisions, taken without a call through the SDK's sampler: they
//! decide from the parent's flags and the trace id alone, so flowmeter takes the same
//! decision directly (a few nanoseconds instead of two dynamic calls and a `SamplingResult`
//! per call). The tests check every decision against the SDK's own.

use opentelemetry::trace::{SpanContext, TraceId};

use super::Sampler;

/// Whether `sampler` samples a span whose parent is `parent` (valid, or `None` for a root)
/// in trace `trace_id`, as the SDK's sampler of the same name does.
#[inline]
pub(super) fn samples(sampler: Sampler, parent: Option<&SpanContext>, trace_id: TraceId) -> bool {
    match (sampler, parent) {
        (Sampler::AlwaysOn, _) => true,
        (Sampler::AlwaysOff, _) => false,
        (Sampler::TraceIdRatio(ratio), _) => ratio_samples(ratio, trace_id),
        // OpenTelemetry's parent-based defaults: a sampled parent, remote or local, is
        // followed, and so is an unsampled one.
        (
            Sampler::ParentBasedAlwaysOn
            | Sampler::ParentBasedAlwaysOff
            | Sampler::ParentBasedTraceIdRatio(_),
            Some(parent),
        ) => parent.is_sampled(),
        (Sampler::ParentBasedAlwaysOn, None) => true,
        (Sampler::ParentBasedAlwaysOff, None) => false,
        (Sampler::ParentBasedTraceIdRatio(ratio), None) => ratio_samples(ratio, trace_id),
    }
}

/// The SDK's `TraceIdRatioBased` rule: the low 63 bits of the trace id's last eight bytes,
/// below `ratio` × 2⁶³.
fn ratio_samples(ratio: f64, trace_id: TraceId) -> bool {
    if ratio >= 1.0 {
        return true;
    }
    let upper_bound = (ratio.max(0.0) * (1u64 << 63) as f64) as u64;
    let low = u64::from_be_bytes(trace_id.to_bytes()[8..].try_into().expect("eight bytes"));
    (low >> 1) < upper_bound
}

#[cfg(test)]
mod tests {
    use opentelemetry::Context;
    use opentelemetry::trace::{SpanId, SpanKind, TraceContextExt as _, TraceFlags, TraceState};
    use opentelemetry_sdk::trace::IdGenerator as _;
    use opentelemetry_sdk::trace::{RandomIdGenerator, SamplingDecision, ShouldSample};

    use super::*;

    fn sdk_samples(sampler: Sampler, parent: Option<&SpanContext>, trace_id: TraceId) -> bool {
        let cx = parent
            .map_or_else(Context::new, |p| Context::new().with_remote_span_context(p.clone()));
        let result = sampler.to_sdk().should_sample(
            Some(&cx),
            trace_id,
            "call",
            &SpanKind::Internal,
            &[],
            &[],
        );
        result.decision == SamplingDecision::RecordAndSample
    }

    #[test]
    fn every_decision_is_the_sdks() {
        let ids = RandomIdGenerator::default();
        let samplers = [
            Sampler::AlwaysOn,
            Sampler::AlwaysOff,
            Sampler::ParentBasedAlwaysOn,
            Sampler::ParentBasedAlwaysOff,
        ]
        .into_iter()
        .chain([0.0, 0.01, 0.25, 0.5, 0.999, 1.0].into_iter().flat_map(|ratio| {
            [Sampler::TraceIdRatio(ratio), Sampler::ParentBasedTraceIdRatio(ratio)]
        }));
        for sampler in samplers {
            for _ in 0..2000 {
                let trace_id = ids.new_trace_id();
                let mut parents = vec![None];
                for (flags, remote) in [
                    (TraceFlags::SAMPLED, true),
                    (TraceFlags::SAMPLED, false),
                    (TraceFlags::default(), true),
                    (TraceFlags::default(), false),
                ] {
                    let parent = SpanContext::new(
                        trace_id,
                        SpanId::from(5_u64),
                        flags,
                        remote,
                        TraceState::default(),
                    );
                    parents.push(Some(parent));
                }
                for parent in &parents {
                    assert_eq!(
                        samples(sampler, parent.as_ref(), trace_id),
                        sdk_samples(sampler, parent.as_ref(), trace_id),
                        "{sampler} with parent {parent:?}"
                    );
                }
            }
        }
    }
}
