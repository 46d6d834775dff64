//! Exactness under load: OS threads and thousands of tokio tasks call the same and distinct
//! `#[instrumented]` call sites, with successes, errors, panics and cancellations in known
//! proportions, while another thread scrapes `/metrics` over loopback HTTP the whole time.
//!
//! Every intermediate scrape must be monotonic (no counter, histogram count, bucket or sum
//! ever goes down, no series disappears, in-flight gauges never go negative), and the final
//! scrape must equal the totals computed from the plan, per call site and status.
//!
//! The long variant is `#[ignore]`d; its figures are quoted in RELIABILITY.md:
//! `cargo test --release --test load_exactness -- --ignored --nocapture`.

mod common;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use common::{Exposition, parse, try_http_get};
use flowmeter::{Telemetry, instrumented};
use futures_util::FutureExt as _;

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .service_name("load-exactness")
        .install()
        .expect("install telemetry")
});

/// Both variants use the same call sites; run them one at a time (`--include-ignored`).
static SERIAL: Mutex<()> = Mutex::new(());

const EXECUTIONS: &str = "flowmeter_primitive_executions_total";
const DURATION: &str = "flowmeter_execution_duration_seconds";
const ACTIVE: &str = "flowmeter_primitive_active";
const SITES: [&str; 4] = ["shared_sync", "thread_only", "shared_async", "task_traced"];
const STATUSES: [&str; 4] = ["success", "error", "panic", "cancelled"];

/// How call `i` ends (its `status` label), fixed by its index so the expected totals come
/// from the plan alone. Per 100 calls: 85 succeed, 10 return `Err`, 3 panic, 2 are cancelled
/// (async) or succeed (sync: a sync call cannot be cancelled).
fn plan(i: u64, is_async: bool) -> &'static str {
    match i % 100 {
        0..=84 => "success",
        85..=94 => "error",
        95..=97 => "panic",
        _ if is_async => "cancelled",
        _ => "success",
    }
}

#[derive(Debug, PartialEq)]
struct Refused;

/// The payload of the planned panics; the panic hook stays quiet about these only.
struct PlannedPanic;

fn act(i: u64, is_async: bool) -> Result<u64, Refused> {
    match plan(i, is_async) {
        "error" => Err(Refused),
        "panic" => std::panic::panic_any(PlannedPanic),
        _ => Ok(i),
    }
}

/// Called from every OS thread and every task.
#[instrumented(span = false)]
fn shared_sync(i: u64) -> Result<u64, Refused> {
    act(i, false)
}

#[instrumented(span = false, kind = "thread")]
fn thread_only(i: u64) -> Result<u64, Refused> {
    act(i, false)
}

/// Suspends once (so it may resume on another worker), then ends as planned; a planned
/// cancellation never completes and is dropped by the caller after its first poll.
async fn act_async(i: u64) -> Result<u64, Refused> {
    tokio::task::yield_now().await;
    if plan(i, true) == "cancelled" {
        std::future::pending::<()>().await;
    }
    act(i, true)
}

#[instrumented(span = false)]
async fn shared_async(i: u64) -> Result<u64, Refused> {
    act_async(i).await
}

/// With a span, through the installed tracing subscriber.
#[instrumented(kind = "task")]
async fn task_traced(i: u64) -> Result<u64, Refused> {
    act_async(i).await
}

fn check(i: u64, expected: &str, got: std::thread::Result<Result<u64, Refused>>) {
    match (expected, got) {
        ("success", Ok(Ok(v))) => assert_eq!(v, i),
        ("error", Ok(Err(Refused))) => {}
        ("panic", Err(payload)) => assert!(payload.is::<PlannedPanic>(), "foreign panic"),
        (expected, got) => panic!("call {i}: planned {expected:?}, got {got:?}"),
    }
}

type SyncSite = fn(u64) -> Result<u64, Refused>;

fn call_sync(i: u64, site: SyncSite) {
    check(i, plan(i, false), catch_unwind(|| site(i)));
}

async fn call_async(i: u64, call: impl Future<Output = Result<u64, Refused>>) {
    match plan(i, true) {
        "cancelled" => assert!(call.now_or_never().is_none(), "call {i} should be pending"),
        expected => check(i, expected, AssertUnwindSafe(call).catch_unwind().await),
    }
}

