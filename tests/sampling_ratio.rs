//! `parentbased_traceidratio` at 0.25, decided by flowmeter before any span exists: the share of
//! traces recorded is the configured one (a root decided twice, by flowmeter and again by the
//! SDK on another trace id, would record 1/16), every recorded trace is whole, and the metrics
//! are the same for every call whether its trace was recorded or not.

mod common;

use std::collections::HashMap;
use std::sync::LazyLock;

use common::traces::spans_named;
use flowmeter::telemetry::Sampler;
use flowmeter::{Telemetry, instrumented};
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .sampler(Sampler::ParentBasedTraceIdRatio(RATIO))
        .with_span_exporter(EXPORTER.clone())
        .install()
        .expect("install telemetry")
});

const RATIO: f64 = 0.25;
const ROOTS: u64 = 4000;

/// The 99.9% interval of the number of sampled roots out of `ROOTS` at `RATIO`: the mean
/// ± 3.29 standard deviations of the binomial (a correct sampler falls outside it once in a
/// thousand runs).
fn binomial_interval() -> std::ops::RangeInclusive<usize> {
    let n = ROOTS as f64;
    let (mean, sd) = (n * RATIO, (n * RATIO * (1.0 - RATIO)).sqrt());
    ((mean - 3.29 * sd).floor() as usize)..=((mean + 3.29 * sd).ceil() as usize)
}

#[instrumented]
fn sync_root(i: u64) -> u64 {
    sync_leaf_a(i) + sync_leaf_b(i) + sync_plain(i)
}

#[instrumented]
fn sync_leaf_a(i: u64) -> u64 {
    i
}

#[instrumented]
fn sync_leaf_b(i: u64) -> u64 {
    i + 1
}

/// Another library's span inside the call.
#[tracing::instrument]
fn sync_plain(i: u64) -> u64 {
    i + 2
}

#[instrumented]
async fn async_root(i: u64) -> u64 {
    let a = async_leaf(i).await;
    tokio::task::yield_now().await;
    a + async_plain(i).await
}

#[instrumented]
async fn async_leaf(i: u64) -> u64 {
    tokio::task::yield_now().await;
    i
}

#[tracing::instrument]
async fn async_plain(i: u64) -> u64 {
    tokio::task::yield_now().await;
    i
}

/// Checks that the recorded traces of `root` are within the interval and whole: each has the
/// root, with no parent, and exactly one span of each of `children`, each a child of the root.
/// No span of theirs is in any other trace.
fn assert_whole_traces_at_the_ratio(root: &str, children: &[&str]) {
    let mut names = vec![root];
    names.extend(children);
    let mut traces: HashMap<TraceId, Vec<SpanData>> = HashMap::new();
    for span in spans_named(&EXPORTER, &names) {
        traces.entry(span.span_context.trace_id()).or_default().push(span);
    }
    let interval = binomial_interval();
    assert!(
        interval.contains(&traces.len()),
        "{} of {ROOTS} traces of {root} recorded at ratio {RATIO}, expected {interval:?}",
        traces.len()
    );
    for (trace_id, spans) in &traces {
        let roots: Vec<&SpanData> = spans.iter().filter(|s| s.name == root).collect();
        assert_eq!(roots.len(), 1, "trace {trace_id} has one root: {spans:#?}");
        let root_span = roots[0];
        assert_eq!(root_span.parent_span_id, SpanId::INVALID, "{root} is a root");
        assert!(root_span.span_context.is_sampled());
        for child in children {
            let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == *child).collect();
            assert_eq!(found.len(), 1, "trace {trace_id} has one {child}: {spans:#?}");
            assert_eq!(found[0].parent_span_id, root_span.span_context.span_id());
        }
        assert_eq!(spans.len(), names.len(), "trace {trace_id}: {spans:#?}");
    }
}

/// Every call was counted and timed, sampled or not.
fn assert_every_call_measured(names: &[&str]) {
    let exposition = common::parse(&TELEMETRY.render());
    for name in names {
        let matchers = [("primitive_name", *name), ("status", "success")];
        let count = exposition.value("flowmeter_primitive_executions_total", &matchers);
        assert_eq!(count, ROOTS as f64, "{name} executions");
        let timed = exposition.value("flowmeter_execution_duration_seconds_count", &matchers);
        assert_eq!(timed, ROOTS as f64, "{name} durations");
    }
}

#[test]
fn sync_roots_are_sampled_at_the_ratio_and_recorded_whole() {
    LazyLock::force(&TELEMETRY);
    for i in 0..ROOTS {
        assert_eq!(sync_root(i), 3 * i + 3);
    }
    assert_whole_traces_at_the_ratio("sync_root", &["sync_leaf_a", "sync_leaf_b", "sync_plain"]);
    assert_every_call_measured(&["sync_root", "sync_leaf_a", "sync_leaf_b"]);
}

#[test]
fn async_roots_are_sampled_at_the_ratio_and_recorded_whole() {
    LazyLock::force(&TELEMETRY);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        // Spawned, so polls of one call move between worker threads.
        let calls: Vec<_> = (0..ROOTS).map(|i| tokio::spawn(async_root(i))).collect();
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await.unwrap(), 2 * i as u64);
        }
    });
    assert_whole_traces_at_the_ratio("async_root", &["async_leaf", "async_plain"]);
    assert_every_call_measured(&["async_root", "async_leaf"]);
}
