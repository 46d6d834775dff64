//! Parent-based decisions with `parentbased_always_off` and flowmeter's own subscriber: a call
//! follows a remote parent extracted from `traceparent`; a call whose trace is not sampled
//! builds no span, yet code inside it sees that trace (an injected `traceparent` carries its
//! id with the sampled flag off, other libraries' spans are unsampled children of it, never
//! new roots); and its metrics are recorded all the same.

mod common;

use std::sync::{LazyLock, Mutex};

use common::traces::{Injected, inject_current, remote_parent, spans_named};
use flowmeter::telemetry::Sampler;
use flowmeter::{Telemetry, instrumented};
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::InMemorySpanExporter;

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> =
    LazyLock::new(|| common::install_sampled(&EXPORTER, Sampler::ParentBasedAlwaysOff));
/// Tests that count a call site's executions take turns (the counts are process-wide).
static SERIAL: Mutex<()> = Mutex::new(());

const TRACE: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;
const PARENT: u64 = 0x00f067aa0ba902b7;

/// What a call saw from inside: the `traceparent` it would send, whether its own span was the
/// current `tracing` span, and what another library's span inside it saw.
#[derive(Debug)]
struct Seen {
    injected: Option<Injected>,
    own_span_current: bool,
    inner: Option<Injected>,
}

#[instrumented]
fn handler() -> Seen {
    let own_span_current =
        tracing::Span::current().metadata().is_some_and(|meta| meta.name() == "handler");
    Seen { injected: inject_current(), own_span_current, inner: library_call() }
}

/// Another library's function, instrumented with `tracing`.
#[tracing::instrument]
fn library_call() -> Option<Injected> {
    inject_current()
}

#[instrumented]
fn outer_root() -> (Option<Injected>, Seen) {
    (inject_current(), handler())
}

#[instrumented]
async fn async_root() -> (Option<Injected>, Option<Injected>) {
    let before = inject_current();
    tokio::task::yield_now().await;
    (before, library_call())
}

fn executions(name: &str) -> f64 {
    let exposition = common::parse(&TELEMETRY.render());
    exposition.sum("flowmeter_primitive_executions_total", &[("primitive_name", name)])
}

#[test]
fn a_remote_sampled_parent_makes_the_call_sampled() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    let before = spans_named(&EXPORTER, &["handler", "library_call"]).len();
    let seen = {
        let _parent = remote_parent(TRACE, PARENT, true).attach();
        handler()
    };
    assert!(seen.own_span_current, "a sampled call runs in its span");
    let injected = seen.injected.expect("a traceparent");
    assert_eq!((injected.trace_id, injected.sampled), (TraceId::from(TRACE), true));
    assert_ne!(injected.span_id, SpanId::from(PARENT), "the call's own span is the parent now");

    let spans = spans_named(&EXPORTER, &["handler", "library_call"]);
    assert_eq!(spans.len(), before + 2, "{spans:#?}");
    let handler = spans.iter().rfind(|s| s.name == "handler").unwrap();
    assert_eq!(handler.span_context.trace_id(), TraceId::from(TRACE));
    assert_eq!(handler.parent_span_id, SpanId::from(PARENT));
    assert!(handler.parent_span_is_remote);
    assert_eq!(handler.span_context.span_id(), injected.span_id);
    let library = spans.iter().rfind(|s| s.name == "library_call").unwrap();
    assert_eq!(library.parent_span_id, handler.span_context.span_id());
}

#[test]
fn a_remote_unsampled_parent_makes_the_call_unsampled() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    let before = spans_named(&EXPORTER, &["handler", "library_call"]).len();
    let counted = executions("handler");
    let seen = {
        let _parent = remote_parent(TRACE, PARENT, false).attach();
        handler()
    };
    assert!(!seen.own_span_current, "no span was built");
    let expected =
        Injected { trace_id: TraceId::from(TRACE), span_id: SpanId::from(PARENT), sampled: false };
    assert_eq!(seen.injected, Some(expected), "the trace goes on, unsampled");
    let inner = seen.inner.expect("the library's span has a context");
    assert_eq!((inner.trace_id, inner.sampled), (TraceId::from(TRACE), false));
    assert_eq!(
        spans_named(&EXPORTER, &["handler", "library_call"]).len(),
        before,
        "nothing exported"
    );
    assert_eq!(executions("handler"), counted + 1.0, "counted all the same");
}

