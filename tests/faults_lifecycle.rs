//! Faults across the pipeline's lifecycle, for every kind of exit (success, error, panic,
//! dropped future, abort, timeout, deep recursion): before telemetry is installed and after
//! its guard is dropped, instrumented code runs normally, records nothing and never panics;
//! calls that straddle the install or the drop are safe and never unbalance the in-flight
//! gauge; dropping the guard while threads call instrumented code and a client scrapes
//! neither deadlocks nor panics. (tests/lifecycle.rs covers the plain sync case.)
//!
//! One install per process, so this is one test that goes through the phases in order.

mod common;

use std::future::Future;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::time::Duration;

use common::faults::{self, DEADLINE, within, yield_once};
use common::{Exposition, http_get, parse};
use flowmeter::{Telemetry, instrumented};
use futures_util::FutureExt as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use tokio::sync::oneshot;

/// The payload of every panic caused on purpose; the panic hook stays quiet about it.
#[derive(Debug)]
struct Boom;

#[derive(Debug, PartialEq)]
struct Refused;

const DEPTH: u32 = 200;

/// Keeps the names of exported spans, and keeps them past shutdown.
#[derive(Debug, Clone, Default)]
struct SpanNames(Arc<Mutex<Vec<String>>>);

impl SpanExporter for SpanNames {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        self.0.lock().unwrap().extend(batch.into_iter().map(|s| s.name.into_owned()));
        std::future::ready(Ok(()))
    }
}

impl SpanNames {
    fn count(&self, name: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|n| *n == name).count()
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Ok,
    Err,
    Panic,
    Park,
}

#[instrumented]
fn sync_fault(kind: Kind) -> Result<u32, Refused> {
    match kind {
        Kind::Ok | Kind::Park => Ok(7),
        Kind::Err => Err(Refused),
        Kind::Panic => std::panic::panic_any(Boom),
    }
}

#[instrumented]
async fn async_fault(kind: Kind) -> Result<u32, Refused> {
    yield_once().await;
    match kind {
        Kind::Ok => Ok(7),
        Kind::Err => Err(Refused),
        Kind::Panic => std::panic::panic_any(Boom),
        Kind::Park => std::future::pending().await,
    }
}

#[instrumented(skip_all)]
fn recurse(n: u32) -> u32 {
    if n == 0 { 0 } else { recurse(n - 1) + 1 }
}

/// Says it started, then waits forever (until aborted).
#[instrumented]
async fn aborted(started: oneshot::Sender<()>) {
    let _ = started.send(());
    std::future::pending::<()>().await;
}

/// One call of every kind of exit; each behaves exactly as without instrumentation. Records
/// `sync_fault` [1, 1, 1, 0], `async_fault` [1, 1, 1, 2], `aborted` [0, 0, 0, 1] and
/// `recurse` [DEPTH + 1, 0, 0, 0] (success, error, panic, cancelled) when telemetry is on.
fn every_kind_of_exit() {
    assert_eq!(sync_fault(Kind::Ok), Ok(7));
    assert_eq!(sync_fault(Kind::Err), Err(Refused));
    assert!(catch_unwind(|| sync_fault(Kind::Panic)).unwrap_err().is::<Boom>());
    assert_eq!(recurse(DEPTH), DEPTH);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        assert_eq!(async_fault(Kind::Ok).await, Ok(7));
        assert_eq!(async_fault(Kind::Err).await, Err(Refused));
        let caught = AssertUnwindSafe(async_fault(Kind::Panic)).catch_unwind().await;
        assert!(caught.unwrap_err().is::<Boom>());
        assert!(async_fault(Kind::Park).now_or_never().is_none(), "dropped after one poll");
        let (tx, started) = oneshot::channel();
        let task = tokio::spawn(aborted(tx));
        started.await.unwrap();
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        let timed = tokio::time::timeout(Duration::from_millis(1), async_fault(Kind::Park)).await;
        assert!(timed.is_err());
    });
}

/// Completes when `release` is sent.
#[instrumented]
async fn straddles_install(release: oneshot::Receiver<()>) {
    let _ = release.await;
}

#[instrumented]
async fn dropped_after_install(release: oneshot::Receiver<()>) {
    let _ = release.await;
}

#[instrumented]
async fn straddles_drop(release: oneshot::Receiver<()>) {
    let _ = release.await;
}

#[instrumented]
async fn dropped_after_drop(release: oneshot::Receiver<()>) {
    let _ = release.await;
}

#[instrumented(span = false)]
fn hammered(i: u64) -> u64 {
    i + 1
}

#[instrumented]
fn counted() {}

/// A future polled once (so its execution has started) and kept pending.
fn started<F: Future>(future: F) -> Pin<Box<F>> {
    let mut future = Box::pin(future);
    let poll = future.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert!(poll.is_pending());
    future
}

fn finish<F: Future>(mut future: Pin<Box<F>>) {
    let poll = future.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert!(poll.is_ready());
}

