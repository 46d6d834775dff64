//! The overhead of each primitive over the plain code it wraps, side by side in one run:
//!
//! - `sequential/plain_10_calls` vs `sequential/flowmeter_10_steps`: ten async steps called
//!   in turn, against a `Sequential` of ten self-measuring steps (11 executions recorded);
//! - `parallel/join_all_10` vs `parallel/flowmeter_10_branches`: ten futures with
//!   `futures::future::join_all`, against a `Parallel` of ten steps;
//! - `cache/moka_get_hit` vs `cache/flowmeter_cached_hit`: a hit in a bare moka future cache
//!   against a hit through the `Cached` primitive (counted as a hit, timed, traced);
//! - `llm/plain_client_call` vs `llm/flowmeter_llm_call`: a client call returning its usage,
//!   against the same call through `llm_call` (price lookup, cost in picodollars, the cost,
//!   token and duration metrics);
//! - each flowmeter figure twice: metrics only (no tracing subscriber, spans disabled) and
//!   with spans (the OpenTelemetry tracing layer installed, spans created and not exported).
//!
//! Run: `cargo bench -p flowmeter-bench --bench primitives`.

use std::future::{Ready, ready};
use std::hint::black_box;
use std::sync::LazyLock;

use criterion::{Criterion, criterion_group, criterion_main};
use flowmeter::Telemetry;
use flowmeter::llm::Usage;
use flowmeter::primitives::{
    Context, LlmResponse, Parallel, Primitive, Sequential, Step, cached, llm_call, step,
};
use tracing_subscriber::layer::SubscriberExt as _;

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("install telemetry")
});

type StepFn = fn(u64, Context) -> Ready<Result<u64, std::io::Error>>;

fn add_one(x: u64, _ctx: Context) -> Ready<Result<u64, std::io::Error>> {
    ready(Ok(x + 1))
}

async fn plain_add_one(x: u64) -> Result<u64, std::io::Error> {
    Ok(black_box(x) + 1)
}

/// What an LLM client returns: the text and the provider's usage numbers.
async fn client_call(prompt: u64, _ctx: Context) -> Result<LlmResponse<u64>, std::io::Error> {
    let usage = Usage::builder("openai", "gpt-4o")
        .input_tokens(1_200)
        .output_tokens(black_box(prompt) + 300)
        .build()
        .expect("valid usage");
    Ok(LlmResponse { output: prompt, usage })
}

fn steps(prefix: &str) -> Vec<Step<StepFn>> {
    (0..10).map(|i| step(format!("{prefix}_{i}"), add_one as StepFn)).collect()
}

fn with_spans<R>(f: impl FnOnce() -> R) -> R {
    let subscriber = tracing_subscriber::registry().with(TELEMETRY.tracing_layer());
    tracing::subscriber::with_default(subscriber, f)
}

fn benches(c: &mut Criterion) {
    LazyLock::force(&TELEMETRY);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let ctx = Context::new("bench");
    let sequential = Sequential::new(steps("seq")).named("bench_sequential");
    let parallel = Parallel::new(steps("par")).named("bench_parallel");

    let mut group = c.benchmark_group("sequential");
    group.bench_function("plain_10_calls", |b| {
        b.to_async(&rt).iter(|| async {
            let mut x = 0;
            for _ in 0..10 {
                x = plain_add_one(x).await.unwrap();
            }
            x
        })
    });
    group.bench_function("flowmeter_10_steps", |b| {
        b.to_async(&rt).iter(|| sequential.run(black_box(0), &ctx))
    });
    with_spans(|| {
        group.bench_function("flowmeter_10_steps_with_spans", |b| {
            b.to_async(&rt).iter(|| sequential.run(black_box(0), &ctx))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("parallel");
    group.bench_function("join_all_10", |b| {
        b.to_async(&rt).iter(|| futures_util::future::join_all((0..10).map(plain_add_one)))
    });
    group.bench_function("flowmeter_10_branches", |b| {
        b.to_async(&rt).iter(|| parallel.run(black_box(0), &ctx))
    });
    with_spans(|| {
        group.bench_function("flowmeter_10_branches_with_spans", |b| {
            b.to_async(&rt).iter(|| parallel.run(black_box(0), &ctx))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("cache");
    let moka: moka::future::Cache<u64, u64> = moka::future::Cache::new(1_000);
    rt.block_on(moka.insert(7, 8));
    let flowmeter_cache = cached("bench_cache", step("bench_cached_inner", add_one as StepFn));
    rt.block_on(flowmeter_cache.run(7, &ctx)).unwrap();
    group.bench_function("moka_get_hit", |b| {
        b.to_async(&rt).iter(|| async { moka.get(&black_box(7)).await })
    });
    group.bench_function("flowmeter_cached_hit", |b| {
        b.to_async(&rt).iter(|| flowmeter_cache.run(black_box(7), &ctx))
    });
    with_spans(|| {
        group.bench_function("flowmeter_cached_hit_with_spans", |b| {
            b.to_async(&rt).iter(|| flowmeter_cache.run(black_box(7), &ctx))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("llm");
    let llm = llm_call("bench_llm", "openai", "gpt-4o", client_call);
    group.bench_function("plain_client_call", |b| {
        b.to_async(&rt).iter(|| client_call(black_box(7), ctx.clone()))
    });
    group.bench_function("flowmeter_llm_call", |b| {
        b.to_async(&rt).iter(|| llm.run(black_box(7), &ctx))
    });
    with_spans(|| {
        group.bench_function("flowmeter_llm_call_with_spans", |b| {
            b.to_async(&rt).iter(|| llm.run(black_box(7), &ctx))
        })
    });
    group.finish();
}

criterion_group!(primitives, benches);
criterion_main!(primitives);
