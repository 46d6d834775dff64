//! Faults inside the host: panics (sync and async), errors, cancellation (a dropped future,
//! `JoinHandle::abort`, `tokio::time::timeout`, a `select!` loser, a runtime shut down with
//! tasks in flight), nested and recursive calls. Each exit is recorded with its status in the
//! scraped exposition and on the span, the host's own panics and errors reach it unchanged,
//! and `flowmeter_primitive_active` is back to 0 for every call site afterwards.
//!
//! Every test runs under a deadline, so a deadlock is a failure rather than a hang. Each test
//! owns its call sites, so counts are exact while the tests run in parallel. Before install
//! and after the guard is dropped: tests/faults_lifecycle.rs.

mod common;

use std::collections::HashSet;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::LazyLock;
use std::task::{Context, Waker};
use std::time::Duration;

use common::faults::{self, yield_once};
use common::{Exposition, http_get, parse};
use flowmeter::{Telemetry, instrumented};
use futures_util::FutureExt as _;
use opentelemetry::trace::Status as SpanStatus;
use opentelemetry_sdk::trace::InMemorySpanExporter;
use tokio::sync::oneshot;

static SPANS: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .service_name("faults")
        .with_span_exporter(SPANS.clone())
        .install()
        .expect("install telemetry")
});

/// The payload of every panic the tests cause on purpose; the panic hook stays quiet about it.
#[derive(Debug)]
struct Boom;

#[derive(Debug, PartialEq)]
struct Refused;

/// Runs `f` with the pipeline installed, under the deadline of [`faults::within`], with the
/// planned panics quiet.
fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    faults::quiet_panics_of::<Boom>();
    LazyLock::force(&TELEMETRY);
    faults::within("the test", f)
}

fn scrape() -> Exposition {
    let response = http_get(TELEMETRY.local_addr().expect("serving"), "/metrics");
    assert_eq!(response.status, 200);
    parse(&response.body)
}

/// Asserts `site`'s executions (and timed durations) per status, `[success, error, panic,
/// cancelled]`, and that nothing of it is left in flight.
fn assert_recorded(scraped: &Exposition, site: &str, expected: [u64; 4]) {
    for (status, expected) in ["success", "error", "panic", "cancelled"].into_iter().zip(expected) {
        let labels = [("primitive_name", site), ("status", status)];
        let counted = scraped.sum("flowmeter_primitive_executions_total", &labels);
        let timed = scraped.sum("flowmeter_execution_duration_seconds_count", &labels);
        assert_eq!((counted, timed), (expected as f64, expected as f64), "{site} {status}");
    }
    let active = scraped.value("flowmeter_primitive_active", &[("primitive_name", site)]);
    assert_eq!(active, 0.0, "{site} left in flight");
}

/// The `status` attribute of every exported span of `site`, sorted; asserts that exactly the
/// failed ones carry the OpenTelemetry error status.
fn span_statuses(site: &str) -> Vec<String> {
    let spans = SPANS.get_finished_spans().unwrap();
    let mut statuses: Vec<String> = spans
        .iter()
        .filter(|s| s.name == site)
        .map(|s| {
            // A success records no `status` (its OpenTelemetry status stays Unset).
            let status = s.attributes.iter().find(|kv| kv.key.as_str() == "status");
            let status = status.map_or_else(|| "success".to_owned(), |kv| kv.value.to_string());
            let is_error = matches!(s.status, SpanStatus::Error { .. });
            assert_eq!(is_error, status != "success", "{site}: {status} vs {:?}", s.status);
            status
        })
        .collect();
    statuses.sort();
    statuses
}

fn n_times(n: usize, status: &str) -> Vec<String> {
    vec![status.to_owned(); n]
}

fn runtime(multi_thread: bool) -> tokio::runtime::Runtime {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    // Two workers for the multi-thread runtime; no effect on the current-thread one.
    builder.worker_threads(2).enable_all().build().unwrap()
}

/// Says it started, then never finishes.
async fn park(started: Option<oneshot::Sender<()>>) {
    if let Some(started) = started {
        let _ = started.send(());
    }
    std::future::pending::<()>().await;
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Ok,
    Err,
    Panic,
}

#[instrumented]
fn sync_fault(kind: Kind) -> Result<u32, Refused> {
    match kind {
        Kind::Ok => Ok(7),
        Kind::Err => Err(Refused),
        Kind::Panic => std::panic::panic_any(Boom),
    }
}

#[test]
fn sync_successes_errors_and_panics_are_recorded_and_reach_the_host_unchanged() {
    within(|| {
        for _ in 0..3 {
            assert_eq!(sync_fault(Kind::Ok), Ok(7));
        }
        for _ in 0..2 {
            assert_eq!(sync_fault(Kind::Err), Err(Refused));
        }
        for _ in 0..4 {
            let payload = catch_unwind(|| sync_fault(Kind::Panic)).unwrap_err();
            assert!(payload.is::<Boom>(), "the host's own panic payload propagates");
        }
        assert_recorded(&scrape(), "sync_fault", [3, 2, 4, 0]);
        let expected = [n_times(2, "error"), n_times(4, "panic"), n_times(3, "success")];
        assert_eq!(span_statuses("sync_fault"), expected.concat());
    });
}

