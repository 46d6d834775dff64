//! Fixtures shared by flowmeter's peer benchmarks (`benches/per_call.rs`, `benches/scrape.rs`).
//!
//! - [`work`]: the body every contestant wraps, so only the instrumentation differs;
//! - [`ToggleSampler`]: one tracer whose sampling can be switched between benchmarks, so the
//!   sampled and the not-sampled span cases run in one process through one layer;
//! - [`DiscardExporter`]: a span exporter that drops what it gets, so sampled spans pay the
//!   whole SDK path (processor, `SpanData`) but no I/O;
//! - [`CountingAllocator`]: a global allocator that tracks live bytes, for memory per series.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    SamplingDecision, SamplingResult, ShouldSample, SpanData, SpanExporter,
};

/// The function body every contestant wraps: a few arithmetic instructions the optimizer
/// cannot remove.
#[inline(always)]
pub fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(31).rotate_left(7)
}

/// A sampler that records and samples every span while on, and drops every span while off.
#[derive(Debug, Clone, Default)]
pub struct ToggleSampler(Arc<AtomicBool>);

impl ToggleSampler {
    /// A sampler that starts off.
    pub fn new() -> Self {
        Self::default()
    }

    /// Switches sampling on or off for spans started from now on.
    pub fn set(&self, sampled: bool) {
        self.0.store(sampled, Ordering::Relaxed);
    }
}

impl ShouldSample for ToggleSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        _trace_id: TraceId,
        _name: &str,
        _span_kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        use opentelemetry::trace::TraceContextExt as _;
        let decision = if self.0.load(Ordering::Relaxed) {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        };
        let trace_state = parent_context
            .map(|cx| cx.span().span_context().trace_state().clone())
            .unwrap_or_default();
        SamplingResult { decision, attributes: Vec::new(), trace_state }
    }
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
