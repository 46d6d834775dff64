//! Exemplars captured at the call: a call that ends in a sampled span keeps its trace and span
//! ids as the exemplar of the duration bucket it fell in, the latest per bucket, for macro call
//! sites (typed errors and cancelled calls too), primitives and workflows; an unsampled call
//! or a `span = false` one keeps none. Checked on the OpenMetrics body as the reference parser
//! reads it, against the spans an in-memory exporter received.

mod common;

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use common::openmetrics::{self, OmSample, validator_available};
use common::traces::{remote_parent, spans_named};
use flowmeter::primitives::{Context, Error, Primitive as _, Workflow, step, timeout};
use flowmeter::telemetry::Sampler;
use flowmeter::{ErrorType, Telemetry, instrumented};
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> =
    LazyLock::new(|| common::install_sampled(&EXPORTER, Sampler::ParentBasedAlwaysOff));
/// The exporter is shared; tests filter spans by their own names and take turns.
static SERIAL: Mutex<()> = Mutex::new(());

const EXECUTION: &str = "flowmeter_execution_duration_seconds_bucket";
const WORKFLOW: &str = "flowmeter_workflow_duration_seconds_bucket";

/// Runs `f` inside a remote parent of trace `trace`, sampled or not.
fn under_parent<R>(trace: u128, sampled: bool, f: impl FnOnce() -> R) -> R {
    let _context = remote_parent(trace, 0x00f0_67aa_0ba9_02b7, sampled).attach();
    f()
}

/// The bucket samples of `family` whose labels include every pair of `labels`.
fn buckets(family: &str, labels: &[(&str, &str)]) -> Vec<OmSample> {
    let body = TELEMETRY.render_openmetrics();
    let families = openmetrics::parse(&body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    families
        .into_iter()
        .flat_map(|f| f.samples)
        .filter(|s| s.name == family)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .collect()
}

/// `(trace_id, span_id, value)` of every exemplar among `samples`, checking each sits in the
/// bucket its value belongs to (above the previous bound, at most the bucket's own).
fn exemplars(samples: &[OmSample]) -> Vec<(TraceId, SpanId, f64)> {
    let mut by_series: BTreeMap<String, Vec<&OmSample>> = BTreeMap::new();
    for sample in samples {
        let mut labels = sample.labels.clone();
        labels.remove("le");
        by_series.entry(format!("{labels:?}")).or_default().push(sample);
    }
    let mut found = Vec::new();
    for series in by_series.values() {
        let mut lower = f64::NEG_INFINITY;
        for sample in series {
            let le: f64 = match sample.labels["le"].as_str() {
                "+Inf" => f64::INFINITY,
                le => le.parse().expect("le"),
            };
            if let Some(exemplar) = &sample.exemplar {
                assert!(exemplar.value > lower && exemplar.value <= le, "{sample:?}");
                assert!(exemplar.timestamp.is_some(), "{sample:?}");
                let trace = TraceId::from_hex(&exemplar.labels["trace_id"]).expect("trace id");
                let span = SpanId::from_hex(&exemplar.labels["span_id"]).expect("span id");
                assert_eq!(exemplar.labels.len(), 2, "{sample:?}");
                found.push((trace, span, exemplar.value));
            }
            lower = le;
        }
    }
    found
}

fn span_ids(spans: &[SpanData]) -> Vec<(TraceId, SpanId)> {
    spans.iter().map(|s| (s.span_context.trace_id(), s.span_context.span_id())).collect()
}

#[instrumented]
fn exemplar_step() -> u32 {
    std::thread::sleep(Duration::from_millis(2));
    1
}

#[instrumented]
fn exemplar_unsampled() -> u32 {
    2
}

#[instrumented(span = false)]
fn exemplar_spanless() -> u32 {
    3
}

#[derive(Debug, ErrorType)]
enum Lookup {
    Missing,
}

impl std::fmt::Display for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("missing")
    }
}

#[instrumented]
fn exemplar_lookup() -> Result<(), Lookup> {
    Err(Lookup::Missing)
}

