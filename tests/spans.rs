//! Spans reach an in-memory OpenTelemetry exporter through tracing and tracing-opentelemetry:
//! one per call, with the documented attributes, error status on failure, and parent/child
//! nesting for nested calls, including a child future spawned on tokio.

mod common;

use std::sync::{LazyLock, Mutex};

use flowmeter::{Telemetry, instrumented};
use opentelemetry::trace::{SpanId, Status};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use tracing::Instrument as _;

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> =
    LazyLock::new(|| common::install_with_span_exporter(&EXPORTER));
/// The exporter is shared by the tests of this binary; each test filters by its own names,
/// and this lock keeps `reset` of one from racing another.
static SERIAL: Mutex<()> = Mutex::new(());

fn spans_named(prefix: &str) -> Vec<SpanData> {
    EXPORTER
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|s| s.name.starts_with(prefix))
        .collect()
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
}

#[derive(Debug)]
struct LookupError;

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no such key")
    }
}

#[instrumented(kind = "step", skip(input))]
fn one_ok(input: u32) -> u32 {
    input
}

#[instrumented(err)]
fn one_err() -> Result<(), LookupError> {
    Err(LookupError)
}

#[instrumented]
fn nested_inner() -> u8 {
    1
}

#[instrumented]
fn nested_outer() -> u8 {
    nested_inner() + nested_inner()
}

#[instrumented]
async fn spawned_child() -> u8 {
    tokio::task::yield_now().await;
    7
}

#[instrumented]
async fn spawning_parent() -> u8 {
    // Like any tracing span, the caller's context crosses a spawn with `in_current_span`.
    tokio::spawn(spawned_child().in_current_span()).await.unwrap()
}

#[instrumented(span = false)]
fn metrics_only() {}

#[test]
fn one_span_per_call_with_documented_attributes() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    for i in 0..3 {
        one_ok(i);
    }
    let spans = spans_named("one_ok");
    assert_eq!(spans.len(), 3);
    for span in &spans {
        assert_eq!(attr(span, "primitive.name").as_deref(), Some("one_ok"));
        assert_eq!(attr(span, "primitive.type").as_deref(), Some("step"));
        assert_eq!(attr(span, "status"), None, "a success records no status");
        assert_eq!(attr(span, "input"), None, "skipped argument must not be recorded");
        assert_eq!(span.status, Status::Unset);
    }
}

#[test]
fn errors_set_the_span_status_and_error_attributes() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    assert!(one_err().is_err());
    let spans = spans_named("one_err");
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert!(matches!(span.status, Status::Error { .. }), "{:?}", span.status);
    assert_eq!(attr(span, "status").as_deref(), Some("error"));
    assert_eq!(attr(span, "error.type").as_deref(), Some("LookupError"));
    assert_eq!(attr(span, "error").as_deref(), Some("no such key"));
}

#[test]
fn nested_calls_are_children_of_their_caller() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    nested_outer();
    let outer = spans_named("nested_outer");
    let inner = spans_named("nested_inner");
    assert_eq!((outer.len(), inner.len()), (1, 2));
    assert_eq!(outer[0].parent_span_id, SpanId::INVALID, "outer is a root");
    for child in &inner {
        assert_eq!(child.parent_span_id, outer[0].span_context.span_id());
        assert_eq!(child.span_context.trace_id(), outer[0].span_context.trace_id());
    }
}

#[test]
fn a_spawned_instrumented_future_is_a_child_of_its_spawner() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    assert_eq!(runtime.block_on(spawning_parent()), 7);
    let parent = spans_named("spawning_parent");
    let child = spans_named("spawned_child");
    assert_eq!((parent.len(), child.len()), (1, 1));
    assert_eq!(child[0].parent_span_id, parent[0].span_context.span_id());
    assert_eq!(child[0].span_context.trace_id(), parent[0].span_context.trace_id());
}

#[test]
fn span_false_records_no_span() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    metrics_only();
    assert!(spans_named("metrics_only").is_empty());
}
