//! Span exporters that block, are slow, or fail, each behind an OpenTelemetry
//! `BatchSpanProcessor` with a small bounded queue, installed with
//! `TelemetryBuilder::with_span_processor`: 10 000 instrumented calls with spans all complete
//! while one exporter is blocked, their metrics are exact, and each processor drops what does
//! not fit in its queue (counted by the SDK's `otel.sdk.processor.span.processed` with
//! `error.type="queue_full"`) instead of buffering without bound.
//!
//! No timing is asserted: "never blocks" is shown structurally, by every call returning while
//! the blocked exporter has provably not returned from its first export.

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::faults::{DEADLINE, within};
use common::{Exposition, parse};
use flowmeter::{Telemetry, instrumented};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SpanData, SpanExporter};

/// Each processor's queue: what it may hold while its exporter is busy.
const QUEUE: usize = 64;
/// Spans per export.
const BATCH: usize = 16;
/// Instrumented calls made while the blocking exporter is blocked.
const CALLS: u64 = 10_000;

/// How an exporter misbehaves.
#[derive(Debug, Clone, Copy)]
enum Failure {
    /// Every export waits until the test releases it.
    Blocks,
    /// Every export sleeps, then succeeds.
    Slow(Duration),
    /// Every export fails at once, as for an unreachable collector.
    Errors,
}

/// A misbehaving exporter that counts the spans handed to it and its export calls.
#[derive(Debug, Clone)]
struct Exporter {
    failure: Failure,
    received: Arc<AtomicUsize>,
    exports: Arc<AtomicUsize>,
    released: Arc<(Mutex<bool>, Condvar)>,
}

impl Exporter {
    fn new(failure: Failure) -> Self {
        Exporter {
            failure,
            received: Arc::default(),
            exports: Arc::default(),
            released: Arc::new((Mutex::new(false), Condvar::new())),
        }
    }

    fn release(&self) {
        *self.released.0.lock().unwrap() = true;
        self.released.1.notify_all();
    }

    fn received(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }
}

impl SpanExporter for Exporter {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        // Counted on entry: `exports` > `received` batches means an export has not returned.
        self.exports.fetch_add(1, Ordering::SeqCst);
        let result = match self.failure {
            Failure::Blocks => {
                let (released, changed) = &*self.released;
                // Bounded, as the SpanExporter contract asks, by far more than the test needs.
                let guard = released.lock().unwrap();
                let (_released, wait) =
                    changed.wait_timeout_while(guard, DEADLINE, |r| !*r).unwrap();
                if wait.timed_out() { Err(OTelSdkError::Timeout(DEADLINE)) } else { Ok(()) }
            }
            Failure::Slow(pause) => {
                std::thread::sleep(pause);
                Ok(())
            }
            Failure::Errors => Err(OTelSdkError::InternalFailure("collector unreachable".into())),
        };
        self.received.fetch_add(batch.len(), Ordering::SeqCst);
        std::future::ready(result)
    }
}

fn batch_processor(exporter: &Exporter) -> BatchSpanProcessor {
    let config = BatchConfigBuilder::default()
        .with_max_queue_size(QUEUE)
        .with_max_export_batch_size(BATCH)
        // Exports happen when a batch is full or on flush, not on a timer.
        .with_scheduled_delay(Duration::from_secs(3600))
        .build();
    BatchSpanProcessor::builder(exporter.clone()).with_batch_config(config).build()
}

#[derive(Debug, PartialEq)]
struct Refused;

/// One in five calls fails.
#[instrumented]
fn traced(i: u64) -> Result<u64, Refused> {
    if i.is_multiple_of(5) { Err(Refused) } else { Ok(i) }
}

#[instrumented]
async fn traced_async(i: u64) -> Result<u64, Refused> {
    tokio::task::yield_now().await;
    if i.is_multiple_of(5) { Err(Refused) } else { Ok(i) }
}