#[test]
fn a_sampled_call_keeps_its_ids_in_its_bucket() {
    if !validator_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    LazyLock::force(&TELEMETRY);
    under_parent(0xa1, true, exemplar_step);
    let spans = spans_named(&EXPORTER, &["exemplar_step"]);
    assert_eq!(spans.len(), 1);
    let found = exemplars(&buckets(EXECUTION, &[("primitive_name", "exemplar_step")]));
    let ids: Vec<_> = found.iter().map(|(t, s, _)| (*t, *s)).collect();
    assert_eq!(ids, span_ids(&spans), "one exemplar, the exported span's ids");
    assert_eq!(found[0].0, TraceId::from(0xa1_u128), "in the parent's trace");
    assert!(found[0].2 >= 0.002, "the call's duration: {found:?}");

    // A second call in the same bucket replaces the first: the latest per bucket.
    under_parent(0xa2, true, exemplar_step);
    let found = exemplars(&buckets(EXECUTION, &[("primitive_name", "exemplar_step")]));
    let traces: Vec<_> = found.iter().map(|(t, _, _)| *t).collect();
    if found.len() == 1 {
        assert_eq!(traces, [TraceId::from(0xa2_u128)], "the latest replaced the first");
    } else {
        // The two calls fell in different buckets (a slow machine): each keeps its own.
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(traces.contains(&TraceId::from(0xa2_u128)), "{found:?}");
    }
}

#[test]
fn unsampled_and_spanless_calls_keep_none() {
    if !validator_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    LazyLock::force(&TELEMETRY);
    under_parent(0xb1, false, exemplar_unsampled);
    under_parent(0xb2, true, exemplar_spanless);
    let unsampled = buckets(EXECUTION, &[("primitive_name", "exemplar_unsampled")]);
    let spanless = buckets(EXECUTION, &[("primitive_name", "exemplar_spanless")]);
    assert!(!unsampled.is_empty() && !spanless.is_empty(), "both counted");
    assert_eq!(exemplars(&unsampled), []);
    assert_eq!(exemplars(&spanless), []);
}

#[test]
fn a_typed_error_keeps_its_exemplar_on_its_error_type_series() {
    if !validator_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    LazyLock::force(&TELEMETRY);
    let _ = under_parent(0xc1, true, exemplar_lookup);
    let spans = spans_named(&EXPORTER, &["exemplar_lookup"]);
    let typed = [("primitive_name", "exemplar_lookup"), ("error_type", "Missing")];
    let found = exemplars(&buckets(EXECUTION, &typed));
    assert_eq!(found.iter().map(|(t, s, _)| (*t, *s)).collect::<Vec<_>>(), span_ids(&spans));
}

#[test]
fn workflows_steps_and_cancelled_calls_keep_theirs() {
    if !validator_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    LazyLock::force(&TELEMETRY);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let workflow = Workflow::new(
        "exemplar_flow",
        step("exemplar_flow_step", |n: u32, _ctx: Context| async move { Ok::<_, Error>(n) }),
    );
    let slow = timeout(
        "exemplar_limit",
        Duration::from_millis(20),
        step("exemplar_slow", |n: u32, _ctx: Context| async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, Error>(n)
        }),
    );
    under_parent(0xd1, true, || {
        runtime.block_on(async {
            workflow.run(1).await.expect("runs");
            slow.run(1, &Context::new("exemplar")).await.expect_err("times out");
        })
    });

    let flow = spans_named(&EXPORTER, &["exemplar_flow"]);
    let found = exemplars(&buckets(WORKFLOW, &[("workflow_name", "exemplar_flow")]));
    assert_eq!(found.iter().map(|(t, s, _)| (*t, *s)).collect::<Vec<_>>(), span_ids(&flow));

    let step_spans = spans_named(&EXPORTER, &["exemplar_flow_step"]);
    let found = exemplars(&buckets(EXECUTION, &[("primitive_name", "exemplar_flow_step")]));
    assert_eq!(found.iter().map(|(t, s, _)| (*t, *s)).collect::<Vec<_>>(), span_ids(&step_spans));

    let cancelled = [("primitive_name", "exemplar_slow"), ("status", "cancelled")];
    let found = exemplars(&buckets(EXECUTION, &cancelled));
    assert_eq!(found.len(), 1, "the cancelled inner call keeps its exemplar: {found:?}");
    assert_eq!(found[0].0, TraceId::from(0xd1_u128));
    assert!(found[0].2 >= 0.02, "it ran until the timeout: {found:?}");
}
