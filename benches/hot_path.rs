//! The cost of one instrumented call, side by side in one run:
//!
//! - `clock/*`: the two monotonic clocks considered for the hot path;
//! - `call/bare`: the function alone;
//! - `call/floor`: the function plus the least any instrumentation must do (two clock reads,
//!   one bound counter add, one bound histogram record);
//! - `call/instrumented_span_false`: `#[instrumented(span = false)]`;
//! - `call/hand_written_unbound_otel`: the same metrics written by hand the way most users
//!   write OpenTelemetry code (`Instant`, unbound `Counter::add` and `Histogram::record`
//!   with three attributes each call).
//!
//! Run: `cargo bench --bench hot_path`. Overheads are each figure minus `call/bare`.

use std::hint::black_box;
use std::sync::LazyLock;

use criterion::{Criterion, criterion_group, criterion_main};
use flowmeter::{Telemetry, instrumented};
use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    BoundCounter, BoundHistogram, Counter, Histogram, MeterProvider as _,
};

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("install telemetry")
});

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x).wrapping_mul(31).rotate_left(7)
}

#[instrumented(span = false)]
#[inline(never)]
fn instrumented_span_false(x: u64) -> u64 {
    black_box(x).wrapping_mul(31).rotate_left(7)
}

struct Floor {
    count: BoundCounter<u64>,
    duration: BoundHistogram<f64>,
}

impl Floor {
    #[inline(never)]
    fn call(&self, x: u64) -> u64 {
        let start = quanta::Instant::now();
        let out = bare(x);
        self.count.add(1);
        self.duration.record(start.elapsed().as_secs_f64());
        out
    }
}

struct HandWritten {
    count: Counter<u64>,
    duration: Histogram<f64>,
}

impl HandWritten {
    #[inline(never)]
    fn call(&self, x: u64) -> u64 {
        let start = std::time::Instant::now();
        let out = bare(x);
        let attrs = [
            KeyValue::new("primitive_name", "hand_written"),
            KeyValue::new("primitive_type", "function"),
            KeyValue::new("status", "success"),
        ];
        self.count.add(1, &attrs);
        self.duration.record(start.elapsed().as_secs_f64(), &attrs);
        out
    }
}

fn benches(c: &mut Criterion) {
    let meter = TELEMETRY.pipeline().meter_provider().meter("bench");
    let attrs = [
        KeyValue::new("primitive_name", "floor"),
        KeyValue::new("primitive_type", "function"),
        KeyValue::new("status", "success"),
    ];
    let floor_count = meter.u64_counter("bench.floor.executions").build();
    let floor_duration = meter.f64_histogram("bench.floor.duration").with_unit("s").build();
    let floor = Floor { count: floor_count.bind(&attrs), duration: floor_duration.bind(&attrs) };
    let hand = HandWritten {
        count: meter.u64_counter("bench.hand.executions").build(),
        duration: meter.f64_histogram("bench.hand.duration").with_unit("s").build(),
    };

    let mut clock = c.benchmark_group("clock");
    clock.bench_function("std_instant_now", |b| b.iter(std::time::Instant::now));
    clock.bench_function("quanta_instant_now", |b| b.iter(quanta::Instant::now));
    clock.finish();

    let mut call = c.benchmark_group("call");
    call.bench_function("bare", |b| b.iter(|| bare(black_box(7))));
    call.bench_function("floor", |b| b.iter(|| floor.call(black_box(7))));
    call.bench_function("instrumented_span_false", |b| {
        b.iter(|| instrumented_span_false(black_box(7)))
    });
    call.bench_function("hand_written_unbound_otel", |b| b.iter(|| hand.call(black_box(7))));
    call.finish();
}

criterion_group!(hot_path, benches);
criterion_main!(hot_path);
