//! The Cached primitive on a real pipeline: single-flight loading under 100 concurrent
//! requests, a cancelled load that does not poison its key, exact hits and misses, evictions
//! by capacity and by TTL, errors that are not cached, the entries gauge, the LLM dollars a
//! hit saves, and the span of a miss. Each test uses primitive names of its own.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use common::{Exposition, parse};
use flowmeter::Telemetry;
use flowmeter::primitives::{Context, Error, Primitive, SavedCost, SharedLoadError, cached, step};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> =
    LazyLock::new(|| common::install_with_span_exporter(&EXPORTER));

const EXECUTIONS: &str = "flowmeter_primitive_executions_total";
const HITS: &str = "flowmeter_cache_hits_total";
const MISSES: &str = "flowmeter_cache_misses_total";
const EVICTIONS: &str = "flowmeter_cache_evictions_total";
const ENTRIES: &str = "flowmeter_cache_entries";

fn scrape() -> Exposition {
    parse(&TELEMETRY.render())
}

fn executions(scraped: &Exposition, name: &str, status: &str) -> f64 {
    scraped.sum(EXECUTIONS, &[("primitive_name", name), ("status", status)])
}

fn cache_value(scraped: &Exposition, metric: &str, cache: &str) -> f64 {
    scraped.value(metric, &[("cache_name", cache)])
}

fn evictions(scraped: &Exposition, cache: &str, cause: &str) -> f64 {
    scraped.value(EVICTIONS, &[("cache_name", cache), ("cause", cause)])
}

fn spans_named(name: &str) -> Vec<SpanData> {
    EXPORTER.get_finished_spans().unwrap().into_iter().filter(|s| s.name == name).collect()
}

fn ctx() -> Context {
    Context::new("cache_tests")
}

