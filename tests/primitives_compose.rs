//! Sequential, parallel and workflow primitives, asserted on the scraped exposition and on the
//! spans an in-memory exporter received: counts by status, the workflow > sequential > steps
//! tree, parallel branches as siblings, `cancelled` siblings under fail-fast, quorum,
//! settle-all, and (proptest) any nesting computes what the plain code computes.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use common::{Exposition, parse};
use flowmeter::Telemetry;
use flowmeter::primitives::{
    BoxPrimitive, Compose as _, Context, Error, Parallel, Primitive as _, Sequential, Workflow,
    boxed, step,
};
use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> =
    LazyLock::new(|| common::install_with_span_exporter(&EXPORTER));
/// Span assertions read the shared exporter; one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

type Failure = std::io::Error;

/// One test at a time on the shared exporter; a failed test does not block the others.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn scrape() -> Exposition {
    parse(&TELEMETRY.render())
}

fn executions(scraped: &Exposition, name: &str, status: &str) -> f64 {
    scraped.sum(
        "flowmeter_primitive_executions_total",
        &[("primitive_name", name), ("status", status)],
    )
}

fn spans() -> Vec<SpanData> {
    EXPORTER.get_finished_spans().unwrap()
}

fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one span named {name}: {:#?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
}

fn add(
    name: &'static str,
    k: u64,
) -> flowmeter::primitives::Step<
    impl Fn(u64, Context) -> std::future::Ready<Result<u64, Failure>> + Send + Sync,
> {
    step(name, move |x: u64, _ctx: Context| std::future::ready(Ok(x + k)))
}

#[test]
fn a_workflow_run_is_one_trace_workflow_then_sequential_then_steps() {
    let _serial = serial();
    LazyLock::force(&TELEMETRY);
    let pipeline = (add("wf_a", 1) >> add("wf_b", 10) >> add("wf_c", 100)).named("wf_seq");
    let workflow = Workflow::new("wf_tree", pipeline);
    assert_eq!(runtime().block_on(workflow.run(0)).unwrap(), 111);

    let scraped = scrape();
    for name in ["wf_a", "wf_b", "wf_c", "wf_seq"] {
        assert_eq!(executions(&scraped, name, "success"), 1.0, "{name}");
    }
    let seq =
        &scraped.find("flowmeter_primitive_executions_total", &[("primitive_name", "wf_seq")])[0];
    assert_eq!(seq.label("primitive_type"), Some("sequential"));
    let labels = [("workflow_name", "wf_tree"), ("status", "success")];
    assert_eq!(scraped.value("flowmeter_workflow_executions_total", &labels), 1.0);
    assert_eq!(scraped.value("flowmeter_workflow_duration_seconds_count", &labels), 1.0);

    let spans = spans();
    let root = span(&spans, "wf_tree");
    let seq = span(&spans, "wf_seq");
    assert_eq!(root.parent_span_id, SpanId::INVALID);
    assert_eq!(attr(root, "workflow.name").as_deref(), Some("wf_tree"));
    assert!(attr(root, "workflow.id").is_some_and(|id| id.len() == 36), "a uuid");
    assert_eq!(seq.parent_span_id, root.span_context.span_id(), "flattened: one sequential");
    for name in ["wf_a", "wf_b", "wf_c"] {
        let step = span(&spans, name);
        assert_eq!(step.parent_span_id, seq.span_context.span_id(), "{name}");
        assert_eq!(step.span_context.trace_id(), root.span_context.trace_id());
        assert_eq!(attr(step, "primitive.type").as_deref(), Some("step"));
    }
}

#[test]
fn the_first_error_stops_a_sequence_and_names_the_step() {
    let _serial = serial();
    LazyLock::force(&TELEMETRY);
    let ran_after = Arc::new(AtomicUsize::new(0));
    let counter = ran_after.clone();
    let fail = step("seq_fail", |_: u64, _ctx: Context| async {
        Err::<u64, _>(Failure::other("disk full"))
    });
    let after = step("seq_after", move |x: u64, _ctx: Context| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move { Ok::<_, Failure>(x) }
    });
    let workflow = Workflow::new("seq_errors", add("seq_before", 1) >> fail >> after);
    let error = runtime().block_on(workflow.run(0)).unwrap_err();
    assert!(matches!(&error, Error::Step { step, .. } if step == "seq_fail"), "{error}");
    assert_eq!(error.to_string(), "step `seq_fail` failed: disk full");
    assert_eq!(ran_after.load(Ordering::SeqCst), 0);

    let scraped = scrape();
    assert_eq!(executions(&scraped, "seq_before", "success"), 1.0);
    assert_eq!(executions(&scraped, "seq_fail", "error"), 1.0);
    assert_eq!(executions(&scraped, "seq_after", "success"), 0.0);
    let labels = [("workflow_name", "seq_errors"), ("status", "error")];
    assert_eq!(scraped.value("flowmeter_workflow_executions_total", &labels), 1.0);
    let spans = spans();
    let failed = span(&spans, "seq_fail");
    assert!(matches!(failed.status, opentelemetry::trace::Status::Error { .. }));
    assert_eq!(attr(failed, "error").as_deref(), Some("step `seq_fail` failed: disk full"));
    assert!(matches!(
        span(&spans, "seq_errors").status,
        opentelemetry::trace::Status::Error { .. }
    ));
}