/// `CALLS` calls: 6 000 sync ones on four threads, 4 000 async ones in 1 000 tokio tasks.
fn make_calls() {
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || (0..1_500).for_each(|n| _ = traced(t * 1_500 + n)));
        }
    });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..1_000u64)
            .map(|k| {
                tokio::spawn(async move {
                    for j in 0..4 {
                        let _ = traced_async(k * 4 + j).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

/// `otel.sdk.processor.span.processed` per processor (in creation order) and `error.type`
/// (`""` for spans handed to the exporter), as the SDK's own diagnostics count them.
fn processed(diagnostics: &prometheus::Registry) -> Vec<(String, String, f64)> {
    let mut text = String::new();
    prometheus::TextEncoder::new().encode_utf8(&diagnostics.gather(), &mut text).unwrap();
    let scraped: Exposition = parse(&text);
    let mut rows: Vec<_> = scraped
        .find("otel_sdk_processor_span_processed_total", &[])
        .into_iter()
        .map(|s| {
            let component = s.label("otel_component_name").unwrap_or_default().to_owned();
            let error = s.label("error_type").unwrap_or_default().to_owned();
            (component, error, s.value)
        })
        .collect();
    rows.sort_by_key(|(component, error, _)| {
        let instance: u32 = component.rsplit('/').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        (instance, error.clone())
    });
    rows
}

fn dropped(rows: &[(String, String, f64)], component: &str) -> usize {
    let row = rows.iter().find(|(c, e, _)| c == component && e == "queue_full");
    row.map_or(0.0, |(_, _, v)| *v) as usize
}

#[test]
fn blocked_slow_and_failing_exporters_never_block_calls_and_drop_what_does_not_fit() {
    // The SDK counts drops on the global meter provider at the time a processor is built;
    // read them through a registry of the test's own.
    let diagnostics = prometheus::Registry::new();
    let bridge =
        opentelemetry_prometheus::exporter().with_registry(diagnostics.clone()).build().unwrap();
    let diagnostics_provider = SdkMeterProvider::builder().with_reader(bridge).build();
    opentelemetry::global::set_meter_provider(diagnostics_provider.clone());

    let blocking = Exporter::new(Failure::Blocks);
    let slow = Exporter::new(Failure::Slow(Duration::from_millis(20)));
    let failing = Exporter::new(Failure::Errors);
    let telemetry = Telemetry::builder()
        .serve(false)
        .ignore_env()
        .service_name("exporter-failure")
        .with_span_processor(batch_processor(&blocking))
        .with_span_processor(batch_processor(&slow))
        .with_span_processor(batch_processor(&failing))
        .install()
        .expect("install telemetry");

    // One full batch sends the blocking exporter into its first export, where it stays.
    for i in 0..BATCH as u64 {
        let _ = traced(CALLS + i);
    }
    let exports = blocking.exports.clone();
    within("the blocking exporter starting", move || {
        while exports.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
    });

    let started = Instant::now();
    within("10 000 calls while the exporter is blocked", make_calls);
    let elapsed = started.elapsed();
    assert_eq!(
        (blocking.exports.load(Ordering::SeqCst), blocking.received()),
        (1, 0),
        "every call returned while the first export was still blocked"
    );

    // Metrics are exact whatever the spans' fate.
    let total = CALLS + BATCH as u64;
    let scraped = parse(&telemetry.render());
    let count = |site: &str, status: &str| {
        let labels = [("primitive_name", site), ("status", status)];
        scraped.sum("flowmeter_primitive_executions_total", &labels) as u64
    };
    let errors = |n: u64| (0..n).filter(|i| i.is_multiple_of(5)).count() as u64;
    let warm_up_errors = (CALLS..total).filter(|i| i.is_multiple_of(5)).count() as u64;
    assert_eq!(count("traced", "error"), errors(6_000) + warm_up_errors);
    assert_eq!(count("traced", "success"), 6_000 + BATCH as u64 - errors(6_000) - warm_up_errors);
    assert_eq!(count("traced_async", "error"), errors(4_000));
    assert_eq!(count("traced_async", "success"), 4_000 - errors(4_000));

    // Released, then flushed: the blocked processor exports the batch it held and its full
    // queue, nothing more; every other span was dropped and counted as `queue_full`.
    blocking.release();
    let _ = telemetry.pipeline().tracer_provider().force_flush();
    let rows = processed(&diagnostics);
    let components: Vec<&str> = {
        let mut names: Vec<&str> = rows.iter().map(|(c, _, _)| c.as_str()).collect();
        names.dedup();
        names
    };
    assert_eq!(components.len(), 3, "one component per processor: {rows:?}");
    let total = total as usize;
    for (exporter, component) in [&blocking, &slow, &failing].into_iter().zip(&components) {
        let dropped = dropped(&rows, component);
        assert_eq!(exporter.received() + dropped, total, "{component}: every span accounted");
        println!(
            "{:?}: {} spans ended, {} handed to the exporter in {} export calls, {} dropped (queue_full)",
            exporter.failure,
            total,
            exporter.received(),
            exporter.exports.load(Ordering::SeqCst),
            dropped,
        );
    }
    assert_eq!(blocking.received(), BATCH + QUEUE, "held batch + full queue, no more");
    assert_eq!(dropped(&rows, components[0]), total - BATCH - QUEUE);
    assert!(failing.exports.load(Ordering::SeqCst) > 0, "failures were tried and survived");
    println!("{CALLS} calls completed in {elapsed:.2?} while the exporter was blocked");

    within("shutdown", move || drop(telemetry));
    let _ = diagnostics_provider.shutdown();
}
