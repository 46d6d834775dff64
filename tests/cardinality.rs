//! Cardinality: a label fed unbounded distinct values keeps memory bounded through the
//! OpenTelemetry cardinality limit (declared per application metric, or the pipeline default),
//! the overflow series carries the exact rest of the total, and the overflow is logged once
//! per metric.
//!
//! Memory is measured with a counting global allocator (live heap bytes, exact and
//! independent of the allocator's caching) and, for reference, the process RSS. The default
//! run feeds 50 000 distinct values per case; the 1 000 000 case is `#[ignore]`d (about a
//! minute in a debug build):
//!
//! ```text
//! cargo test --release --test cardinality -- --ignored --nocapture
//! ```

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};

use common::capture::{Capture, Captured};
use flowmeter::Telemetry;
use flowmeter::app::{self, AppCounter};
use flowmeter::llm::{self, ModelPrice, PriceTable, Usage};
use flowmeter::telemetry::DEFAULT_CARDINALITY_LIMIT;

/// Live heap bytes of the process: allocated minus freed.
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

/// The system allocator, counting live bytes.
struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is kept.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which is `System.alloc`'s.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (so by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, and `new_size` is the caller's valid new size.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE_BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Bytes held by the heap right now.
fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// Resident set size of this process, from `/proc/self/status` (`VmRSS`), in bytes; 0 where
/// there is no procfs.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    kib.unwrap_or(0) * 1024
}

fn mib(bytes: f64) -> String {
    format!("{:.2} MiB", bytes / (1024.0 * 1024.0))
}

/// The pipeline (metrics only, default cardinality limit) and the global subscriber that
/// captures flowmeter's warnings.
static TELEMETRY: LazyLock<(Telemetry, Capture)> = LazyLock::new(|| {
    let capture = Capture::install_global();
    (common::install_metrics_only(), capture)
});

/// The warnings naming `family` in their `metric` field.
fn overflow_warnings(family: &str) -> Vec<Captured> {
    TELEMETRY.1.with_field("metric", family)
}

/// Memory measurements are only meaningful one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn scrape() -> common::Exposition {
    common::parse(&TELEMETRY.0.render())
}

/// What one case measured.
struct Measured {
    case: String,
    distinct: usize,
    series: usize,
    /// Live heap growth over all the values.
    heap_growth: isize,
    /// Live heap growth over the second half of the values alone.
    second_half_growth: isize,
    rss_before: u64,
    rss_after: u64,
    seconds: f64,
}

