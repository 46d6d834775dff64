//! What a [`Cached`](super::Cached) primitive records besides its executions: hits, misses,
//! evictions by cause, the entries gauge and the LLM dollars a hit saved.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use moka::notification::RemovalCause;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundCounter, BoundGauge, Counter, Gauge};

use super::SavedCost;
use crate::metrics::DomainInstruments;
use crate::metrics::catalog::{self, keys};

/// The caches' instruments, created when the first cache records.
#[derive(Debug)]
struct CacheInstruments {
    hits: Counter<u64>,
    misses: Counter<u64>,
    evictions: Counter<u64>,
    entries: Gauge<u64>,
}

static CACHES: DomainInstruments<CacheInstruments> = DomainInstruments::new(|f| CacheInstruments {
    hits: f.u64_counter(&catalog::CACHE_HITS),
    misses: f.u64_counter(&catalog::CACHE_MISSES),
    evictions: f.u64_counter(&catalog::CACHE_EVICTIONS),
    entries: f.u64_gauge(&catalog::CACHE_ENTRIES),
});

/// The `cause` label of `ns.cache.evictions`, indexed like [`cause_index`].
const CAUSES: [&str; 4] = ["size", "expired", "explicit", "replaced"];

fn cause_index(cause: RemovalCause) -> usize {
    match cause {
        RemovalCause::Size => 0,
        RemovalCause::Expired => 1,
        RemovalCause::Explicit => 2,
        RemovalCause::Replaced => 3,
    }
}

/// The handles of one cache, bound to `cache_name` once an enabled pipeline exists.
#[derive(Debug)]
struct Handles {
    hits: BoundCounter<u64>,
    misses: BoundCounter<u64>,
    evictions: [BoundCounter<u64>; 4],
    entries: BoundGauge<u64>,
}

/// The metrics of one cache, shared by the primitive and moka's eviction listener.
///
/// The entries gauge is kept from flowmeter's own count, changed under a lock and recorded
/// at every change: `+1` for each value a load inserted, `-1` for each removal moka notifies.
/// moka notifies exactly once for every value that leaves (evicted, expired, invalidated or
/// overwritten), so the count equals moka's `entry_count()` once its pending maintenance has
/// run, and the gauge moves as soon as an entry comes or goes (an expiry is seen when moka's
/// maintenance runs, triggered by cache traffic or by `run_pending_tasks`).
#[derive(Debug)]
pub(super) struct CacheMetrics {
    name: Arc<str>,
    handles: OnceLock<Handles>,
    entries: Mutex<i64>,
}

impl CacheMetrics {
    pub(super) fn new(name: Arc<str>) -> Self {
        CacheMetrics { name, handles: OnceLock::new(), entries: Mutex::new(0) }
    }

    /// The bound handles, binding them on first use; `None` when telemetry is off.
    fn handles(&self) -> Option<&Handles> {
        if let Some(handles) = self.handles.get() {
            return Some(handles);
        }
        let instruments = CACHES.get()?;
        Some(self.handles.get_or_init(|| {
            let name = [KeyValue::new(keys::CACHE_NAME, self.name.to_string())];
            let evictions = CAUSES.map(|cause| {
                let attrs = [name[0].clone(), KeyValue::new(keys::CAUSE, cause)];
                instruments.evictions.bind(&attrs)
            });
            let entries = instruments.entries.bind(&name);
            let count = *self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            entries.record(count.max(0) as u64);
            Handles {
                hits: instruments.hits.bind(&name),
                misses: instruments.misses.bind(&name),
                evictions,
                entries,
            }
        }))
    }

    /// Binds the handles now, if telemetry is on, so the series exist from the first scrape.
    pub(super) fn warm_up(&self) {
        self.handles();
    }

    /// A request that ran the inner primitive.
    pub(super) fn miss(&self) {
        if let Some(handles) = self.handles() {
            handles.misses.add(1);
        }
    }

    /// A request answered from the cache; records the dollars `saved` reports, if any
    /// (`saved` runs only when telemetry is on).
    pub(super) fn hit<'a>(&self, saved: impl FnOnce() -> Option<SavedCost<'a>>) {
        let Some(handles) = self.handles() else { return };
        handles.hits.add(1);
        if let Some(saved) = saved() {
            crate::llm::record_saved_cost(saved.model, saved.provider, saved.usd);
        }
    }

    /// A load inserted a value.
    pub(super) fn inserted(&self) {
        self.change_entries(1);
    }

    /// moka's eviction listener: counts the removal by cause and updates the gauge.
    pub(super) fn removed(&self, cause: RemovalCause) {
        if let Some(handles) = self.handles() {
            handles.evictions[cause_index(cause)].add(1);
        }
        self.change_entries(-1);
    }

    fn change_entries(&self, delta: i64) {
        // Bind first: binding reads the count under the same lock.
        let handles = self.handles();
        let mut count = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        *count += delta;
        if let Some(handles) = handles {
            // Transiently negative only if a removal is notified before its insert is counted.
            handles.entries.record((*count).max(0) as u64);
        }
    }
}
