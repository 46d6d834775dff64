//! Trace ids for root spans, chosen before the span exists.
//!
//! A root call is decided on the trace id its span would get: this thread's next root trace
//! id, picked on first look and kept until a root takes it. The tracer provider's id
//! generator ([`PeekedIds`]) hands that same id to the next root span started on this
//! thread, which is the call's own span (tracing-opentelemetry starts a span when it is first
//! entered, and a call enters its span as soon as it is made). So the SDK's sampler, asked
//! again when the span starts, sees the id flowmeter decided on, and decides the same.

use std::cell::Cell;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};

/// This thread's ids: a SplitMix64 generator (seeded on first use from the SDK's generator,
/// which the operating system seeds), and the trace id the next root started on this thread
/// gets, once someone has looked. `Cell`s in a `const` thread-local: no lazy-initialisation
/// check and no borrow flag on a path every unsampled root takes, and nothing to panic on if
/// a custom sampler asked for an id while flowmeter is deciding.
pub(crate) struct ThreadIds {
    state: Cell<u64>,
    next_root: Cell<Option<TraceId>>,
}

impl ThreadIds {
    fn next_u64(&self) -> u64 {
        let mut state = self.state.get();
        if state == 0 {
            state = u64::from_be_bytes(RandomIdGenerator::default().new_span_id().to_bytes());
        }
        // SplitMix64 (Steele, Lea and Flood, 2014): the state advances by a fixed odd
        // constant and each output is a mix of it, so every thread's sequence is full-period.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.state.set(state);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn trace_id(&self) -> TraceId {
        loop {
            // Zero is the invalid id (one chance in 2^128).
            let id = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
            if id != 0 {
                return TraceId::from(id);
            }
        }
    }

    /// The trace id the next root span started on this thread will get.
    #[inline]
    pub(crate) fn peek_root(&self) -> TraceId {
        match self.next_root.get() {
            Some(id) => id,
            None => {
                let id = self.trace_id();
                self.next_root.set(Some(id));
                id
            }
        }
    }

    /// Lets the next root have a new trace id (the current one was taken).
    #[inline]
    pub(crate) fn forget_root(&self) {
        self.next_root.set(None);
    }

    pub(crate) fn span_id(&self) -> SpanId {
        loop {
            let id = self.next_u64();
            if id != 0 {
                return SpanId::from(id);
            }
        }
    }
}

thread_local! {
    static IDS: ThreadIds = const {
        ThreadIds { state: Cell::new(0), next_root: Cell::new(None) }
    };
}

/// Runs `f` with this thread's ids: one thread-local access for a root's whole decision.
#[inline(always)]
pub(crate) fn with_thread_ids<R>(f: impl FnOnce(&ThreadIds) -> R) -> R {
    IDS.with(f)
}

/// The trace id the next root span started on this thread will get.
#[cfg(test)]
pub(crate) fn peek_root_trace_id() -> TraceId {
    IDS.with(ThreadIds::peek_root)
}

/// Takes the next root trace id (the one [`peek_root_trace_id`] showed, or a new one).
pub(crate) fn take_root_trace_id() -> TraceId {
    IDS.with(|ids| ids.next_root.take().unwrap_or_else(|| ids.trace_id()))
}

/// The id generator of flowmeter's tracer provider: random ids, and for a root span the
/// trace id a call was decided on (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PeekedIds;

impl IdGenerator for PeekedIds {
    fn new_trace_id(&self) -> TraceId {
        take_root_trace_id()
    }

    fn new_span_id(&self) -> SpanId {
        IDS.with(ThreadIds::span_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_root_gets_the_peeked_id_and_only_once() {
        let peeked = peek_root_trace_id();
        assert_eq!(peek_root_trace_id(), peeked, "looking twice shows the same id");
        assert_eq!(PeekedIds.new_trace_id(), peeked);
        let next = PeekedIds.new_trace_id();
        assert_ne!(next, peeked);
        assert_ne!(next, TraceId::INVALID);
    }

    #[test]
    fn each_thread_has_its_own_next_root() {
        let here = peek_root_trace_id();
        let there = std::thread::spawn(peek_root_trace_id).join().unwrap();
        assert_ne!(here, there);
        assert_eq!(take_root_trace_id(), here);
    }
}
