//! W3C trace context for the sampling tests: a remote parent from a `traceparent` header, the
//! header a call would send from inside, and the spans an in-memory exporter received.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

/// The context a server extracts from `traceparent: 00-{trace_id}-{span_id}-{flags}`.
pub fn remote_parent(trace_id: u128, span_id: u64, sampled: bool) -> opentelemetry::Context {
    let flags = if sampled { "01" } else { "00" };
    let header = format!("00-{trace_id:032x}-{span_id:016x}-{flags}");
    let carrier = HashMap::from([("traceparent".to_owned(), header)]);
    TraceContextPropagator::new().extract(&carrier)
}

/// A `traceparent` as injected from the current context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Injected {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub sampled: bool,
}

/// What a call made from here would send: the `traceparent` injected from the current
/// OpenTelemetry context, parsed; `None` when nothing would be sent (no valid context).
pub fn inject_current() -> Option<Injected> {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&opentelemetry::Context::current(), &mut carrier);
    let header: &String = carrier.get("traceparent")?;
    let parts: Vec<&str> = header.split('-').collect();
    assert_eq!(parts.len(), 4, "traceparent {header}");
    assert_eq!(parts[0], "00", "version of {header}");
    let flags = u8::from_str_radix(parts[3], 16).expect("hex flags");
    Some(Injected {
        trace_id: TraceId::from_hex(parts[1]).expect("trace id"),
        span_id: SpanId::from_hex(parts[2]).expect("span id"),
        sampled: flags & 1 == 1,
    })
}

/// The finished spans named one of `names`.
pub fn spans_named(exporter: &InMemorySpanExporter, names: &[&str]) -> Vec<SpanData> {
    let spans = exporter.get_finished_spans().expect("finished spans");
    spans.into_iter().filter(|s| names.contains(&s.name.as_ref())).collect()
}

/// A `tracing` layer that notes the name of every span made, as another layer of a
/// program's subscriber (a log formatter, say) would see them.
#[derive(Debug, Clone, Default)]
pub struct SpanNames(std::sync::Arc<std::sync::Mutex<Vec<&'static str>>>);

impl SpanNames {
    /// How many spans named `name` were made.
    pub fn count(&self, name: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|n| **n == name).count()
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SpanNames {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.lock().unwrap().push(attrs.metadata().name());
    }
}

/// Installs `telemetry`'s layer and `names` as the program's own global subscriber.
pub fn compose_subscriber(telemetry: &flowmeter::Telemetry, names: &SpanNames) {
    use tracing_subscriber::layer::SubscriberExt as _;
    let subscriber =
        tracing_subscriber::registry().with(telemetry.tracing_layer()).with(names.clone());
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
}

#[flowmeter::instrumented]
fn composed_job() {}

/// A program composing flowmeter's layer and [`SpanNames`] into its own subscriber, with
/// `parentbased_always_off` (roots not sampled) and `skip_unsampled_spans` left to its
/// default (`None`) or set: three unsampled calls, then one under a sampled remote parent.
/// `unsampled_seen` is how many of the three the other layer must see. Every call is
/// counted; only the sampled one is exported.
pub fn composed_subscriber_scenario(skip: Option<bool>, unsampled_seen: usize) {
    use flowmeter::telemetry::Sampler;
    let exporter = InMemorySpanExporter::default();
    let mut builder = flowmeter::Telemetry::builder()
        .serve(false)
        .ignore_env()
        .install_subscriber(false)
        .sampler(Sampler::ParentBasedAlwaysOff)
        .with_span_exporter(exporter.clone());
    if let Some(skip) = skip {
        builder = builder.skip_unsampled_spans(skip);
    }
    let telemetry = builder.install().expect("install telemetry");
    let names = SpanNames::default();
    compose_subscriber(&telemetry, &names);

    for _ in 0..3 {
        composed_job();
    }
    assert_eq!(names.count("composed_job"), unsampled_seen, "unsampled calls seen");
    assert!(spans_named(&exporter, &["composed_job"]).is_empty(), "never exported");
    {
        let _parent =
            remote_parent(0x4bf92f3577b34da6a3ce929d0e0e4736, 0x00f067aa0ba902b7, true).attach();
        composed_job();
    }
    assert_eq!(names.count("composed_job"), unsampled_seen + 1, "a sampled call is seen");
    assert_eq!(spans_named(&exporter, &["composed_job"]).len(), 1, "and exported");
    let text = telemetry.render();
    let counted = r#"flowmeter_primitive_executions_total{primitive_name="composed_job",primitive_type="function",status="success"} 4"#;
    assert!(text.contains(counted), "every call counted:\n{text}");
}