#[test]
fn an_unsampled_root_keeps_one_trace_for_everything_inside_it() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    let before = spans_named(&EXPORTER, &["outer_root", "handler", "library_call"]).len();
    let counted = (executions("outer_root"), executions("handler"));
    let (root, seen) = outer_root();
    let root = root.expect("an unsampled root still has a trace to propagate");
    assert!(!root.sampled);
    assert_ne!(root.trace_id, TraceId::INVALID);
    // The nested call and the library's span are in the same trace, unsampled: not new roots.
    assert!(!seen.own_span_current);
    assert_eq!(seen.injected, Some(root));
    let inner = seen.inner.expect("the library's span has a context");
    assert_eq!((inner.trace_id, inner.sampled), (root.trace_id, false));
    assert_eq!(
        spans_named(&EXPORTER, &["outer_root", "handler", "library_call"]).len(),
        before,
        "nothing exported"
    );
    assert_eq!(
        (executions("outer_root"), executions("handler")),
        (counted.0 + 1.0, counted.1 + 1.0)
    );
    // Outside the call, no trace is left behind, and the next root is another trace.
    assert_eq!(inject_current(), None);
    let (next, _) = outer_root();
    assert_ne!(next.unwrap().trace_id, root.trace_id);
}

#[test]
fn an_unsampled_async_root_keeps_its_trace_across_polls_and_threads() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let results = runtime.block_on(async {
        let calls: Vec<_> = (0..64).map(|_| tokio::spawn(async_root())).collect();
        let mut results = Vec::new();
        for call in calls {
            results.push(call.await.unwrap());
        }
        results
    });
    let mut traces = std::collections::HashSet::new();
    for (before, library) in results {
        let (before, library) = (before.unwrap(), library.unwrap());
        assert!(!before.sampled && !library.sampled);
        assert_eq!(library.trace_id, before.trace_id, "one trace across the await");
        traces.insert(before.trace_id);
    }
    assert_eq!(traces.len(), 64, "each call its own trace");
    assert!(spans_named(&EXPORTER, &["async_root"]).is_empty());
}

#[test]
fn an_unsampled_workflow_run_builds_no_span_but_counts_every_step() {
    use flowmeter::primitives::{Context, Workflow, step};
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    let probe = |x: u64, _ctx: Context| async move {
        tokio::task::yield_now().await;
        Ok::<_, std::io::Error>((x + 1, inject_current()))
    };
    let workflow = Workflow::new("unsampled_flow", step("unsampled_step", probe));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let counted = executions("unsampled_step");
    let (value, injected) = runtime.block_on(workflow.run(1)).unwrap();
    assert_eq!(value, 2);
    let injected = injected.expect("the run's unsampled trace reaches the step");
    assert!(!injected.sampled);
    assert!(spans_named(&EXPORTER, &["unsampled_flow", "unsampled_step"]).is_empty());
    assert_eq!(executions("unsampled_step"), counted + 1.0);
    let labels = [("workflow_name", "unsampled_flow"), ("status", "success")];
    let exposition = common::parse(&TELEMETRY.render());
    assert_eq!(exposition.value("flowmeter_workflow_executions_total", &labels), 1.0);

    // The same workflow under a sampled remote parent: the run and its step, one trace.
    let sampled = {
        let _parent = remote_parent(TRACE, PARENT, true).attach();
        runtime.block_on(workflow.run(1)).unwrap().1.expect("a traceparent")
    };
    assert!(sampled.sampled);
    let spans = spans_named(&EXPORTER, &["unsampled_flow", "unsampled_step"]);
    assert_eq!(spans.len(), 2, "{spans:#?}");
    assert!(spans.iter().all(|s| s.span_context.trace_id() == TraceId::from(TRACE)));
}

#[derive(Debug, flowmeter::ErrorType)]
enum Refusal {
    Busy,
}

#[instrumented]
fn refuses() -> Result<(), Refusal> {
    Err(Refusal::Busy)
}

#[test]
fn an_error_is_recorded_the_same_in_a_sampled_and_an_unsampled_trace() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    let errors = || {
        let exposition = common::parse(&TELEMETRY.render());
        let matchers = [("primitive_name", "refuses"), ("status", "error"), ("error_type", "Busy")];
        (
            exposition.value("flowmeter_primitive_executions_total", &matchers),
            exposition.value("flowmeter_execution_duration_seconds_count", &matchers),
        )
    };
    for (sampled, expected) in [(true, 1.0), (false, 2.0)] {
        let _parent = remote_parent(TRACE, PARENT, sampled).attach();
        assert!(refuses().is_err());
        assert_eq!(errors(), (expected, expected), "sampled parent: {sampled}");
    }
    let spans = spans_named(&EXPORTER, &["refuses"]);
    assert_eq!(spans.len(), 1, "only the sampled call is exported: {spans:#?}");
}
