//! The mean cost of an instrumented call under a 1% ratio sampler, the way services keep
//! spans on in production: `parentbased_traceidratio` at 0.01, so one root in a hundred is
//! sampled (its span built and exported, discarded here) and the rest cost no span. A
//! process of its own, because the pipeline's sampler is fixed at install.
//!
//! | id | what |
//! |---|---|
//! | `flowmeter_span_false` | `#[instrumented(span = false)]`, a root: the metrics alone |
//! | `flowmeter_span_ratio_1pct` | `#[instrumented]`, a root |
//! | `tracing_instrument_ratio_1pct` | `#[tracing::instrument]`, a root, through the same subscriber |
//! | `*_trace3` | a root calling two children of the same kind: one trace of three calls, the shape of a handler calling two functions (divide by 3 for per call) |
//!
//! Groups: `sync_1_thread`, `async_1_thread`, `sync_2_threads` (as in `per_call`).
//!
//! Run: `cargo bench -p flowmeter-bench --bench sampling_ratio`.

#[path = "shared/contestants.rs"]
mod contestants;

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::Duration;

use contestants::*;
use criterion::{Criterion, criterion_group, criterion_main};
use flowmeter::telemetry::Sampler;
use flowmeter::{Telemetry, instrumented};
use flowmeter_bench::{DiscardExporter, two};

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .sampler(Sampler::ParentBasedTraceIdRatio(0.01))
        .with_span_exporter(DiscardExporter)
        .install()
        .expect("install flowmeter")
});

#[instrumented(span = false)]
#[inline(never)]
fn flowmeter_span_false_trace3(x: u64) -> u64 {
    flowmeter_span_false(x) ^ flowmeter_span_false(x + 1)
}

#[instrumented]
#[inline(never)]
fn flowmeter_trace3(x: u64) -> u64 {
    flowmeter_span(x) ^ flowmeter_span(x + 1)
}

#[tracing::instrument]
#[inline(never)]
fn tracing_instrument_trace3(x: u64) -> u64 {
    tracing_instrument(x) ^ tracing_instrument(x + 1)
}

/// A contestant: the row's id and the call.
type Row = (&'static str, fn(u64) -> u64);

/// The rows of the sync groups.
const ROWS: [Row; 6] = [
    ("flowmeter_span_false", flowmeter_span_false),
    ("flowmeter_span_ratio_1pct", flowmeter_span),
    ("tracing_instrument_ratio_1pct", tracing_instrument),
    ("flowmeter_span_false_trace3", flowmeter_span_false_trace3),
    ("flowmeter_span_ratio_1pct_trace3", flowmeter_trace3),
    ("tracing_instrument_ratio_1pct_trace3", tracing_instrument_trace3),
];

fn sampling_ratio(c: &mut Criterion) {
    LazyLock::force(&TELEMETRY);
    let mut g = c.benchmark_group("sync_1_thread");
    for (id, call) in ROWS {
        g.bench_function(id, |b| b.iter(|| call(black_box(7))));
    }
    g.finish();

    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let mut g = c.benchmark_group("async_1_thread");
    g.bench_function("flowmeter_span_false", |b| {
        b.to_async(&rt).iter(|| flowmeter_span_false_async(black_box(7)))
    });
    g.bench_function("flowmeter_span_ratio_1pct", |b| {
        b.to_async(&rt).iter(|| flowmeter_span_async(black_box(7)))
    });
    g.bench_function("tracing_instrument_ratio_1pct", |b| {
        b.to_async(&rt).iter(|| tracing_instrument_async(black_box(7)))
    });
    g.finish();

    let mut g = c.benchmark_group("sync_2_threads");
    for (id, call) in ROWS {
        g.bench_function(id, two(&move || call(black_box(7)), None));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = sampling_ratio
}
criterion_main!(benches);
