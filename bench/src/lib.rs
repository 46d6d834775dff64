//! Fixtures shared by flowmeter's peer benchmarks (`benches/per_call.rs`, `benches/scrape.rs`).
//!
//! - [`work`]: the body every contestant wraps, so only the instrumentation differs;
//! - [`remote_parent`]: the context a server extracts from a `traceparent`, sampled or not, so
//!   one process measures calls in sampled, unsampled and no traces;
//! - [`contended`] and [`two`]: the time per call on one thread while a second one calls too;
//! - [`DiscardExporter`]: a span exporter that drops what it gets, so sampled spans pay the
//!   whole SDK path (processor, `SpanData`) but no I/O;
//! - [`CountingAllocator`]: a global allocator that tracks live bytes, for memory per series;
//! - [`exemplars_from_env`]: the exemplar switch of the per-call pipeline, for A/B runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry::trace::TraceId;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// The function body every contestant wraps: a few arithmetic instructions the optimizer
/// cannot remove.
#[inline(always)]
pub fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(31).rotate_left(7)
}

/// Whether a benchmark's flowmeter pipeline keeps exemplars: on (flowmeter's default) unless
/// `FLOWMETER_BENCH_EXEMPLARS=off`. A process has one pipeline, so the cost of exemplars on a
/// sampled call is measured by runs with and without, alternated (BENCHMARKS.md).
pub fn exemplars_from_env() -> bool {
    std::env::var("FLOWMETER_BENCH_EXEMPLARS").map_or(true, |value| value != "off")
}

/// A remote parent as a server extracts it from `traceparent: 00-...-...-01` (sampled) or
/// `-00` (not sampled): calls made while it is attached are in that trace.
pub fn remote_parent(sampled: bool) -> Context {
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceState};
    let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
    let parent = SpanContext::new(
        TraceId::from(0x4bf92f3577b34da6a3ce929d0e0e4736),
        SpanId::from(0x00f067aa0ba902b7),
        flags,
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(parent)
}

/// Time for `iters` calls of `f` on this thread while a second thread calls `f` on the same
/// call site until this thread is done; both inside [`remote_parent`]`(sampled)` when
/// `parent` is `Some(sampled)`.
pub fn contended(iters: u64, parent: Option<bool>, f: impl Fn() -> u64 + Sync) -> Duration {
    let start_line = Arc::new(Barrier::new(2));
    let done = AtomicBool::new(false);
    let attach = || parent.map(|sampled| remote_parent(sampled).attach());
    std::thread::scope(|s| {
        let other_start = Arc::clone(&start_line);
        let (f, done) = (&f, &done);
        s.spawn(move || {
            let _parent = attach();
            other_start.wait();
            while !done.load(Ordering::Relaxed) {
                black_box(f());
            }
        });
        let _parent = attach();
        start_line.wait();
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f());
        }
        let elapsed = start.elapsed();
        done.store(true, Ordering::Relaxed);
        elapsed
    })
}

/// A benchmark of `f` called on two threads at once ([`contended`]).
pub fn two<'f>(
    f: &'f (dyn Fn() -> u64 + Sync),
    parent: Option<bool>,
) -> impl FnMut(&mut criterion::Bencher<'_>) + 'f {
    move |b| b.iter_custom(|n| contended(n, parent, f))
}

/// A span exporter that discards every batch.
#[derive(Debug, Default)]
pub struct DiscardExporter;

impl SpanExporter for DiscardExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

/// The system allocator, counting the bytes currently allocated. Install it in a benchmark
/// binary with `#[global_allocator]` and read [`CountingAllocator::live_bytes`] around the work
/// whose memory you want.
#[derive(Debug, Default)]
pub struct CountingAllocator {
    live: AtomicIsize,
}

impl CountingAllocator {
    /// A counter at zero.
    pub const fn new() -> Self {
        CountingAllocator { live: AtomicIsize::new(0) }
    }

    /// Bytes allocated and not yet freed, since the program started.
    pub fn live_bytes(&self) -> isize {
        self.live.load(Ordering::Relaxed)
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.live.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.live.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.live.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.live.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
pub mod scrape;