#[test]
fn parallel_branches_are_siblings_with_outputs_in_branch_order() {
    let _serial = serial();
    LazyLock::force(&TELEMETRY);
    let slow = step("par_slow", |x: u64, _ctx: Context| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok::<_, Failure>(x + 1)
    });
    let parallel = (slow | add("par_fast", 2) | add("par_faster", 3)).named("par_group");
    let workflow = Workflow::new("par_tree", parallel);
    assert_eq!(runtime().block_on(workflow.run(10)).unwrap(), vec![11, 12, 13]);

    let scraped = scrape();
    let group = &scraped.find(
        "flowmeter_primitive_executions_total",
        &[("primitive_name", "par_group"), ("status", "success")],
    )[0];
    assert_eq!((group.value, group.label("primitive_type")), (1.0, Some("parallel")));
    let spans = spans();
    let parallel = span(&spans, "par_group");
    assert_eq!(parallel.parent_span_id, span(&spans, "par_tree").span_context.span_id());
    for name in ["par_slow", "par_fast", "par_faster"] {
        assert_eq!(span(&spans, name).parent_span_id, parallel.span_context.span_id(), "{name}");
    }
}

#[test]
fn fail_fast_cancels_the_siblings_and_records_them_cancelled() {
    let _serial = serial();
    LazyLock::force(&TELEMETRY);
    let hang = |name: &'static str| {
        step(name, |x: u64, _ctx: Context| async move {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<_, Failure>(x)
        })
    };
    let boom = step("ff_boom", |_: u64, _ctx: Context| async move {
        tokio::task::yield_now().await;
        Err::<u64, _>(Failure::other("boom"))
    });
    let parallel = (hang("ff_hang_a") | boom | hang("ff_hang_b")).named("ff_group");
    let error = runtime().block_on(Workflow::new("ff", parallel).run(1)).unwrap_err();
    assert!(matches!(&error, Error::Step { step, .. } if step == "ff_boom"), "{error}");

    let scraped = scrape();
    assert_eq!(executions(&scraped, "ff_boom", "error"), 1.0);
    assert_eq!(executions(&scraped, "ff_hang_a", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "ff_hang_b", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "ff_group", "error"), 1.0);
    for name in ["ff_hang_a", "ff_hang_b"] {
        let labels = [("primitive_name", name)];
        assert_eq!(scraped.value("flowmeter_primitive_active", &labels), 0.0, "{name}");
        assert_eq!(attr(span(&spans(), name), "status").as_deref(), Some("cancelled"));
    }
}

#[test]
fn quorum_settle_all_and_limit() {
    let _serial = serial();
    LazyLock::force(&TELEMETRY);
    let rt = runtime();
    let fail = |name: &'static str| {
        step(name, |_: u64, _ctx: Context| async { Err::<u64, _>(Failure::other("no")) })
    };
    let slow = step("q_slow", |x: u64, _ctx: Context| async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<_, Failure>(x)
    });

    // Two of four: the fast successes win, the slow one is cancelled, the failure counted.
    let quorum =
        (add("q_one", 1) | fail("q_fail") | slow | add("q_two", 2)).named("q_group").quorum(2);
    assert_eq!(rt.block_on(quorum.run(10, &Context::new("q"))).unwrap(), vec![11, 12]);
    // Unreachable quorum: stops as soon as too few branches are left, naming the counts.
    let impossible =
        (fail("q_fail_a") | fail("q_fail_b") | add("q_ok", 1)).named("q_impossible").quorum(2);
    let error = rt.block_on(impossible.run(0, &Context::new("q"))).unwrap_err();
    assert!(
        matches!(error, Error::Quorum { needed: 2, succeeded, ref errors, .. } if succeeded <= 1 && errors.len() == 2),
        "{error}"
    );

    let settled = (add("s_ok", 1) | fail("s_fail")).named("s_group").settle_all();
    let results = rt.block_on(settled.run(1, &Context::new("s"))).unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(*results[0].as_ref().unwrap(), 2);
    assert!(results[1].is_err());

    // A limit of one runs branches one at a time: the gauge of running branches never passes 1.
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let tracked = |name: &'static str| {
        let (running, peak) = (running.clone(), peak.clone());
        step(name, move |x: u64, _ctx: Context| {
            let (running, peak) = (running.clone(), peak.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, Failure>(x)
            }
        })
    };
    let limited = (tracked("l_a") | tracked("l_b") | tracked("l_c")).named("l_group").limit(1);
    assert_eq!(rt.block_on(limited.run(5, &Context::new("l"))).unwrap(), vec![5, 5, 5]);
    assert_eq!(peak.load(Ordering::SeqCst), 1);

    let scraped = scrape();
    assert_eq!(executions(&scraped, "q_one", "success"), 1.0);
    assert_eq!(executions(&scraped, "q_two", "success"), 1.0);
    assert_eq!(executions(&scraped, "q_fail", "error"), 1.0);
    assert_eq!(executions(&scraped, "q_slow", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "q_group", "success"), 1.0);
    assert_eq!(executions(&scraped, "q_impossible", "error"), 1.0);
    assert_eq!(executions(&scraped, "s_group", "success"), 1.0);
    assert_eq!(executions(&scraped, "s_fail", "error"), 1.0);
}

