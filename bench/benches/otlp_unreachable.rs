//! What an instrumented call costs when the OTLP collector is up, hung or down, side by side
//! in one run and one process (one pipeline, gRPC export of spans and metrics every 100 ms,
//! 1 s export timeout, the default 2 048-span queue):
//!
//! - `collector_up`: the in-process OTLP receiver of the tests listens on the endpoint;
//! - `collector_down`: nothing listens (every export is refused and logged once);
//! - `collector_hung`: a listener accepts connections and never answers (every export runs
//!   into its timeout while the span queue fills and drops).
//!
//! Each with `#[instrumented(span = false)]` (metrics only) and `#[instrumented]` (a span
//! through the batch span processor). The claim checked: the call costs the same in all
//! three, because it only ever pushes into a bounded queue.
//!
//! Run: `cargo bench -p flowmeter-bench --features otlp --bench otlp_unreachable`.

use std::hint::black_box;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use flowmeter::otlp::{OtlpConfig, OtlpHandle, Protocol};
use flowmeter::{Telemetry, instrumented};
use flowmeter_testkit::otlp_receiver::{OtlpReceiver, Transport};

#[instrumented(span = false)]
fn metrics_only(x: u64) -> u64 {
    black_box(x)
}

#[instrumented]
fn with_span(x: u64) -> u64 {
    black_box(x)
}

fn bench_calls(c: &mut Criterion, state: &str) {
    let mut group = c.benchmark_group(format!("otlp/{state}"));
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("span_false", |b| b.iter(|| metrics_only(black_box(7))));
    group.bench_function("span", |b| b.iter(|| with_span(black_box(7))));
    group.finish();
}

/// Waits (at most 30 s) until at least one more export has failed than `before`.
fn wait_for_failure(otlp: &OtlpHandle, before: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while otlp.failed_exports() <= before {
        assert!(Instant::now() < deadline, "no export failed within 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn benches(c: &mut Criterion) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let receiver = OtlpReceiver::start_on(Transport::Grpc, port);
    let telemetry = Telemetry::builder()
        .serve(false)
        .ignore_env()
        .otlp(
            OtlpConfig::new()
                .endpoint(receiver.endpoint())
                .protocol(Protocol::Grpc)
                .timeout(Duration::from_secs(1))
                .metric_export_interval(Duration::from_millis(100)),
        )
        .install()
        .expect("install with OTLP");
    let otlp = telemetry.otlp().expect("OTLP is on");

    bench_calls(c, "collector_up");
    let received = receiver.requests();
    let failed_while_up = otlp.failed_exports();

    drop(receiver);
    wait_for_failure(otlp, failed_while_up);
    bench_calls(c, "collector_down");
    let failed_while_down = otlp.failed_exports() - failed_while_up;

    // Accepts and never answers: every export waits for its timeout.
    let hung = TcpListener::bind(("127.0.0.1", port)).expect("the endpoint's port again");
    std::thread::spawn(move || {
        let held: Vec<_> = hung.incoming().collect();
        drop(held);
    });
    let before_hung = otlp.failed_exports();
    wait_for_failure(otlp, before_hung);
    bench_calls(c, "collector_hung");
    let failed_while_hung = otlp.failed_exports() - before_hung;

    println!(
        "OTLP exports: {received} received while up ({failed_while_up} failed); \
         {failed_while_down} failed while down; {failed_while_hung} failed while hung"
    );
    drop(telemetry);
}

criterion_group!(otlp, benches);
criterion_main!(otlp);
