//! The cost of one instrumented call, flowmeter and its peers side by side in one run.
//!
//! Every contestant wraps the same body ([`work`]) and records what its library records by
//! default for a call:
//!
//! | id | what |
//! |---|---|
//! | `bare` | the function alone |
//! | `floor` | two clock reads + one bound counter add + one bound histogram record |
//! | `flowmeter_span_false` | `#[instrumented(span = false)]` |
//! | `flowmeter_span_sampled` | `#[instrumented]` through flowmeter's own subscriber, inside a sampled remote parent (`traceparent` flags `01`): sampled and exported (discarded) |
//! | `flowmeter_span_unsampled_parent` | the same call inside a remote parent that is not sampled (flags `00`) |
//! | `flowmeter_span_unsampled_root` | the same call as a root (no parent), which `parentbased_always_off` does not sample |
//! | `otel_hand_written` | `Instant` + unbound `Counter::add` + `Histogram::record`, 3 attributes |
//! | `autometrics` | `#[autometrics]` (autometrics 3, prometheus-client backend) |
//! | `metrics_crate` | `counter!` + `histogram!` with 3 labels (metrics 0.24 + metrics-exporter-prometheus) |
//! | `tracing_instrument_*` | `#[tracing::instrument]` through the same subscriber, in each of the same three cases (the SDK's sampler decides when the span starts) |
//! | `tracing_instrument_same_fields_sampled` | `#[tracing::instrument]` with flowmeter's two static span attributes (`primitive.name`, `primitive.type`) added through `fields(...)`: the same span as `flowmeter_span_sampled`, without the metrics |
//!
//! One pipeline, sampler `parentbased_always_off` (flowmeter's standard sampler, decided as
//! users' are): the parent decides, and a root is not sampled. Exemplars are on (the default):
//! `flowmeter_span_sampled` keeps its ids as its bucket's exemplar; `FLOWMETER_BENCH_EXEMPLARS=off`
//! runs the same without, for the A/B rows of BENCHMARKS.md. The 1% ratio sampler has its
//! own process: `benches/sampling_ratio.rs`.
//!
//! Groups: `clock` (the two monotonic clocks considered for the hot path), `sync_1_thread`, `async_1_thread` (a current-thread tokio runtime), and
//! `sync_2_threads` (the time per call on one thread while a second thread calls the same
//! call site as fast as it can).
//!
//! Run: `cargo bench -p flowmeter-bench --bench per_call`.

#[path = "shared/contestants.rs"]
mod contestants;

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use autometrics::autometrics;
use contestants::*;
use criterion::{Criterion, criterion_group, criterion_main};
use flowmeter::Telemetry;
use flowmeter::telemetry::Sampler;
use flowmeter_bench::{DiscardExporter, exemplars_from_env, remote_parent, two, work};
use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    BoundCounter, BoundHistogram, Counter, Histogram, MeterProvider as _,
};

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .sampler(Sampler::ParentBasedAlwaysOff)
        .exemplars(exemplars_from_env())
        .with_span_exporter(DiscardExporter)
        .install()
        .expect("install flowmeter")
});

static AUTOMETRICS: LazyLock<&'static autometrics::settings::AutometricsSettings> = LazyLock::new(
    || {
        autometrics::settings::AutometricsSettings::builder()
            .prometheus_client_registry(prometheus_client_autometrics::registry::Registry::default())
            .init()
    },
);

static METRICS_HANDLE: LazyLock<metrics_exporter_prometheus::PrometheusHandle> =
    LazyLock::new(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("install the metrics recorder")
    });

// ---- the contestants, sync ----

#[inline(never)]
fn bare(x: u64) -> u64 {
    work(x)
}