/// The size of one run. Each OS thread alternates `shared_sync` and `thread_only`; each task
/// calls `shared_sync`, `shared_async` and `task_traced` per iteration. Load is released in
/// `rounds`: round `r` starts once `r * scrapes_per_round` scrapes have completed, so at least
/// `(rounds - 1) * scrapes_per_round` scrapes interleave with the calls whatever the speed.
#[derive(Debug, Clone, Copy)]
struct Load {
    threads: u64,
    calls_per_thread: u64,
    tasks: u64,
    iterations_per_task: u64,
    rounds: u64,
    scrapes_per_round: u64,
}

impl Load {
    /// The plan index, call site name and function of a thread's `n`th call. Even calls go to
    /// `shared_sync` and odd ones to `thread_only`, each with consecutive plan indices so both
    /// see the planned proportions.
    fn thread_call(&self, thread: u64, n: u64) -> (u64, &'static str, SyncSite) {
        let i = (thread * self.calls_per_thread + n) / 2;
        if n.is_multiple_of(2) {
            (i, "shared_sync", shared_sync)
        } else {
            (i, "thread_only", thread_only)
        }
    }

    /// Expected executions per (call site, status), enumerated from the plan.
    fn expected(&self) -> BTreeMap<(&'static str, &'static str), u64> {
        let mut totals: BTreeMap<_, u64> =
            SITES.iter().flat_map(|s| STATUSES.map(|st| ((*s, st), 0))).collect();
        let mut add = |site, status| *totals.get_mut(&(site, status)).unwrap() += 1;
        for t in 0..self.threads {
            for n in 0..self.calls_per_thread {
                let (i, site, _) = self.thread_call(t, n);
                add(site, plan(i, false));
            }
        }
        for i in 0..self.tasks * self.iterations_per_task {
            add("shared_sync", plan(i, false));
            add("shared_async", plan(i, true));
            add("task_traced", plan(i, true));
        }
        totals
    }

    fn calls(&self) -> u64 {
        self.threads * self.calls_per_thread + self.tasks * self.iterations_per_task * 3
    }
}

/// A generous bound that turns a stalled scraper or a deadlock into a failure, not a hang.
const STALL: Duration = Duration::from_secs(600);

/// Scrapes completed so far; the load waits on it between rounds.
#[derive(Default)]
struct Progress(AtomicU64);