/// Runs `record(i)` for `i` in `1..distinct` after `record(0)` created the instruments, and
/// measures the heap and RSS growth across them (after a scrape on each side, so the
/// exporter's buffers are warm in both), and across the second half alone.
fn measure(case: &str, distinct: usize, family: &str, mut record: impl FnMut(usize)) -> Measured {
    record(0);
    drop(TELEMETRY.0.render());
    let started = std::time::Instant::now();
    let (heap_before, rss_before) = (live_bytes(), rss_bytes());
    for i in 1..distinct / 2 {
        record(i);
    }
    let heap_half = live_bytes();
    for i in distinct / 2..distinct {
        record(i);
    }
    let heap_recorded = live_bytes();
    drop(TELEMETRY.0.render());
    let (heap_after, rss_after) = (live_bytes(), rss_bytes());
    let series = scrape().find(family, &[]).len();
    Measured {
        case: case.to_owned(),
        distinct,
        series,
        heap_growth: heap_after - heap_before,
        second_half_growth: heap_recorded - heap_half,
        rss_before,
        rss_after,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Asserts what the limit guarantees for `family`: at most `limit` kept series plus the
/// overflow series, whose value is the exact rest of `total`; and one warning, once.
fn assert_overflowed(family: &str, limit: usize, total: f64) {
    let exposition = scrape();
    let series = exposition.find(family, &[]);
    let (overflow, kept): (Vec<&common::Sample>, Vec<&common::Sample>) =
        series.iter().partition(|s| s.label("otel_metric_overflow") == Some("true"));
    assert_eq!(overflow.len(), 1, "{family}: one overflow series");
    assert_eq!(overflow[0].labels.len(), 1, "{family}: the overflow series has only its label");
    assert_eq!(kept.len(), limit, "{family}: the limit's worth of series kept");
    let sum: f64 = series.iter().map(|s| s.value).sum();
    assert_eq!(sum, total, "{family}: the total is exact");

    drop(TELEMETRY.0.render());
    let warnings = overflow_warnings(family);
    assert_eq!(warnings.len(), 1, "{family}: warned once over several scrapes: {warnings:?}");
    let message = &warnings[0].message;
    for part in [family, "otel_metric_overflow", "cardinality_limit"] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
}

const DECLARED_LIMIT: usize = 1_000;
/// The reference without a limit: this many series, extrapolated linearly.
const REFERENCE_SERIES: usize = 10_000;
/// A generous bound on the heap growth of a limited case, whatever the number of values fed:
/// a few thousand series of a few hundred bytes each, with room to spare.
const BOUNDED_HEAP: isize = 16 << 20;
/// Once every instrument is at its limit, further values fold into the overflow series and
/// hold no memory: the second half of the values may move the heap by no more than this
/// (allocator noise, the test harness's own threads).
const FLAT_HEAP: isize = 64 << 10;

/// Feeds `distinct` distinct values of one label through an application counter with a
/// declared limit, one without (the pipeline default) and LLM calls with distinct requested
/// models (flowmeter's own GenAI histograms, pipeline default), and compares the heap growth
/// with what as many series would cost without a limit.
fn distinct_values_keep_memory_bounded(distinct: usize) {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    LazyLock::force(&TELEMETRY);
    let label = |i: usize| format!("user-{i:07}");

    // Reference: what a series costs when nothing folds it (the limit is above the values).
    let unlimited = app::counter(&format!("cardinality.reference.d{distinct}"))
        .help("Reference: distinct values under the limit")
        .labels(["user"])
        .cardinality_limit(REFERENCE_SERIES + 1)
        .build()
        .unwrap();
    let family = unlimited.prometheus_name();
    let heap_before_instrument = live_bytes();
    let mut reference = measure("no limit (reference)", REFERENCE_SERIES, &family, |i| {
        unlimited.add(1, &[&label(i)]).unwrap()
    });
    // Count the instrument's creation (its hash table is sized by the limit) in the cost.
    reference.heap_growth = live_bytes() - heap_before_instrument;
    assert_eq!(reference.series, REFERENCE_SERIES);
    let per_series = reference.heap_growth as f64 / REFERENCE_SERIES as f64;
    let unbounded_estimate = per_series * distinct as f64;

    let declared: AppCounter = app::counter(&format!("cardinality.declared.d{distinct}"))
        .help("Requests by user id, limit declared on the metric")
        .labels(["user"])
        .cardinality_limit(DECLARED_LIMIT)
        .build()
        .unwrap();
    let family_declared = declared.prometheus_name();
    let with_declared =
        measure("app counter, declared limit 1000", distinct, &family_declared, |i| {
            declared.add(3, &[&label(i)]).unwrap()
        });
    assert_overflowed(&family_declared, DECLARED_LIMIT, 3.0 * distinct as f64);

    let default: AppCounter = app::counter(&format!("cardinality.default.d{distinct}"))
        .help("Requests by user id, pipeline default limit")
        .labels(["user"])
        .build()
        .unwrap();
    let family_default = default.prometheus_name();
    let with_default =
        measure("app counter, pipeline default 2000", distinct, &family_default, |i| {
            default.add(3, &[&label(i)]).unwrap()
        });
    assert_overflowed(&family_default, DEFAULT_CARDINALITY_LIMIT, 3.0 * distinct as f64);

    // Priced calls: the `model` label of the dollars is the table's (bounded), but
    // `gen_ai.request.model` is whatever model name the caller sends.
    let mut table = PriceTable::new();
    table.insert("openai", "priced-model", ModelPrice::new(1.0, 2.0).unwrap());
    let price = table.resolve_today("openai", "priced-model").expect("priced");
    let operation = format!("chat-d{distinct}");
    let tokens = "gen_ai_client_token_usage_count";
    let before: f64 = scrape().find(tokens, &[]).iter().map(|s| s.value).sum();
    let with_llm = measure("LLM calls, distinct models, default", distinct, tokens, |i| {
        let usage = Usage::builder("openai", format!("m-{operation}-{i:07}"))
            .operation(operation.clone())
            .input_tokens(10)
            .output_tokens(5)
            .build()
            .unwrap();
        llm::record_call(&usage, Some(&price), 0.25, None);
    });
    let after: f64 = scrape().find(tokens, &[]).iter().map(|s| s.value).sum();
    assert_eq!(after - before, 2.0 * distinct as f64, "input and output recorded per call");
    let exposition = scrape();
    for family in [tokens, "gen_ai_client_operation_duration_seconds_count"] {
        let series = exposition.find(family, &[]);
        assert!(series.len() <= DEFAULT_CARDINALITY_LIMIT + 1, "{family}: {}", series.len());
        assert_eq!(series.iter().filter(|s| s.label("otel_metric_overflow").is_some()).count(), 1);
    }
    for family in ["gen_ai_client_token_usage", "gen_ai_client_operation_duration_seconds"] {
        assert_eq!(overflow_warnings(family).len(), 1, "{family} warned once");
    }

    let mut report = String::new();
    let _ = writeln!(
        report,
        "\n{distinct} distinct label values per case; a series without a limit costs {per_series:.0} \
         heap bytes ({} for {REFERENCE_SERIES}), so {distinct} series would cost ~{}",
        mib(reference.heap_growth as f64),
        mib(unbounded_estimate),
    );
    for m in [&with_declared, &with_default, &with_llm] {
        let _ = writeln!(
            report,
            "  {:<36} {:>7} values -> {:>4} series: heap +{} (second half {:+} B), \
             RSS {} -> {}, {:.1} s",
            m.case,
            m.distinct,
            m.series,
            mib(m.heap_growth as f64),
            m.second_half_growth,
            mib(m.rss_before as f64),
            mib(m.rss_after as f64),
            m.seconds,
        );
    }
    println!("{report}");
    for m in [&with_declared, &with_default, &with_llm] {
        assert!(m.heap_growth < BOUNDED_HEAP, "{}: heap grew {}{report}", m.case, m.heap_growth);
        assert!(m.second_half_growth.abs() < FLAT_HEAP, "{}: not flat{report}", m.case);
    }
    // Against what as many counter series would cost unlimited: at least ten times less.
    for m in [&with_declared, &with_default] {
        assert!((m.heap_growth as f64) < unbounded_estimate / 10.0, "{}{report}", m.case);
    }
}

#[test]
fn distinct_values_keep_memory_bounded_50k() {
    distinct_values_keep_memory_bounded(50_000);
}

#[test]
#[ignore = "1 000 000 distinct values per case: about a minute in a debug build"]
fn distinct_values_keep_memory_bounded_1m() {
    distinct_values_keep_memory_bounded(1_000_000);
}

#[test]
fn the_overflow_is_logged_once_per_metric_with_the_setting_to_raise() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    LazyLock::force(&TELEMETRY);
    let sessions = app::counter("cardinality.sessions")
        .help("Sessions by id (unbounded, on purpose)")
        .labels(["session"])
        .cardinality_limit(5)
        .build()
        .unwrap();
    let family = sessions.prometheus_name();
    sessions.add(1, &["s-0"]).unwrap();
    drop(TELEMETRY.0.render());
    assert!(overflow_warnings(&family).is_empty(), "no warning before the limit is reached");

    for i in 1..50 {
        sessions.add(1, &[&format!("s-{i}")]).unwrap();
    }
    for _ in 0..3 {
        drop(TELEMETRY.0.render());
    }
    let text = TELEMETRY.0.render();
    assert!(text.contains(&format!("{family}{{otel_metric_overflow=\"true\"}} 45")), "{text}");
    assert_overflowed(&family, 5, 50.0);
    let warning = &overflow_warnings(&family)[0];
    assert_eq!(warning.field("kept_series"), Some("5"));
    // Counted once too, however many scrapes saw it.
    let reached = [("metric_name", family.as_str()), ("reason", "cardinality_limit")];
    assert_eq!(scrape().value("flowmeter_measurements_rejected_total", &reached), 1.0);
    assert!(warning.message.contains("TelemetryBuilder::cardinality_limit"), "{warning:?}");

    // A metric within its limit never warns.
    let within = app::counter("cardinality.within").help("h").labels(["k"]).build().unwrap();
    for i in 0..10 {
        within.add(1, &[&i.to_string()]).unwrap();
    }
    drop(TELEMETRY.0.render());
    assert!(overflow_warnings(&within.prometheus_name()).is_empty());
}

/// The SDK sizes an instrument's table of series for its limit when the instrument is
/// created, so a limit costs memory up front, used or not: measured here per slot.
#[test]
fn a_limit_is_allocated_up_front() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    LazyLock::force(&TELEMETRY);
    let mut report = String::from("\nup-front heap cost of an instrument with one series:");
    let mut per_slot = Vec::new();
    for limit in [10, DEFAULT_CARDINALITY_LIMIT, 100_000] {
        let counter = app::counter(&format!("cardinality.upfront.l{limit}"))
            .help("Up-front cost of a limit")
            .labels(["k"])
            .cardinality_limit(limit)
            .build()
            .unwrap();
        let before = live_bytes();
        counter.add(1, &["v"]).unwrap();
        let cost = live_bytes() - before;
        let _ = write!(report, "\n  limit {limit:>6}: {} ({cost} B)", mib(cost as f64));
        per_slot.push((limit, cost));
    }
    println!("{report}");
    let (small, large) = (per_slot[0].1, per_slot[2].1);
    let bytes_per_slot = (large - small) as f64 / (100_000 - 10) as f64;
    println!("  {bytes_per_slot:.1} B per slot of the limit");
    assert!((8.0..200.0).contains(&bytes_per_slot), "{bytes_per_slot} B per slot{report}");
}
