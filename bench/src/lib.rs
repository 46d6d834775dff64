//! Fixtures shared by flowmeter's peer benchmarks (`benches/per_call.rs`, `benches/scrape.rs`).
//!
//! - [`work`]: the body every contestant wraps, so only the instrumentation differs;
//! - [`SwitchSampler`]: one sampler that can be switched between benchmarks (always on, roots
//!   dropped, 1% of roots), so every sampling case runs in one process through one pipeline;
//!   [`unsampled_remote_parent`] puts calls in a trace whose parent is not sampled;
//! - [`DiscardExporter`]: a span exporter that drops what it gets, so sampled spans pay the
//!   whole SDK path (processor, `SpanData`) but no I/O;
//! - [`CountingAllocator`]: a global allocator that tracks live bytes, for memory per series.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicU8, Ordering};

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Sampler, SamplingResult, ShouldSample, SpanData, SpanExporter};

/// The function body every contestant wraps: a few arithmetic instructions the optimizer
/// cannot remove.
#[inline(always)]
pub fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(31).rotate_left(7)
}

/// Which sampler a [`SwitchSampler`] asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Sampling {
    /// `parentbased_always_on`: roots sampled, children follow their parent.
    Sampled = 0,
    /// `parentbased_always_off`: roots not sampled, children follow their parent.
    RootsDropped = 1,
    /// `parentbased_traceidratio` at 0.01: one root in a hundred sampled.
    OnePercent = 2,
}

/// One sampler whose standard sampler can be switched between benchmarks, so every sampling
/// case runs in one process through one pipeline. Each is OpenTelemetry's own, so it decides
/// from the parent and the trace id alone, as flowmeter requires of a custom sampler.
#[derive(Debug, Clone)]
pub struct SwitchSampler {
    current: Arc<AtomicU8>,
    samplers: Arc<[Sampler; 3]>,
}

impl Default for SwitchSampler {
    fn default() -> Self {
        let parent_based = |root: Sampler| Sampler::ParentBased(Box::new(root));
        SwitchSampler {
            current: Arc::new(AtomicU8::new(Sampling::Sampled as u8)),
            samplers: Arc::new([
                parent_based(Sampler::AlwaysOn),
                parent_based(Sampler::AlwaysOff),
                parent_based(Sampler::TraceIdRatioBased(0.01)),
            ]),
        }
    }
}

impl SwitchSampler {
    /// A sampler that starts as [`Sampling::Sampled`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Switches to `sampling` for spans decided from now on.
    pub fn set(&self, sampling: Sampling) {
        self.current.store(sampling as u8, Ordering::Relaxed);
    }
}

impl ShouldSample for SwitchSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let sampler = &self.samplers[usize::from(self.current.load(Ordering::Relaxed))];
        sampler.should_sample(parent_context, trace_id, name, span_kind, attributes, links)
    }
}

/// A remote parent whose trace is not sampled, as a server extracts it from
/// `traceparent: 00-...-...-00`: calls made while it is attached are in an unsampled trace.
pub fn unsampled_remote_parent() -> Context {
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceState};
    let parent = SpanContext::new(
        TraceId::from(0x4bf92f3577b34da6a3ce929d0e0e4736),
        SpanId::from(0x00f067aa0ba902b7),
        TraceFlags::default(),
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(parent)
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
