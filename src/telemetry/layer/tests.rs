use std::sync::{Arc, Mutex};

use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

use super::*;

#[test]
fn transport_crates_are_matched_by_crate_not_by_prefix() {
    assert!(is_export_path_target("h2::proto::connection"));
    assert!(is_export_path_target("h2"));
    assert!(is_export_path_target("tonic::transport::channel"));
    assert!(!is_export_path_target("h2o_service::handler"), "a crate that starts like one");
    assert!(!is_export_path_target("towering::app"));
    assert!(!is_export_path_target("checkout"));
    assert!(!is_export_path_target(""));
    assert!(!is_export_path_target(":h2"));
    assert!(is_export_path_target("hyper_util:"), "the crate ends at the first colon");
}

/// Names of the spans another layer of the same subscriber was told about.
#[derive(Clone, Default)]
struct SeenSpans(Arc<Mutex<Vec<&'static str>>>);

impl<S: Subscriber> Layer<S> for SeenSpans {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        self.0.lock().unwrap().push(attrs.metadata().name());
    }
}

/// What a test subscriber's spans reach: the exporter, and what the other layer saw. Holds the
/// provider, whose shutdown (when its last handle goes) would empty the exporter.
struct Reached {
    exporter: InMemorySpanExporter,
    seen: SeenSpans,
    _provider: SdkTracerProvider,
}

/// A subscriber with flowmeter's layer (told who else reads it) and a [`SeenSpans`] layer.
fn subscriber(readers: Readers) -> (impl Subscriber + Send + Sync, Reached) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    let seen = SeenSpans::default();
    let subscriber =
        tracing_subscriber::registry().with(tracing_layer(&provider, readers)).with(seen.clone());
    (subscriber, Reached { exporter, seen, _provider: provider })
}

fn exported(exporter: &InMemorySpanExporter) -> Vec<SpanData> {
    exporter.get_finished_spans().expect("finished spans")
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no span {name}"))
}

/// A program's own subscriber: flowmeter's layer next to another layer. The export-path spans
/// stay visible to the other layer and out of OpenTelemetry; the program's spans nest around
/// them as if they were not there, and `OpenTelemetrySpanExt` reaches tracing-opentelemetry
/// through the wrapper.
#[test]
fn composed_subscriber_leaves_out_export_path_spans_and_events_only() {
    let (subscriber, reached) = subscriber(Readers::Shared);

    let context = tracing::subscriber::with_default(subscriber, || {
        let handler = tracing::info_span!("handler");
        let _in_handler = handler.enter();
        tracing::info!(target: "h2::codec", "frame written");
        tracing::info!("handler event");
        let transport = tracing::trace_span!(target: "h2::proto", "h2_stream");
        let _in_transport = transport.enter();
        tracing::info_span!("inner_work").in_scope(|| {});
        handler.context()
    });

    let spans = exported(&reached.exporter);
    let mut names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(names, ["handler", "inner_work"], "the transport span is not exported");
    assert_eq!(*reached.seen.0.lock().unwrap(), ["handler", "h2_stream", "inner_work"]);

    let handler = named(&spans, "handler");
    let inner = named(&spans, "inner_work");
    assert_eq!(inner.parent_span_id, handler.span_context.span_id(), "nests past h2_stream");
    assert_eq!(inner.span_context.trace_id(), handler.span_context.trace_id());
    let events: Vec<&str> = handler.events.iter().map(|e| e.name.as_ref()).collect();
    assert_eq!(events, ["handler event"], "the transport's event is left out");
    assert_eq!(
        context.span().span_context().span_id(),
        handler.span_context.span_id(),
        "Span::context() through the wrapper names the exported span"
    );
}

/// The subscriber flowmeter installs itself: the layer alone turns the export-path call sites
/// off outright, so nothing is made for them. (The counting layer stands in for the registry's
/// own work, which the disabled call site skips too.)
#[test]
fn layer_alone_disables_export_path_call_sites() {
    let (subscriber, reached) = subscriber(Readers::LayerAlone);

    tracing::subscriber::with_default(subscriber, || {
        tracing::info_span!("program").in_scope(|| {
            let transport = tracing::trace_span!(target: "tonic::transport", "tonic_call");
            assert!(transport.is_disabled(), "an export-path span is never made");
        });
    });

    assert_eq!(*reached.seen.0.lock().unwrap(), ["program"]);
    let spans = exported(&reached.exporter);
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "program");
}
