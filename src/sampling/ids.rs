//! Trace ids for root spans, chosen before the span exists.
//!
//! A root call is decided on the trace id its span would get: this thread's next root trace
//! id, picked on first look and kept until a root takes it. The tracer provider's id
//! generator ([`PeekedIds`]) hands that same id to the next root span started on this
//! thread, which is the call's own span (tracing-opentelemetry starts a span when it is first
//! entered, and a call enters its span as soon as it is made). So the SDK's sampler, asked
//! again when the span starts, sees the id flowmeter decided on, and decides the same.

use std::cell::{Cell, RefCell};

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::IdGenerator;
use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};

/// This thread's ids: its random generator, and the trace id the next root started on this
/// thread gets, once someone has looked. One thread-local, so an unsampled root takes its
/// trace id and span id in one access.
struct ThreadIds {
    rng: RefCell<SmallRng>,
    next_root: Cell<Option<TraceId>>,
}

impl ThreadIds {
    fn trace_id(&self) -> TraceId {
        loop {
            // Zero is the invalid id (one chance in 2^128).
            let id = self.rng.borrow_mut().random::<u128>();
            if id != 0 {
                return TraceId::from(id);
            }
        }
    }

    fn span_id(&self) -> SpanId {
        loop {
            let id = self.rng.borrow_mut().random::<u64>();
            if id != 0 {
                return SpanId::from(id);
            }
        }
    }
}

thread_local! {
    // Seeded from the operating system, as the SDK's own generator is.
    static IDS: ThreadIds = ThreadIds {
        rng: RefCell::new(SmallRng::from_os_rng()),
        next_root: Cell::new(None),
    };
}

/// The trace id the next root span started on this thread will get. (Inlined, as
/// [`take_root_ids`] is: returned through memory, the ids cost the caller a stalled load.)
#[inline(always)]
pub(crate) fn peek_root_trace_id() -> TraceId {
    IDS.with(|ids| match ids.next_root.get() {
        Some(id) => id,
        None => {
            let id = ids.trace_id();
            ids.next_root.set(Some(id));
            id
        }
    })
}

/// Takes the next root trace id (the one [`peek_root_trace_id`] showed, or a new one).
pub(crate) fn take_root_trace_id() -> TraceId {
    IDS.with(|ids| ids.next_root.take().unwrap_or_else(|| ids.trace_id()))
}

/// Takes the next root trace id, with a new span id: the ids of an unsampled root.
#[inline(always)]
pub(crate) fn take_root_ids() -> (TraceId, SpanId) {
    IDS.with(|ids| (ids.next_root.take().unwrap_or_else(|| ids.trace_id()), ids.span_id()))
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