impl Progress {
    fn count(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    fn reached(&self, target: u64, since: Instant) -> bool {
        assert!(since.elapsed() < STALL, "scraper stalled at {} of {target}", self.count());
        self.count() >= target
    }

    fn wait_blocking(&self, target: u64) {
        let since = Instant::now();
        while !self.reached(target, since) {
            std::thread::sleep(Duration::from_micros(500));
        }
    }

    async fn wait(&self, target: u64) {
        let since = Instant::now();
        while !self.reached(target, since) {
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }
}

/// What the scraping thread saw.
#[derive(Debug, Default)]
struct ScrapeReport {
    scrapes: u64,
    failures: Vec<String>,
    max_active: f64,
}

type SeriesKey = (String, BTreeMap<String, String>);

/// Checks one scrape against the previous one: every counter, histogram bucket, count and
/// sum is at least what it was, no series vanished, in-flight gauges are never negative,
/// and each histogram's `+Inf` bucket equals its `_count` (one snapshot per series).
fn check_scrape(
    previous: &mut BTreeMap<SeriesKey, f64>,
    scraped: &Exposition,
    report: &mut ScrapeReport,
) {
    let family_type = |name: &str| {
        let base = ["_bucket", "_count", "_sum"].iter().find_map(|s| name.strip_suffix(s));
        match (scraped.types.get(name), base.and_then(|b| scraped.types.get(b))) {
            (Some(ty), _) => Some(ty.as_str()),
            (None, Some(ty)) if ty == "histogram" => Some("histogram"),
            _ => None,
        }
    };
    let mut current = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for sample in &scraped.samples {
        let key = (sample.name.clone(), sample.labels.clone());
        match family_type(&sample.name) {
            Some("counter" | "histogram") => {
                if let Some(before) = previous.get(&key)
                    && sample.value < *before
                {
                    report
                        .failures
                        .push(format!("{key:?} went down: {before} -> {}", sample.value));
                }
                current.insert(key, sample.value);
            }
            _ if sample.name == ACTIVE => {
                report.max_active = report.max_active.max(sample.value);
                if sample.value < 0.0 {
                    report.failures.push(format!("{key:?} negative: {}", sample.value));
                }
            }
            _ => {}
        }
        if let Some(base) = sample.name.strip_suffix("_count") {
            counts.insert((base.to_owned(), sample.labels.clone()), sample.value);
        }
    }
    for sample in scraped.samples.iter().filter(|s| s.label("le") == Some("+Inf")) {
        let mut labels = sample.labels.clone();
        labels.remove("le");
        let base = sample.name.strip_suffix("_bucket").unwrap_or(&sample.name).to_owned();
        if counts.get(&(base.clone(), labels)) != Some(&sample.value) {
            report.failures.push(format!("{base}: +Inf bucket {} != _count", sample.value));
        }
    }
    for key in previous.keys().filter(|k| !current.contains_key(*k)) {
        report.failures.push(format!("{key:?} disappeared"));
    }
    *previous = current;
}

fn scrape_loop(addr: SocketAddr, progress: &Progress, stop: &AtomicBool) -> ScrapeReport {
    let mut report = ScrapeReport::default();
    let mut previous = BTreeMap::new();
    while !stop.load(Ordering::Acquire) {
        match try_http_get(addr, "/metrics") {
            Ok(r) if r.status == 200 => check_scrape(&mut previous, &parse(&r.body), &mut report),
            Ok(r) => report.failures.push(format!("scrape answered {}", r.status)),
            Err(e) => report.failures.push(format!("scrape failed: {e}")),
        }
        report.scrapes += 1;
        report.failures.truncate(20);
        progress.0.fetch_add(1, Ordering::AcqRel);
        std::thread::sleep(Duration::from_millis(2));
    }
    report
}

fn scrape(addr: SocketAddr) -> Exposition {
    let response = try_http_get(addr, "/metrics").expect("final scrape");
    assert_eq!(response.status, 200);
    parse(&response.body)
}

fn quiet_planned_panics() {
    common::faults::quiet_panics_of::<PlannedPanic>();
}

/// The figures of one run.
#[derive(Debug)]
struct Outcome {
    scrapes_during_load: u64,
    report: ScrapeReport,
    lost: i64,
    mismatches: Vec<String>,
    elapsed: Duration,
}

fn run(load: Load) -> Outcome {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    quiet_planned_panics();
    let addr = TELEMETRY.local_addr().expect("serving on an ephemeral port");
    let baseline = scrape(addr);
    let progress = Arc::new(Progress::default());
    let stop = Arc::new(AtomicBool::new(false));
    let scraper = {
        let (progress, stop) = (progress.clone(), stop.clone());
        std::thread::spawn(move || scrape_loop(addr, &progress, &stop))
    };

    let started = Instant::now();
    // The load runs on its own thread so that a deadlock fails the test after STALL.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let load_progress = progress.clone();
    std::thread::spawn(move || {
        generate(load, &load_progress);
        let _ = done_tx.send(());
    });
    done_rx.recv_timeout(STALL).expect("the load finished (no deadlock, no stuck call)");
    let elapsed = started.elapsed();
    let scrapes_during_load = progress.count();
    stop.store(true, Ordering::Release);
    let report = scraper.join().expect("scraper thread");

    let last = scrape(addr);
    let delta = |name: &str, site: &str, status: &str| {
        let labels = [("primitive_name", site), ("status", status)];
        last.sum(name, &labels) - baseline.sum(name, &labels)
    };
    let mut outcome = Outcome { scrapes_during_load, report, lost: 0, mismatches: vec![], elapsed };
    for ((site, status), expected) in load.expected() {
        let counted = delta(EXECUTIONS, site, status);
        let timed = delta(&format!("{DURATION}_count"), site, status);
        let sum = delta(&format!("{DURATION}_sum"), site, status);
        outcome.lost += expected as i64 - counted as i64;
        let sum_ok = sum.is_finite() && sum >= 0.0 && (expected > 0 || sum == 0.0);
        if counted != expected as f64 || timed != expected as f64 || !sum_ok {
            let got = format!("counted {counted}, timed {timed}, sum {sum}");
            outcome.mismatches.push(format!("{site} {status}: expected {expected}, {got}"));
        }
    }
    for site in SITES {
        let active = last.value(ACTIVE, &[("primitive_name", site)]);
        if active != 0.0 {
            outcome.mismatches.push(format!("{site}: {active} still in flight"));
        }
    }
    outcome
}

impl Outcome {
    /// Fails unless the final scrape was exact and every intermediate one monotonic.
    fn assert_exact(&self, load: Load) {
        assert!(self.mismatches.is_empty(), "final scrape: {:#?}", self.mismatches);
        assert_eq!(self.lost, 0);
        assert!(self.report.failures.is_empty(), "during load: {:#?}", self.report.failures);
        assert!(self.scrapes_during_load >= (load.rounds - 1) * load.scrapes_per_round);
    }
}

/// Runs every OS thread and every task to completion, each released round by round.
fn generate(load: Load, progress: &Arc<Progress>) {
    let spr = load.scrapes_per_round;
    let chunk = load.calls_per_thread.div_ceil(load.rounds);
    std::thread::scope(|s| {
        for t in 0..load.threads {
            s.spawn(move || {
                for n in 0..load.calls_per_thread {
                    if n.is_multiple_of(chunk) {
                        progress.wait_blocking(n / chunk * spr);
                    }
                    let (i, _, site) = load.thread_call(t, n);
                    call_sync(i, site);
                }
            });
        }
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build();
        runtime.unwrap().block_on(async {
            let tasks: Vec<_> = (0..load.tasks)
                .map(|k| {
                    let target = k * load.rounds / load.tasks * spr;
                    let progress = progress.clone();
                    tokio::spawn(async move {
                        progress.wait(target).await;
                        for j in 0..load.iterations_per_task {
                            let i = k * load.iterations_per_task + j;
                            call_sync(i, shared_sync);
                            call_async(i, shared_async(i)).await;
                            call_async(i, task_traced(i)).await;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("task ended normally (its panics were caught)");
            }
        });
    });
}

/// Prints the figures RELIABILITY.md quotes (visible with `--nocapture`).
fn print_figures(load: Load, outcome: &Outcome) {
    println!(
        "{} threads x {} calls + {} tasks x {} iterations (3 calls each) = {} instrumented \
         calls in {:.2?}",
        load.threads,
        load.calls_per_thread,
        load.tasks,
        load.iterations_per_task,
        load.calls(),
        outcome.elapsed,
    );
    for ((site, status), n) in load.expected().iter().filter(|(_, n)| **n > 0) {
        println!("  {site:<13} {status:<10} {n:>9}");
    }
    println!(
        "  scrapes: {} during load, {} in all, {} non-monotonic; max in flight seen {}; lost: {}",
        outcome.scrapes_during_load,
        outcome.report.scrapes,
        outcome.report.failures.len(),
        outcome.report.max_active,
        outcome.lost
    );
}

#[test]
fn final_scrape_is_exact_and_every_scrape_during_load_is_monotonic() {
    let load = Load {
        threads: 8,
        calls_per_thread: 10_000,
        tasks: 5_000,
        iterations_per_task: 4,
        rounds: 20,
        scrapes_per_round: 1,
    };
    let outcome = run(load);
    print_figures(load, &outcome);
    outcome.assert_exact(load);
}

#[test]
#[ignore = "long: cargo test --release --test load_exactness -- --ignored --nocapture"]
fn long_run_16_threads_by_a_million_calls_and_5000_tasks() {
    let load = Load {
        threads: 16,
        calls_per_thread: 1_000_000,
        tasks: 5_000,
        iterations_per_task: 20,
        rounds: 100,
        scrapes_per_round: 2,
    };
    let outcome = run(load);
    print_figures(load, &outcome);
    outcome.assert_exact(load);
}