#[autometrics]
#[inline(never)]
fn autometrics_call(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
fn metrics_crate(x: u64) -> u64 {
    let start = Instant::now();
    let out = work(x);
    let labels = [("function", "metrics_crate"), ("module", "bench"), ("result", "ok")];
    metrics::counter!("function_calls_total", &labels).increment(1);
    metrics::histogram!("function_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    out
}

/// `#[tracing::instrument]` with the span content of `#[instrumented]`: the difference to
/// `flowmeter_span_sampled` is what flowmeter's metrics add to a sampled span, and the
/// difference to `tracing_instrument_sampled` is what the two attributes cost.
#[tracing::instrument(fields(primitive.name = "tracing_instrument_same_fields", primitive.type = "function"))]
#[inline(never)]
fn tracing_instrument_same_fields(x: u64) -> u64 {
    work(x)
}

// ---- the contestants, async ----

#[inline(never)]
async fn bare_async(x: u64) -> u64 {
    work(x)
}

#[autometrics]
async fn autometrics_async(x: u64) -> u64 {
    work(x)
}

async fn metrics_crate_async(x: u64) -> u64 {
    let start = Instant::now();
    let out = bare_async(x).await;
    let labels = [("function", "metrics_crate_async"), ("module", "bench"), ("result", "ok")];
    metrics::counter!("function_calls_total", &labels).increment(1);
    metrics::histogram!("function_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    out
}

#[tracing::instrument(fields(primitive.name = "tracing_instrument_same_fields_async", primitive.type = "function"))]
async fn tracing_instrument_same_fields_async(x: u64) -> u64 {
    work(x)
}

/// The least any metrics instrumentation must do per call.
struct Floor {
    count: BoundCounter<u64>,
    duration: BoundHistogram<f64>,
}

impl Floor {
    #[inline(never)]
    fn call(&self, x: u64) -> u64 {
        let start = quanta::Instant::now();
        let out = work(x);
        self.count.add(1);
        self.duration.record(start.elapsed().as_secs_f64());
        out
    }
}

/// OpenTelemetry written by hand the way most users write it.
struct HandWritten {
    count: Counter<u64>,
    duration: Histogram<f64>,
}

impl HandWritten {
    #[inline(never)]
    fn call(&self, x: u64) -> u64 {
        let start = Instant::now();
        let out = work(x);
        self.record(start);
        out
    }

    async fn call_async(&self, x: u64) -> u64 {
        let start = Instant::now();
        let out = bare_async(x).await;
        self.record(start);
        out
    }

    fn record(&self, start: Instant) {
        let attrs = [
            KeyValue::new("function", "hand_written"),
            KeyValue::new("module", "bench"),
            KeyValue::new("result", "ok"),
        ];
        self.count.add(1, &attrs);
        self.duration.record(start.elapsed().as_secs_f64(), &attrs);
    }
}

struct Peers {
    floor: Floor,
    hand: HandWritten,
}

fn setup() -> Peers {
    let meter = TELEMETRY.pipeline().meter_provider().meter("bench");
    let attrs = [
        KeyValue::new("function", "floor"),
        KeyValue::new("module", "bench"),
        KeyValue::new("result", "ok"),
    ];
    let floor = Floor {
        count: meter.u64_counter("bench.floor.calls").build().bind(&attrs),
        duration: meter.f64_histogram("bench.floor.duration").with_unit("s").build().bind(&attrs),
    };
    let hand = HandWritten {
        count: meter.u64_counter("bench.hand.calls").build(),
        duration: meter.f64_histogram("bench.hand.duration").with_unit("s").build(),
    };
    LazyLock::force(&METRICS_HANDLE);
    LazyLock::force(&AUTOMETRICS);
    check_every_peer_records(&floor, &hand);
    Peers { floor, hand }
}

/// Each contestant must really record, or the comparison means nothing: call each once and
/// look for its series in its own exposition.
fn check_every_peer_records(floor: &Floor, hand: &HandWritten) {
    floor.call(1);
    hand.call(1);
    flowmeter_span_false(1);
    metrics_crate(1);
    autometrics_call(1);
    let flowmeter = TELEMETRY.render();
    for needle in [
        "flowmeter_primitive_executions_total{primitive_name=\"flowmeter_span_false\"",
        "bench_floor_calls_total",
        "bench_hand_calls_total",
    ] {
        assert!(flowmeter.contains(needle), "flowmeter exposition lacks {needle}:\n{flowmeter}");
    }
    let metrics = METRICS_HANDLE.render();
    assert!(metrics.contains("function_calls_total{function=\"metrics_crate\""), "{metrics}");
    let mut autometrics = String::new();
    prometheus_client_autometrics::encoding::text::encode(
        &mut autometrics,
        AUTOMETRICS.prometheus_client_registry(),
    )
    .expect("encode autometrics registry");
    assert!(autometrics.contains("function=\"autometrics_call\""), "{autometrics}");
}

/// The three sampling cases every spanned contestant runs in: the row's suffix, and the
/// remote parent the calls run in (`Some(sampled)`), or none (a root, not sampled).
const CASES: [(&str, Option<bool>); 3] =
    [("sampled", Some(true)), ("unsampled_parent", Some(false)), ("unsampled_root", None)];

/// Runs `bench` inside [`remote_parent`]`(sampled)` when `parent` is `Some(sampled)`.
fn under<R>(parent: Option<bool>, bench: impl FnOnce() -> R) -> R {
    let _parent = parent.map(|sampled| remote_parent(sampled).attach());
    bench()
}

fn sync_one_thread(c: &mut Criterion, peers: &Peers) {
    let mut g = c.benchmark_group("sync_1_thread");
    g.bench_function("bare", |b| b.iter(|| bare(black_box(7))));
    g.bench_function("floor", |b| b.iter(|| peers.floor.call(black_box(7))));
    g.bench_function("flowmeter_span_false", |b| b.iter(|| flowmeter_span_false(black_box(7))));
    for (case, parent) in CASES {
        under(parent, || {
            g.bench_function(format!("flowmeter_span_{case}"), |b| {
                b.iter(|| flowmeter_span(black_box(7)))
            });
            g.bench_function(format!("tracing_instrument_{case}"), |b| {
                b.iter(|| tracing_instrument(black_box(7)))
            });
        });
    }
    under(Some(true), || {
        g.bench_function("tracing_instrument_same_fields_sampled", |b| {
            b.iter(|| tracing_instrument_same_fields(black_box(7)))
        })
    });
    g.bench_function("otel_hand_written", |b| b.iter(|| peers.hand.call(black_box(7))));
    g.bench_function("autometrics", |b| b.iter(|| autometrics_call(black_box(7))));
    g.bench_function("metrics_crate", |b| b.iter(|| metrics_crate(black_box(7))));
    g.finish();
}

fn async_one_thread(c: &mut Criterion, peers: &Peers) {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let mut g = c.benchmark_group("async_1_thread");
    g.bench_function("bare", |b| b.to_async(&rt).iter(|| bare_async(black_box(7))));
    g.bench_function("flowmeter_span_false", |b| {
        b.to_async(&rt).iter(|| flowmeter_span_false_async(black_box(7)))
    });
    // A current-thread runtime polls on this thread, inside the attached parent.
    for (case, parent) in CASES {
        under(parent, || {
            g.bench_function(format!("flowmeter_span_{case}"), |b| {
                b.to_async(&rt).iter(|| flowmeter_span_async(black_box(7)))
            });
            g.bench_function(format!("tracing_instrument_{case}"), |b| {
                b.to_async(&rt).iter(|| tracing_instrument_async(black_box(7)))
            });
        });
    }
    under(Some(true), || {
        g.bench_function("tracing_instrument_same_fields_sampled", |b| {
            b.to_async(&rt).iter(|| tracing_instrument_same_fields_async(black_box(7)))
        })
    });
    g.bench_function("otel_hand_written", |b| {
        b.to_async(&rt).iter(|| peers.hand.call_async(black_box(7)))
    });
    g.bench_function("autometrics", |b| b.to_async(&rt).iter(|| autometrics_async(black_box(7))));
    g.bench_function("metrics_crate", |b| {
        b.to_async(&rt).iter(|| metrics_crate_async(black_box(7)))
    });
    g.finish();
}

fn sync_two_threads(c: &mut Criterion, peers: &Peers) {
    let mut g = c.benchmark_group("sync_2_threads");
    g.bench_function("bare", two(&|| bare(black_box(7)), None));
    g.bench_function("floor", two(&|| peers.floor.call(black_box(7)), None));
    g.bench_function("flowmeter_span_false", two(&|| flowmeter_span_false(black_box(7)), None));
    for (case, parent) in CASES {
        let id = format!("flowmeter_span_{case}");
        g.bench_function(id, two(&|| flowmeter_span(black_box(7)), parent));
        let id = format!("tracing_instrument_{case}");
        g.bench_function(id, two(&|| tracing_instrument(black_box(7)), parent));
    }
    g.bench_function(
        "tracing_instrument_same_fields_sampled",
        two(&|| tracing_instrument_same_fields(black_box(7)), Some(true)),
    );
    g.bench_function("otel_hand_written", two(&|| peers.hand.call(black_box(7)), None));
    g.bench_function("autometrics", two(&|| autometrics_call(black_box(7)), None));
    g.bench_function("metrics_crate", two(&|| metrics_crate(black_box(7)), None));
    g.finish();
}

fn clocks(c: &mut Criterion) {
    let mut g = c.benchmark_group("clock");
    g.bench_function("std_instant_now", |b| b.iter(Instant::now));
    g.bench_function("quanta_instant_now", |b| b.iter(quanta::Instant::now));
    g.finish();
}

fn per_call(c: &mut Criterion) {
    clocks(c);
    let peers = setup();
    sync_one_thread(c, &peers);
    async_one_thread(c, &peers);
    sync_two_threads(c, &peers);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = per_call
}
criterion_main!(benches);