/// The status line of `GET /metrics`, or `None` when the connection is refused or closed
/// without an answer (the endpoint shutting down).
fn status_line(addr: SocketAddr) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(DEADLINE)).ok()?;
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response);
    response.lines().next().filter(|line| !line.is_empty()).map(str::to_owned)
}

/// Waits (under [`DEADLINE`]) until `counter` reaches `at_least`.
fn wait_until(counter: &Arc<AtomicU64>, at_least: u64) {
    let counter = counter.clone();
    within("waiting for progress", move || {
        while counter.load(Ordering::Relaxed) < at_least {
            std::thread::yield_now();
        }
    });
}

fn executions(scraped: &Exposition, site: &str) -> [f64; 5] {
    let value = |status| {
        let labels = [("primitive_name", site), ("status", status)];
        scraped.sum("flowmeter_primitive_executions_total", &labels)
    };
    let active = scraped.value("flowmeter_primitive_active", &[("primitive_name", site)]);
    [value("success"), value("error"), value("panic"), value("cancelled"), active]
}

#[test]
fn before_install_and_after_drop_every_exit_is_safe_and_nothing_is_recorded() {
    faults::quiet_panics_of::<Boom>();
    let spans = SpanNames::default();

    // Before install: everything runs uninstrumented.
    assert!(flowmeter::telemetry::Pipeline::installed().is_none());
    within("calls before install", every_kind_of_exit);
    let (release_a, rx) = oneshot::channel();
    let straddling_install = started(straddles_install(rx));
    let (_release_b, rx) = oneshot::channel();
    let dropped_later = started(dropped_after_install(rx));

    let telemetry = Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .service_name("faults-lifecycle")
        .with_span_exporter(spans.clone())
        .install()
        .expect("install telemetry");
    let addr = telemetry.local_addr().unwrap();
    let scrape = || parse(&http_get(addr, "/metrics").body);

    // Calls that started before install finish or are dropped after it: not counted, and the
    // in-flight gauge they never raised is not lowered either.
    release_a.send(()).unwrap();
    finish(straddling_install);
    drop(dropped_later);
    let scraped = scrape();
    for site in ["sync_fault", "async_fault", "aborted", "recurse", "straddles_install"] {
        assert_eq!(executions(&scraped, site), [0.0; 5], "{site}: nothing before install");
    }
    assert_eq!(executions(&scraped, "dropped_after_install"), [0.0; 5]);
    for site in ["sync_fault", "async_fault", "recurse", "straddles_install"] {
        assert_eq!(spans.count(site), 0, "{site}: no span before install");
    }

    // Installed: the same calls are recorded, which shows the zeros above were real.
    within("calls while installed", every_kind_of_exit);
    counted();
    let scraped = scrape();
    assert_eq!(executions(&scraped, "sync_fault"), [1.0, 1.0, 1.0, 0.0, 0.0]);
    assert_eq!(executions(&scraped, "async_fault"), [1.0, 1.0, 1.0, 2.0, 0.0]);
    assert_eq!(executions(&scraped, "aborted"), [0.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(executions(&scraped, "recurse"), [f64::from(DEPTH) + 1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(spans.count("recurse"), DEPTH as usize + 1);

    // Calls in flight, threads calling and a client scraping while the guard is dropped.
    let (release_c, rx) = oneshot::channel();
    let straddling_drop = started(straddles_drop(rx));
    let (_release_d, rx) = oneshot::channel();
    let dropped_after = started(dropped_after_drop(rx));
    assert_eq!(executions(&scrape(), "straddles_drop")[4], 1.0, "in flight");
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, calls) = (stop.clone(), calls.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(hammered(i), i + 1);
                    i += 1;
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let answered = Arc::new(AtomicU64::new(0));
    let scraper = std::thread::spawn({
        let answered = answered.clone();
        // Until the endpoint is gone: every scrape is answered 200, or refused or closed
        // unanswered once shutdown has begun.
        move || {
            while let Some(status) = status_line(addr) {
                assert!(status.ends_with(" 200 OK"), "{status}");
                answered.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    wait_until(&calls, 1_000);
    wait_until(&answered, 3);
    let pipeline = telemetry.pipeline();
    within("dropping the guard under load", move || drop(telemetry));
    wait_until(&calls, calls.load(Ordering::Relaxed) + 1_000);
    stop.store(true, Ordering::Relaxed);
    within("callers stopping", move || {
        for caller in callers {
            caller.join().expect("no caller panicked");
        }
    });
    within("scraper stopping", move || scraper.join().expect("every answer was 200"));

    // After the drop: calls that were in flight end safely; new calls of every kind run
    // normally; nothing is exported and the pipeline renders nothing.
    let spans_at_drop = spans.0.lock().unwrap().len();
    release_c.send(()).unwrap();
    finish(straddling_drop);
    drop(dropped_after);
    within("calls after drop", every_kind_of_exit);
    counted();
    assert_eq!(spans.0.lock().unwrap().len(), spans_at_drop, "no span exported after drop");
    assert_eq!(flowmeter::exporter::render(pipeline), "", "a shut-down pipeline renders nothing");
    assert!(!pipeline.is_enabled(), "a shut-down pipeline records nothing");
}