#[instrumented]
async fn panics_after_await() {
    yield_once().await;
    std::panic::panic_any(Boom);
}

#[instrumented]
async fn panics_on_first_poll() {
    std::panic::panic_any(Boom);
}

#[instrumented]
async fn async_err() -> Result<(), Refused> {
    yield_once().await;
    Err(Refused)
}

#[test]
fn async_panics_are_recorded_as_panic_whether_caught_by_tokio_or_catch_unwind() {
    within(|| {
        for multi_thread in [true, false] {
            runtime(multi_thread).block_on(async {
                for _ in 0..3 {
                    let joined = tokio::spawn(panics_after_await()).await.unwrap_err();
                    assert!(joined.into_panic().is::<Boom>(), "JoinError carries the panic");
                }
                let joined = tokio::spawn(panics_on_first_poll()).await.unwrap_err();
                assert!(joined.is_panic());
                let caught = AssertUnwindSafe(panics_after_await()).catch_unwind().await;
                assert!(caught.unwrap_err().is::<Boom>());
                assert_eq!(async_err().await, Err(Refused));
            });
        }
        let scraped = scrape();
        assert_recorded(&scraped, "panics_after_await", [0, 0, 8, 0]);
        assert_recorded(&scraped, "panics_on_first_poll", [0, 0, 2, 0]);
        assert_recorded(&scraped, "async_err", [0, 2, 0, 0]);
        assert_eq!(span_statuses("panics_after_await"), n_times(8, "panic"));
        assert_eq!(span_statuses("async_err"), n_times(2, "error"));
    });
}

#[instrumented]
async fn dropped_after_two_polls() {
    yield_once().await;
    yield_once().await;
    yield_once().await;
}

#[instrumented]
async fn never_polled() {}

#[instrumented]
async fn aborted(started: Option<oneshot::Sender<()>>) {
    park(started).await;
}

#[instrumented]
async fn aborted_before_first_poll() {}

#[instrumented]
async fn timed_out() {
    park(None).await;
}

#[instrumented]
async fn select_loser() {
    park(None).await;
}

#[instrumented]
async fn in_flight_at_runtime_shutdown(started: Option<oneshot::Sender<()>>) {
    park(started).await;
}

#[test]
fn every_kind_of_cancellation_is_recorded_as_cancelled() {
    within(|| {
        // A future polled partway (two of its three suspensions), then dropped.
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..3 {
            let mut future = pin!(dropped_after_two_polls());
            for _ in 0..2 {
                assert!(future.as_mut().poll(&mut cx).is_pending());
            }
        }
        // Created and dropped unpolled: its body never started, so nothing is recorded.
        drop(never_polled());

        let rt = runtime(true);
        rt.block_on(async {
            for _ in 0..4 {
                let (tx, started) = oneshot::channel();
                let task = tokio::spawn(aborted(Some(tx)));
                started.await.unwrap();
                task.abort();
                assert!(task.await.unwrap_err().is_cancelled());
            }
            for _ in 0..5 {
                let result = tokio::time::timeout(Duration::from_millis(1), timed_out()).await;
                assert!(result.is_err(), "timed out");
            }
            for _ in 0..2 {
                tokio::select! {
                    biased; // the loser is polled first, so it has started when it loses
                    () = select_loser() => unreachable!("parks forever"),
                    () = tokio::time::sleep(Duration::from_millis(1)) => {}
                }
            }
            for _ in 0..3 {
                let (tx, started) = oneshot::channel();
                drop(tokio::spawn(in_flight_at_runtime_shutdown(Some(tx))));
                started.await.unwrap();
            }
        });
        let in_flight = scrape();
        let active = [("primitive_name", "in_flight_at_runtime_shutdown")];
        assert_eq!(in_flight.value("flowmeter_primitive_active", &active), 3.0);
        drop(rt); // drops the three parked tasks

        // On a current-thread runtime a task spawned and aborted before the spawner yields
        // is never polled: not counted.
        runtime(false).block_on(async {
            let task = tokio::spawn(aborted_before_first_poll());
            task.abort();
            assert!(task.await.unwrap_err().is_cancelled());
        });

        let scraped = scrape();
        assert_recorded(&scraped, "dropped_after_two_polls", [0, 0, 0, 3]);
        assert_recorded(&scraped, "never_polled", [0; 4]);
        assert_recorded(&scraped, "aborted", [0, 0, 0, 4]);
        assert_recorded(&scraped, "aborted_before_first_poll", [0; 4]);
        assert_recorded(&scraped, "timed_out", [0, 0, 0, 5]);
        assert_recorded(&scraped, "select_loser", [0, 0, 0, 2]);
        assert_recorded(&scraped, "in_flight_at_runtime_shutdown", [0, 0, 0, 3]);
        assert_eq!(span_statuses("aborted"), n_times(4, "cancelled"));
        assert_eq!(span_statuses("timed_out"), n_times(5, "cancelled"));
        assert_eq!(span_statuses("in_flight_at_runtime_shutdown"), n_times(3, "cancelled"));
        assert!(span_statuses("never_polled").is_empty());
    });
}

