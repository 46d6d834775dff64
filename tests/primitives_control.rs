//! Retry, Timeout, Fallback, Router and Conditional on a real pipeline: counts by status,
//! the attempts histogram, one child span per retry attempt, `cancelled` for a timed-out
//! step, typed errors, and composition with `>>` and `|`. Each test uses primitive names of
//! its own.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use common::{Exposition, parse};
use flowmeter::Telemetry;
use flowmeter::primitives::{
    Backoff, BoxPrimitive, Context, Error, Fallback, Primitive, Workflow, boxed, fallback, retry,
    router, step, timeout, when,
};
use opentelemetry::trace::Status as SpanStatus;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> =
    LazyLock::new(|| common::install_with_span_exporter(&EXPORTER));

const EXECUTIONS: &str = "flowmeter_primitive_executions_total";

fn scrape() -> Exposition {
    parse(&TELEMETRY.render())
}

fn executions(scraped: &Exposition, name: &str, status: &str) -> f64 {
    scraped.sum(EXECUTIONS, &[("primitive_name", name), ("status", status)])
}

fn attempts(scraped: &Exposition, suffix: &str, name: &str, status: &str) -> f64 {
    let metric = format!("flowmeter_retry_attempts_{suffix}");
    scraped.value(&metric, &[("primitive_name", name), ("status", status)])
}

fn spans_named(name: &str) -> Vec<SpanData> {
    EXPORTER.get_finished_spans().unwrap().into_iter().filter(|s| s.name == name).collect()
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
}

fn ctx() -> Context {
    Context::new("control_tests")
}

/// A step that fails with `message` on its first `failures` runs, then returns its input;
/// `runs` counts every run.
fn failing_first(
    name: &'static str,
    failures: usize,
    message: &'static str,
    runs: &Arc<AtomicUsize>,
) -> impl Primitive<u32, Output = u32> + 'static {
    let runs = Arc::clone(runs);
    step(name, move |n: u32, _ctx: Context| {
        let run = runs.fetch_add(1, SeqCst);
        async move { if run < failures { Err(std::io::Error::other(message)) } else { Ok(n) } }
    })
}