/// A step named `name` that counts its runs in `runs` and doubles its input.
fn doubling(
    name: &'static str,
    runs: &Arc<AtomicUsize>,
) -> impl Primitive<u64, Output = u64> + 'static {
    let runs = Arc::clone(runs);
    step(name, move |n: u64, _ctx: Context| {
        runs.fetch_add(1, SeqCst);
        async move { Ok::<_, std::io::Error>(n * 2) }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_requests_for_one_missing_key_run_the_inner_primitive_once() {
    LazyLock::force(&TELEMETRY);
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let slow = step("sf_load", move |n: u64, _ctx: Context| {
        counted.fetch_add(1, SeqCst);
        async move {
            // Long enough that the other requests arrive while this load is in flight; the
            // assertions hold whatever the timing (a late request is a plain hit).
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, std::io::Error>(n * 2)
        }
    });
    let cache = Arc::new(cached("sf_cache", slow));
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (cache, barrier) = (Arc::clone(&cache), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                cache.run(21, &ctx()).await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 42);
    }

    assert_eq!(runs.load(SeqCst), 1);
    let scraped = scrape();
    assert_eq!(executions(&scraped, "sf_load", "success"), 1.0);
    assert_eq!(executions(&scraped, "sf_cache", "success"), 100.0);
    assert_eq!(cache_value(&scraped, MISSES, "sf_cache"), 1.0);
    assert_eq!(cache_value(&scraped, HITS, "sf_cache"), 99.0);
    assert_eq!(
        scraped
            .find(EXECUTIONS, &[("primitive_name", "sf_cache"), ("primitive_type", "cached")])
            .len(),
        4,
        "one series per status"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_load_does_not_poison_the_key() {
    LazyLock::force(&TELEMETRY);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    // The first load never finishes; later ones do at once.
    let load = step("cl_load", move |n: u64, _ctx: Context| {
        let first = counted.fetch_add(1, SeqCst) == 0;
        async move {
            if first {
                std::future::pending::<()>().await;
            }
            Ok::<_, std::io::Error>(n + 1)
        }
    });
    let cache = Arc::new(cached("cl_cache", load));

    let loader = tokio::spawn({
        let cache = Arc::clone(&cache);
        async move { cache.run(1, &ctx()).await }
    });
    while calls.load(SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    // The loader is inside the inner step; a second request for the key waits on it.
    let waiter = tokio::spawn({
        let cache = Arc::clone(&cache);
        async move { cache.run(1, &ctx()).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    loader.abort();
    assert!(loader.await.unwrap_err().is_cancelled());

    // The waiter (or, had it not started waiting yet, its own fresh request) loads the key.
    assert_eq!(waiter.await.unwrap().unwrap(), 2);
    // A new request after the cancelled load is answered from the cache.
    assert_eq!(cache.run(1, &ctx()).await.unwrap(), 2);

    assert_eq!(calls.load(SeqCst), 2);
    let scraped = scrape();
    assert_eq!(executions(&scraped, "cl_load", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "cl_load", "success"), 1.0);
    assert_eq!(executions(&scraped, "cl_cache", "cancelled"), 1.0);
    assert_eq!(executions(&scraped, "cl_cache", "success"), 2.0);
    assert_eq!(cache_value(&scraped, MISSES, "cl_cache"), 2.0, "one per inner run");
    assert_eq!(cache_value(&scraped, HITS, "cl_cache"), 1.0);
}

#[tokio::test]
async fn hits_misses_and_the_entries_gauge_are_exact() {
    LazyLock::force(&TELEMETRY);
    let runs = Arc::new(AtomicUsize::new(0));
    let cache = cached("hm_cache", doubling("hm_load", &runs));
    for key in [1, 2, 3, 1, 2, 1, 1] {
        assert_eq!(cache.run(key, &ctx()).await.unwrap(), key * 2);
    }
    cache.run_pending_tasks().await;

    assert_eq!(runs.load(SeqCst), 3);
    assert_eq!(cache.entry_count(), 3);
    let scraped = scrape();
    assert_eq!(cache_value(&scraped, MISSES, "hm_cache"), 3.0);
    assert_eq!(cache_value(&scraped, HITS, "hm_cache"), 4.0);
    assert_eq!(cache_value(&scraped, ENTRIES, "hm_cache"), 3.0);
    assert_eq!(executions(&scraped, "hm_load", "success"), 3.0);
    assert_eq!(executions(&scraped, "hm_cache", "success"), 7.0);

    cache.invalidate(&2).await;
    cache.run_pending_tasks().await;
    let scraped = scrape();
    assert_eq!(evictions(&scraped, "hm_cache", "explicit"), 1.0);
    assert_eq!(cache_value(&scraped, ENTRIES, "hm_cache"), 2.0);
    assert_eq!(evictions(&scraped, "hm_cache", "size"), 0.0);
    assert_eq!(evictions(&scraped, "hm_cache", "expired"), 0.0);
}

#[tokio::test]
async fn evictions_by_capacity_are_counted_with_cause_size() {
    LazyLock::force(&TELEMETRY);
    let runs = Arc::new(AtomicUsize::new(0));
    let cache = cached("ev_size_cache", doubling("ev_size_load", &runs)).max_capacity(2);
    for key in [1, 2, 3] {
        cache.run(key, &ctx()).await.unwrap();
        cache.run_pending_tasks().await;
    }
    cache.run_pending_tasks().await;

    assert_eq!(cache.entry_count(), 2);
    let scraped = scrape();
    assert_eq!(evictions(&scraped, "ev_size_cache", "size"), 1.0);
    assert_eq!(evictions(&scraped, "ev_size_cache", "expired"), 0.0);
    assert_eq!(cache_value(&scraped, ENTRIES, "ev_size_cache"), 2.0);
    assert_eq!(cache_value(&scraped, MISSES, "ev_size_cache"), 3.0);
}

#[tokio::test]
async fn evictions_by_ttl_are_counted_with_cause_expired() {
    LazyLock::force(&TELEMETRY);
    let runs = Arc::new(AtomicUsize::new(0));
    let cache = cached("ev_ttl_cache", doubling("ev_ttl_load", &runs))
        .time_to_live(Duration::from_millis(50));
    cache.run(1, &ctx()).await.unwrap();
    cache.run(2, &ctx()).await.unwrap();

    // Waiting (not timing): after this, both entries are past their TTL however slow the
    // machine was.
    tokio::time::sleep(Duration::from_millis(150)).await;
    cache.run_pending_tasks().await;
    let scraped = scrape();
    assert_eq!(evictions(&scraped, "ev_ttl_cache", "expired"), 2.0);
    assert_eq!(evictions(&scraped, "ev_ttl_cache", "size"), 0.0);
    assert_eq!(cache_value(&scraped, ENTRIES, "ev_ttl_cache"), 0.0);
    assert_eq!(cache.entry_count(), 0);

    // An expired key loads again.
    assert_eq!(cache.run(1, &ctx()).await.unwrap(), 2);
    cache.run_pending_tasks().await;
    let scraped = scrape();
    assert_eq!(runs.load(SeqCst), 3);
    assert_eq!(cache_value(&scraped, MISSES, "ev_ttl_cache"), 3.0);
    assert_eq!(cache_value(&scraped, HITS, "ev_ttl_cache"), 0.0);
    assert_eq!(cache_value(&scraped, ENTRIES, "ev_ttl_cache"), 1.0);
}

#[tokio::test]
async fn an_error_is_not_cached() {
    LazyLock::force(&TELEMETRY);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let flaky = step("ne_load", move |n: u64, _ctx: Context| {
        let first = counted.fetch_add(1, SeqCst) == 0;
        async move { if first { Err(std::io::Error::other("backend down")) } else { Ok(n * 10) } }
    });
    let cache = cached("ne_cache", flaky);

    let error = cache.run(4, &ctx()).await.unwrap_err();
    // The request that ran the inner primitive gets its error as is.
    match &error {
        Error::Step { step, source } => {
            assert_eq!(step, "ne_load");
            assert_eq!(source.to_string(), "backend down");
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(cache.run(4, &ctx()).await.unwrap(), 40, "the error was not cached");
    assert_eq!(cache.run(4, &ctx()).await.unwrap(), 40);

    assert_eq!(calls.load(SeqCst), 2);
    let scraped = scrape();
    assert_eq!(executions(&scraped, "ne_load", "error"), 1.0);
    assert_eq!(executions(&scraped, "ne_load", "success"), 1.0);
    assert_eq!(executions(&scraped, "ne_cache", "error"), 1.0);
    assert_eq!(executions(&scraped, "ne_cache", "success"), 2.0);
    assert_eq!(cache_value(&scraped, MISSES, "ne_cache"), 2.0);
    assert_eq!(cache_value(&scraped, HITS, "ne_cache"), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiters_on_a_failed_load_get_the_error_under_the_cache_name() {
    LazyLock::force(&TELEMETRY);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let failing = step("sh_load", move |_n: u64, _ctx: Context| {
        counted.fetch_add(1, SeqCst);
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Err::<u64, _>(std::io::Error::other("quota exceeded"))
        }
    });
    let cache = Arc::new(cached("sh_cache", failing));
    let barrier = Arc::new(tokio::sync::Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (cache, barrier) = (Arc::clone(&cache), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                cache.run(1, &ctx()).await
            })
        })
        .collect();
    let mut own = 0;
    for task in tasks {
        match task.await.unwrap().unwrap_err() {
            Error::Step { step, source } if step == "sh_load" => {
                assert_eq!(source.to_string(), "quota exceeded");
                own += 1;
            }
            Error::Step { step, source } => {
                assert_eq!(step, "sh_cache");
                let shared = source.downcast_ref::<SharedLoadError>().expect("a shared load error");
                assert_eq!(shared.to_string(), "step `sh_load` failed: quota exceeded");
                assert_eq!((shared.kind(), shared.origin()), ("step", "sh_load"));
            }
            other => panic!("unexpected error {other:?}"),
        }
    }
    // Every load's own request got the original error; the waiters got the shared one.
    let loads = calls.load(SeqCst);
    assert_eq!(own, loads);
    assert!(loads < 10, "the waiters waited instead of loading");
    let scraped = scrape();
    assert_eq!(cache_value(&scraped, MISSES, "sh_cache"), loads as f64);
    assert_eq!(cache_value(&scraped, HITS, "sh_cache"), 0.0);
    assert_eq!(executions(&scraped, "sh_cache", "error"), 10.0);
}

#[derive(Debug, Clone)]
struct Reply {
    text: String,
    model: String,
    usd: f64,
}

#[tokio::test]
async fn a_hit_on_an_llm_step_records_the_dollars_saved() {
    LazyLock::force(&TELEMETRY);
    let llm = step("sc_llm", |prompt: String, _ctx: Context| async move {
        Ok::<_, std::io::Error>(Reply {
            text: format!("answer to {prompt}"),
            model: "sc-model".to_owned(),
            usd: 0.25,
        })
    });
    let cache = cached("sc_cache", llm)
        .saved_cost(|reply: &Reply| Some(SavedCost::new(&reply.model, "sc-provider", reply.usd)));
    for _ in 0..3 {
        let reply = cache.run("hello".to_owned(), &ctx()).await.unwrap();
        assert_eq!(reply.text, "answer to hello");
    }

    let scraped = scrape();
    let labels = [("model", "sc-model"), ("provider", "sc-provider")];
    assert_eq!(scraped.value("flowmeter_llm_cost_saved_total", &labels), 0.5, "two hits");
    assert!(scraped.find("flowmeter_llm_cost_total", &labels).is_empty(), "hits spend nothing");
    assert_eq!(cache_value(&scraped, HITS, "sc_cache"), 2.0);
    assert_eq!(executions(&scraped, "sc_llm", "success"), 1.0);
}

#[tokio::test]
async fn a_key_function_and_composition_with_other_primitives() {
    LazyLock::force(&TELEMETRY);
    let trim = step("kc_trim", |text: String, _ctx: Context| async move {
        Ok::<_, std::io::Error>(text.trim().to_owned())
    });
    let length = step("kc_length", |text: String, _ctx: Context| async move {
        Ok::<_, std::io::Error>(text.len())
    });
    let pipeline = trim >> cached("kc_cache", length).key(|text: &String| text.to_lowercase());
    assert_eq!(pipeline.run(" Hello ".to_owned(), &ctx()).await.unwrap(), 5);
    assert_eq!(pipeline.run("HELLO".to_owned(), &ctx()).await.unwrap(), 5);

    let scraped = scrape();
    assert_eq!(cache_value(&scraped, MISSES, "kc_cache"), 1.0);
    assert_eq!(cache_value(&scraped, HITS, "kc_cache"), 1.0);
    assert_eq!(executions(&scraped, "kc_length", "success"), 1.0);

    // On the miss the inner step's span is a child of the cache's; the hit has no inner span.
    let cache_spans = spans_named("kc_cache");
    let inner_spans = spans_named("kc_length");
    assert_eq!((cache_spans.len(), inner_spans.len()), (2, 1));
    let parent = inner_spans[0].parent_span_id;
    assert!(cache_spans.iter().any(|s| s.span_context.span_id() == parent));
}