const DEPTH: u32 = 200;

#[instrumented(skip_all)]
fn countdown(n: u32) -> u32 {
    if n == 0 { 0 } else { countdown(n - 1) + 1 }
}

#[instrumented(skip_all)]
fn dive_then_panic(n: u32) -> u32 {
    if n == 0 { std::panic::panic_any(Boom) } else { dive_then_panic(n - 1) + 1 }
}

#[instrumented(skip_all)]
fn dive_then_fail(n: u32) -> Result<u32, Refused> {
    if n == 0 { Err(Refused) } else { Ok(dive_then_fail(n - 1)? + 1) }
}

#[instrumented(skip_all)]
async fn descend(n: u32) -> u32 {
    if n == 0 {
        yield_once().await;
        0
    } else {
        let deeper: Pin<Box<dyn Future<Output = u32>>> = Box::pin(descend(n - 1));
        deeper.await + 1
    }
}

#[instrumented]
fn inner_panics() {
    std::panic::panic_any(Boom);
}

#[instrumented]
fn outer_catches() -> bool {
    catch_unwind(inner_panics).is_err()
}

#[instrumented]
fn outer_propagates() {
    inner_propagated();
}

#[instrumented]
fn inner_propagated() {
    std::panic::panic_any(Boom);
}

#[test]
fn nested_and_recursive_calls_record_every_level_with_its_own_exit() {
    within(|| {
        let levels = u64::from(DEPTH) + 1;
        assert_eq!(countdown(DEPTH), DEPTH);
        assert!(catch_unwind(|| dive_then_panic(DEPTH)).unwrap_err().is::<Boom>());
        assert_eq!(dive_then_fail(DEPTH), Err(Refused));
        assert!(outer_catches(), "the inner panic reached the outer call");
        assert!(catch_unwind(outer_propagates).is_err());
        // Async recursion: once to the end, once polled until every level is suspended and
        // then dropped from the top, which cancels all of them.
        let rt = runtime(false);
        assert_eq!(rt.block_on(descend(DEPTH)), DEPTH);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(pin!(descend(DEPTH)).poll(&mut cx).is_pending());

        let scraped = scrape();
        assert_recorded(&scraped, "countdown", [levels, 0, 0, 0]);
        assert_recorded(&scraped, "dive_then_panic", [0, 0, levels, 0]);
        assert_recorded(&scraped, "dive_then_fail", [0, levels, 0, 0]);
        assert_recorded(&scraped, "descend", [levels, 0, 0, levels]);
        assert_recorded(&scraped, "inner_panics", [0, 0, 1, 0]);
        assert_recorded(&scraped, "outer_catches", [1, 0, 0, 0]);
        assert_recorded(&scraped, "inner_propagated", [0, 0, 1, 0]);
        assert_recorded(&scraped, "outer_propagates", [0, 0, 1, 0]);

        // The recursion is one trace, each level the child of the one above.
        let spans: Vec<_> = SPANS
            .get_finished_spans()
            .unwrap()
            .into_iter()
            .filter(|s| s.name == "countdown")
            .collect();
        assert_eq!(spans.len() as u64, levels);
        let roots = spans
            .iter()
            .filter(|s| !spans.iter().any(|p| p.span_context.span_id() == s.parent_span_id));
        assert_eq!(roots.count(), 1, "one root; every other level's parent is a level above");
        let parents: HashSet<_> = spans.iter().map(|s| s.parent_span_id).collect();
        assert_eq!(parents.len() as u64, levels, "a chain: no two levels share a parent");
        assert_eq!(span_statuses("dive_then_panic"), n_times(levels as usize, "panic"));
    });
}

#[instrumented(span = false)]
async fn held_open(started: Option<oneshot::Sender<()>>) {
    park(started).await;
}

#[test]
fn the_in_flight_gauge_counts_open_calls_and_returns_to_zero_when_they_are_dropped() {
    within(|| {
        let rt = runtime(true);
        let tasks: Vec<_> = rt.block_on(async {
            let mut tasks = Vec::new();
            for _ in 0..25 {
                let (tx, started) = oneshot::channel();
                tasks.push(tokio::spawn(held_open(Some(tx))));
                started.await.unwrap();
            }
            tasks
        });
        let active = [("primitive_name", "held_open")];
        assert_eq!(scrape().value("flowmeter_primitive_active", &active), 25.0);
        for task in &tasks[..10] {
            task.abort();
        }
        rt.block_on(async {
            for task in tasks.into_iter().take(10) {
                assert!(task.await.unwrap_err().is_cancelled());
            }
        });
        assert_eq!(scrape().value("flowmeter_primitive_active", &active), 15.0);
        drop(rt);
        assert_recorded(&scrape(), "held_open", [0, 0, 0, 25]);
    });
}