#[test]
fn context_reaches_steps_and_branches_get_child_contexts() {
    LazyLock::force(&TELEMETRY);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = |name: &'static str| {
        let seen = seen.clone();
        step(name, move |x: u64, ctx: Context| {
            seen.lock().unwrap().push((
                ctx.workflow_name().to_owned(),
                ctx.correlation_id().to_owned(),
                ctx.causation_id().map(str::to_owned),
                ctx.baggage("tenant_tier").map(str::to_owned),
            ));
            ctx.checkpoint(name);
            std::future::ready(Ok::<_, Failure>(x))
        })
    };
    let workflow = Workflow::new("ctx_flow", record("ctx_a") | record("ctx_b"));
    let ctx =
        Context::new("ctx_flow").with_correlation_id("req-42").with_baggage("tenant_tier", "free");
    let parent_id = ctx.context_id().to_owned();
    runtime().block_on(workflow.run_with(1, ctx)).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for (workflow, correlation, causation, tier) in seen.iter() {
        assert_eq!((workflow.as_str(), correlation.as_str()), ("ctx_flow", "req-42"));
        assert_eq!(causation.as_deref(), Some(parent_id.as_str()), "branches are children");
        assert_eq!(tier.as_deref(), Some("free"));
    }
}

/// A random composition of steps that add numbers.
#[derive(Debug, Clone)]
enum Tree {
    Add(u64),
    Seq(Vec<Tree>),
    Par(Vec<Tree>),
}

impl Tree {
    /// What the composition computes, written as plain code.
    fn eval(&self, x: u64) -> u64 {
        match self {
            Tree::Add(k) => x + k,
            Tree::Seq(children) => children.iter().fold(x, |acc, c| c.eval(acc)),
            Tree::Par(children) => children.iter().map(|c| c.eval(x)).sum(),
        }
    }

    /// Steps run: every `Add`, plus one summing step per parallel.
    fn steps(&self) -> usize {
        match self {
            Tree::Add(_) => 1,
            Tree::Seq(children) => children.iter().map(Tree::steps).sum(),
            Tree::Par(children) => 1 + children.iter().map(Tree::steps).sum::<usize>(),
        }
    }

    fn build(&self) -> BoxPrimitive<u64, u64> {
        match self {
            Tree::Add(k) => {
                let k = *k;
                boxed(step("prop_step", move |x: u64, _ctx: Context| {
                    std::future::ready(Ok::<_, Failure>(x + k))
                }))
            }
            Tree::Seq(children) => boxed(
                Sequential::new(children.iter().map(Tree::build).collect::<Vec<_>>())
                    .named("prop_seq"),
            ),
            Tree::Par(children) => {
                let branches = children.iter().map(Tree::build).collect::<Vec<_>>();
                let sum = step("prop_step", |xs: Vec<u64>, _ctx: Context| {
                    std::future::ready(Ok::<_, Failure>(xs.into_iter().sum()))
                });
                boxed(Parallel::new(branches).named("prop_par").then(sum))
            }
        }
    }
}

fn tree() -> impl proptest::strategy::Strategy<Value = Tree> {
    use proptest::prelude::*;
    (0u64..1000).prop_map(Tree::Add).prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Tree::Seq),
            proptest::collection::vec(inner, 1..4).prop_map(Tree::Par),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]
    #[test]
    fn any_nesting_computes_the_plain_result_and_counts_every_step(tree in tree(), x in 0u64..1000) {
        let _serial = serial();
        LazyLock::force(&TELEMETRY);
        let before = executions(&scrape(), "prop_step", "success");
        let primitive = tree.build();
        let got = runtime().block_on(primitive.run_boxed(x, &Context::new("prop"))).unwrap();
        proptest::prop_assert_eq!(got, tree.eval(x));
        let after = executions(&scrape(), "prop_step", "success");
        proptest::prop_assert_eq!(after - before, tree.steps() as f64);
    }
}