/// A step that answers `value`.
fn answer(name: &'static str, value: u32) -> impl Primitive<u32, Output = u32> + 'static {
    step(name, move |_n: u32, _ctx: Context| async move { Ok::<_, std::io::Error>(value) })
}

/// A step that always fails.
fn broken(name: &'static str) -> impl Primitive<u32, Output = u32> + 'static {
    step(name, move |_n: u32, _ctx: Context| async move {
        Err::<u32, _>(std::io::Error::other(format!("{name} is broken")))
    })
}

/// A step that never finishes.
fn hanging(name: &'static str) -> impl Primitive<u32, Output = u32> + 'static {
    step(name, move |n: u32, _ctx: Context| async move {
        std::future::pending::<()>().await;
        Ok::<_, std::io::Error>(n)
    })
}

// --- Retry --------------------------------------------------------------------------------

#[tokio::test]
async fn retry_fails_twice_then_succeeds_in_three_attempts_with_one_span_each() {
    LazyLock::force(&TELEMETRY);
    let runs = Arc::new(AtomicUsize::new(0));
    let flaky = failing_first("rt_flaky", 2, "try again", &runs);
    let retried = retry("rt_retry", flaky).backoff(
        Backoff::exponential(Duration::from_millis(1)).max_delay(Duration::from_millis(2)),
    );
    let workflow = Workflow::new("rt_workflow", retried);
    assert_eq!(workflow.run(5).await.unwrap(), 5);

    assert_eq!(runs.load(SeqCst), 3);
    let scraped = scrape();
    assert_eq!(attempts(&scraped, "count", "rt_retry", "success"), 1.0);
    assert_eq!(attempts(&scraped, "sum", "rt_retry", "success"), 3.0);
    assert_eq!(attempts(&scraped, "count", "rt_retry", "error"), 0.0);
    assert_eq!(executions(&scraped, "rt_flaky", "error"), 2.0);
    assert_eq!(executions(&scraped, "rt_flaky", "success"), 1.0);
    assert_eq!(executions(&scraped, "rt_retry", "success"), 1.0);
    assert_eq!(executions(&scraped, "rt_retry", "error"), 0.0);

    // workflow > retry > one span per attempt.
    let workflow_span = &spans_named("rt_workflow")[0];
    let retry_spans = spans_named("rt_retry");
    assert_eq!(retry_spans.len(), 1);
    let retry_span = &retry_spans[0];
    assert_eq!(retry_span.parent_span_id, workflow_span.span_context.span_id());
    assert_eq!(attr(retry_span, "primitive.type").as_deref(), Some("retry"));
    let attempt_spans = spans_named("rt_flaky");
    assert_eq!(attempt_spans.len(), 3);
    for span in &attempt_spans {
        assert_eq!(span.parent_span_id, retry_span.span_context.span_id());
        assert_eq!(span.span_context.trace_id(), retry_span.span_context.trace_id());
    }
    let statuses: Vec<_> = attempt_spans.iter().map(|s| attr(s, "status")).collect();
    let error = Some("error".to_owned());
    assert_eq!(statuses, [error.clone(), error, None], "a success records no status");
    assert_eq!(retry_span.status, SpanStatus::Unset);
}

#[tokio::test]
async fn a_non_retryable_error_stops_after_one_attempt() {
    LazyLock::force(&TELEMETRY);
    let runs = Arc::new(AtomicUsize::new(0));
    let fatal = failing_first("nr_step", 10, "fatal: bad request", &runs);
    let retried = retry("nr_retry", fatal)
        .backoff(Backoff::none())
        .retry_if(|error: &Error| !error.to_string().contains("fatal"));
    let error = retried.run(1, &ctx()).await.unwrap_err();
    assert!(matches!(&error, Error::Step { step, .. } if step == "nr_step"), "{error:?}");

    assert_eq!(runs.load(SeqCst), 1);
    let scraped = scrape();
    assert_eq!(attempts(&scraped, "count", "nr_retry", "error"), 1.0);
    assert_eq!(attempts(&scraped, "sum", "nr_retry", "error"), 1.0);
    assert_eq!(executions(&scraped, "nr_step", "error"), 1.0);
    assert_eq!(executions(&scraped, "nr_retry", "error"), 1.0);
}

#[tokio::test]
async fn retry_gives_up_after_max_attempts_with_the_last_error() {
    LazyLock::force(&TELEMETRY);
    let runs = Arc::new(AtomicUsize::new(0));
    let down = failing_first("mx_step", 100, "still down", &runs);
    let retried = retry("mx_retry", down).max_attempts(4).backoff(Backoff::none());
    let error = retried.run(1, &ctx()).await.unwrap_err();
    assert_eq!(error.to_string(), "step `mx_step` failed: still down");

    assert_eq!(runs.load(SeqCst), 4);
    let scraped = scrape();
    assert_eq!(attempts(&scraped, "count", "mx_retry", "error"), 1.0);
    assert_eq!(attempts(&scraped, "sum", "mx_retry", "error"), 4.0);
    assert_eq!(executions(&scraped, "mx_step", "error"), 4.0);
    assert_eq!(spans_named("mx_step").len(), 4);
}

// --- Timeout ------------------------------------------------------------------------------

#[tokio::test]
async fn a_timed_out_step_is_cancelled_and_the_timeout_is_an_error() {
    LazyLock::force(&TELEMETRY);
    let limited = timeout("to_limit", Duration::from_millis(20), hanging("to_slow"));
    let error = limited.run(1, &ctx()).await.unwrap_err();
    match &error {
        Error::Timeout { step, after } => {
            assert_eq!(step, "to_limit");
            assert_eq!(*after, Duration::from_millis(20));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }

    let scraped = scrape();
    assert_eq!(executions(&scraped, "to_slow", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "to_slow", "error"), 0.0);
    assert_eq!(executions(&scraped, "to_limit", "error"), 1.0);
    assert_eq!(scraped.value("flowmeter_primitive_active", &[("primitive_name", "to_slow")]), 0.0);

    let limit_span = &spans_named("to_limit")[0];
    let slow_span = &spans_named("to_slow")[0];
    assert_eq!(slow_span.parent_span_id, limit_span.span_context.span_id());
    assert_eq!(attr(slow_span, "status").as_deref(), Some("cancelled"));
    assert_eq!(attr(limit_span, "status").as_deref(), Some("error"));
    assert_eq!(attr(limit_span, "error.type").as_deref(), Some("timeout"));
}

#[tokio::test]
async fn a_timeout_with_a_fallback_returns_the_fallbacks_value() {
    LazyLock::force(&TELEMETRY);
    let limited = timeout("tf_limit", Duration::from_millis(20), hanging("tf_slow"))
        .fallback(answer("tf_fallback", 99));
    assert_eq!(limited.run(1, &ctx()).await.unwrap(), 99);

    let scraped = scrape();
    assert_eq!(executions(&scraped, "tf_slow", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "tf_fallback", "success"), 1.0);
    assert_eq!(executions(&scraped, "tf_limit", "success"), 1.0);
}

#[tokio::test]
async fn within_the_limit_the_inner_result_passes_through() {
    LazyLock::force(&TELEMETRY);
    let limited = timeout("tq_limit", Duration::from_secs(30), answer("tq_fast", 7))
        .fallback(answer("tq_fallback", 0));
    assert_eq!(limited.run(1, &ctx()).await.unwrap(), 7);
    let failing = timeout("tq_err_limit", Duration::from_secs(30), broken("tq_broken"))
        .fallback(answer("tq_err_fallback", 0));
    let error = failing.run(1, &ctx()).await.unwrap_err();
    assert_eq!(error.origin(), "tq_broken", "the fallback is for timeouts only");

    let scraped = scrape();
    assert_eq!(executions(&scraped, "tq_fast", "success"), 1.0);
    assert_eq!(executions(&scraped, "tq_limit", "success"), 1.0);
    assert_eq!(executions(&scraped, "tq_err_limit", "error"), 1.0);
    assert!(scraped.find(EXECUTIONS, &[("primitive_name", "tq_fallback")]).is_empty());
    assert!(scraped.find(EXECUTIONS, &[("primitive_name", "tq_err_fallback")]).is_empty());
}

// --- Fallback -----------------------------------------------------------------------------

#[tokio::test]
async fn fallback_the_first_fails_the_second_succeeds() {
    LazyLock::force(&TELEMETRY);
    let chain = fallback("fb_chain", broken("fb_first"))
        .or(answer("fb_second", 2))
        .or(answer("fb_third", 3));
    assert_eq!(chain.run(1, &ctx()).await.unwrap(), 2);

    let scraped = scrape();
    assert_eq!(executions(&scraped, "fb_first", "error"), 1.0);
    assert_eq!(executions(&scraped, "fb_second", "success"), 1.0);
    assert_eq!(executions(&scraped, "fb_chain", "success"), 1.0);
    assert!(scraped.find(EXECUTIONS, &[("primitive_name", "fb_third")]).is_empty());
    let chain_span = &spans_named("fb_chain")[0];
    for name in ["fb_first", "fb_second"] {
        assert_eq!(spans_named(name)[0].parent_span_id, chain_span.span_context.span_id());
    }
}

#[tokio::test]
async fn when_every_alternative_fails_the_error_lists_them_in_order() {
    LazyLock::force(&TELEMETRY);
    let chain = fallback("fa_chain", broken("fa_one")).or(broken("fa_two")).or(broken("fa_three"));
    let error = chain.run(1, &ctx()).await.unwrap_err();
    match &error {
        Error::AllFailed { step, tried } => {
            assert_eq!(step, "fa_chain");
            let names: Vec<&str> = tried.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(names, ["fa_one", "fa_two", "fa_three"]);
            assert_eq!(tried[1].1.to_string(), "step `fa_two` failed: fa_two is broken");
        }
        other => panic!("expected AllFailed, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "every alternative of `fa_chain` failed (tried `fa_one`, `fa_two`, `fa_three`)"
    );
    let scraped = scrape();
    assert_eq!(executions(&scraped, "fa_chain", "error"), 1.0);
    for name in ["fa_one", "fa_two", "fa_three"] {
        assert_eq!(executions(&scraped, name, "error"), 1.0);
    }
}

#[tokio::test]
async fn a_boxed_list_of_alternatives() {
    LazyLock::force(&TELEMETRY);
    let alternatives: Vec<BoxPrimitive<u32, u32>> =
        vec![boxed(broken("fl_one")), boxed(answer("fl_two", 22))];
    let chain = Fallback::boxed("fl_chain", alternatives);
    assert_eq!(chain.run(1, &ctx()).await.unwrap(), 22);
    let empty = Fallback::<Vec<BoxPrimitive<u32, u32>>>::boxed("fl_empty", Vec::new());
    assert!(
        matches!(empty.run(1, &ctx()).await, Err(Error::AllFailed { tried, .. }) if tried.is_empty())
    );

    let scraped = scrape();
    assert_eq!(executions(&scraped, "fl_one", "error"), 1.0);
    assert_eq!(executions(&scraped, "fl_two", "success"), 1.0);
    assert_eq!(executions(&scraped, "fl_chain", "success"), 1.0);
    assert_eq!(executions(&scraped, "fl_empty", "error"), 1.0);
}

// --- Router and Conditional ---------------------------------------------------------------

#[tokio::test]
async fn the_router_picks_routes_and_falls_back_to_the_default() {
    LazyLock::force(&TELEMETRY);
    let by_size = |n: &u32, _ctx: &Context| match n {
        0..=9 => "small",
        10..=99 => "medium",
        _ => "huge",
    };
    let routed = router("ro_router", by_size)
        .route("small", answer("ro_small", 1))
        .route("medium", answer("ro_medium", 2))
        .default_route(answer("ro_default", 0));
    assert_eq!(routed.run(3, &ctx()).await.unwrap(), 1);
    assert_eq!(routed.run(42, &ctx()).await.unwrap(), 2);
    assert_eq!(routed.run(7, &ctx()).await.unwrap(), 1);
    assert_eq!(routed.run(1000, &ctx()).await.unwrap(), 0);

    let scraped = scrape();
    assert_eq!(executions(&scraped, "ro_small", "success"), 2.0);
    assert_eq!(executions(&scraped, "ro_medium", "success"), 1.0);
    assert_eq!(executions(&scraped, "ro_default", "success"), 1.0);
    assert_eq!(executions(&scraped, "ro_router", "success"), 4.0);
    let router_ids: Vec<_> =
        spans_named("ro_router").iter().map(|s| s.span_context.span_id()).collect();
    assert!(router_ids.contains(&spans_named("ro_medium")[0].parent_span_id));
}

#[tokio::test]
async fn an_unknown_route_without_a_default_is_a_typed_error() {
    LazyLock::force(&TELEMETRY);
    let routed = router("ru_router", |tier: &String, _ctx: &Context| tier.clone()).route(
        "gold",
        step("ru_gold", |_t: String, _c: Context| async { Ok::<_, std::io::Error>(1) }),
    );
    assert_eq!(routed.run("gold".to_owned(), &ctx()).await.unwrap(), 1);
    let error = routed.run("bronze".to_owned(), &ctx()).await.unwrap_err();
    match &error {
        Error::UnknownRoute { router, route } => {
            assert_eq!((router.as_str(), route.as_str()), ("ru_router", "bronze"));
        }
        other => panic!("expected UnknownRoute, got {other:?}"),
    }
    let scraped = scrape();
    assert_eq!(executions(&scraped, "ru_router", "success"), 1.0);
    assert_eq!(executions(&scraped, "ru_router", "error"), 1.0);
    let failed = spans_named("ru_router")
        .into_iter()
        .find(|s| attr(s, "status").as_deref() == Some("error"));
    assert_eq!(attr(&failed.unwrap(), "error.type").as_deref(), Some("unknown_route"));
}

#[tokio::test]
async fn a_router_can_route_on_the_context() {
    LazyLock::force(&TELEMETRY);
    let routed = router("rc_router", |_n: &u32, ctx: &Context| ctx.workflow_name().to_owned())
        .route("rc_batch", answer("rc_batch_path", 1))
        .route("rc_online", answer("rc_online_path", 2));
    assert_eq!(routed.run(0, &Context::new("rc_online")).await.unwrap(), 2);
    assert_eq!(routed.run(0, &Context::new("rc_batch")).await.unwrap(), 1);
}

#[tokio::test]
async fn a_conditional_runs_one_branch_or_the_other() {
    LazyLock::force(&TELEMETRY);
    let parity = when(
        "cd_parity",
        |n: &u32, _ctx: &Context| n.is_multiple_of(2),
        answer("cd_even", 0),
        answer("cd_odd", 1),
    );
    assert_eq!(parity.run(4, &ctx()).await.unwrap(), 0);
    assert_eq!(parity.run(5, &ctx()).await.unwrap(), 1);
    assert_eq!(parity.run(6, &ctx()).await.unwrap(), 0);

    let scraped = scrape();
    assert_eq!(executions(&scraped, "cd_even", "success"), 2.0);
    assert_eq!(executions(&scraped, "cd_odd", "success"), 1.0);
    assert_eq!(executions(&scraped, "cd_parity", "success"), 3.0);
    let parity_ids: Vec<_> =
        spans_named("cd_parity").iter().map(|s| s.span_context.span_id()).collect();
    for span in spans_named("cd_even").iter().chain(&spans_named("cd_odd")) {
        assert!(parity_ids.contains(&span.parent_span_id));
    }
}

// --- Composition --------------------------------------------------------------------------

#[tokio::test]
async fn control_primitives_compose_with_operators() {
    LazyLock::force(&TELEMETRY);
    let runs = Arc::new(AtomicUsize::new(0));
    let pipeline = retry("co_retry", failing_first("co_flaky", 1, "flaky", &runs))
        .backoff(Backoff::none())
        >> (timeout("co_limit", Duration::from_secs(30), answer("co_a", 10))
            | fallback("co_fallback", broken("co_broken")).or(answer("co_b", 20))
            | when(
                "co_when",
                |n: &u32, _ctx: &Context| *n > 5,
                answer("co_big", 30),
                answer("co_small", 40),
            ))
        >> router(
            "co_router",
            |outputs: &Vec<u32>, _ctx: &Context| if outputs.len() == 3 { "sum" } else { "none" },
        )
        .route(
            "sum",
            step("co_sum", |v: Vec<u32>, _ctx: Context| async move {
                Ok::<_, std::io::Error>(v.iter().sum::<u32>())
            }),
        );
    let workflow = Workflow::new("co_workflow", pipeline);
    assert_eq!(workflow.run(1).await.unwrap(), 10 + 20 + 40);

    let scraped = scrape();
    assert_eq!(executions(&scraped, "co_flaky", "error"), 1.0);
    for name in ["co_retry", "co_limit", "co_fallback", "co_when", "co_router", "co_sum"] {
        assert_eq!(executions(&scraped, name, "success"), 1.0, "{name}");
    }
    assert_eq!(
        scraped.value(
            "flowmeter_workflow_executions_total",
            &[("workflow_name", "co_workflow"), ("status", "success")]
        ),
        1.0
    );
}

#[tokio::test]
async fn a_retry_cancelled_by_a_timeout_records_its_attempts_as_cancelled() {
    LazyLock::force(&TELEMETRY);
    let limited =
        timeout("rx_limit", Duration::from_millis(20), retry("rx_retry", hanging("rx_hang")));
    assert!(matches!(limited.run(1, &ctx()).await, Err(Error::Timeout { .. })));

    let scraped = scrape();
    assert_eq!(attempts(&scraped, "count", "rx_retry", "cancelled"), 1.0);
    assert_eq!(attempts(&scraped, "sum", "rx_retry", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "rx_retry", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "rx_hang", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "rx_limit", "error"), 1.0);
}
