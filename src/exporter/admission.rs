//! Admission to the endpoint's connection slots: at the cap, a new connection takes the slot
//! of the connection that has waited longest for a request.
//!
//! A slot is held from accept to close. A connection holding one is either *waiting for a
//! request* (its TLS handshake, its request line and headers, or idle between requests on a
//! kept-alive connection) or *answering* (from the moment its request's headers are complete
//! until its response is written out). When every slot is taken, a new connection evicts the
//! connection that has been waiting the longest; a connection that is answering is never
//! evicted. When every connection is answering, the new one is refused: closed at once, rather
//! than left queued for seconds behind clients that may never finish.
//!
//! So clients that open connections and never finish their headers (or trickle them a byte at a
//! time) cannot starve the others: each new client takes the slot of the stalest one, and a
//! scraper, which sends its request as soon as it connects, is answered long before newer
//! connections could push it out. Evicting a client that is waiting for a request loses
//! nothing: it has been promised nothing yet, and an HTTP client retries a request on a fresh
//! connection when a kept-alive one it meant to reuse turns out closed.
//!
//! The served connection keeps its slot's [`Activity`] current through the adapters of
//! [`tracking`]: one on its service (a request's headers are complete; its response body is
//! done) and one on its stream (output the socket has not taken yet).

mod tracking;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::oneshot;

pub(super) use tracking::{TrackedIo, TrackedService};

/// The connection slots of one server: at most `capacity` connections hold one at once.
#[derive(Debug, Clone)]
pub(super) struct Slots {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    capacity: usize,
    /// The zero of every [`Activity`]'s clock.
    epoch: Instant,
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    /// By admission order, which breaks ties between connections waiting since the same instant.
    held: BTreeMap<u64, Held>,
}

#[derive(Debug)]
struct Held {
    activity: Arc<Activity>,
    /// Dropping it (removing the entry) tells the connection's task to close the connection.
    _evict: oneshot::Sender<()>,
}

impl Slots {
    /// Slots for at most `capacity` connections (at least one).
    pub(super) fn new(capacity: usize) -> Self {
        let shared = Shared {
            capacity: capacity.max(1),
            epoch: Instant::now(),
            table: Mutex::new(Table::default()),
        };
        Slots { shared: Arc::new(shared) }
    }

    /// A slot for a connection just accepted, waiting for its request from now on. At the cap,
    /// the connection waiting the longest is evicted to make room; `None` when every
    /// connection is answering (the new one is to be refused).
    pub(super) fn admit(&self) -> Option<Slot> {
        let mut table = self.lock();
        if table.held.len() >= self.shared.capacity {
            let stalest = table
                .held
                .iter()
                .filter_map(|(id, held)| Some((held.activity.waiting_since()?, *id)))
                .min()?;
            // Dropping its sender wakes the evicted connection's task, which closes it.
            table.held.remove(&stalest.1);
        }
        let id = table.next_id;
        table.next_id += 1;
        let activity = Arc::new(Activity::new(self.shared.epoch));
        let (evict, evicted) = oneshot::channel();
        table.held.insert(id, Held { activity: Arc::clone(&activity), _evict: evict });
        Some(Slot { slots: self.clone(), id, activity, evicted })
    }

    /// How many slots are held.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.lock().held.len()
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // Every change to the table is a single insert or remove: consistent after a panic.
        self.shared.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One connection's slot, given back when dropped (unless it was taken by eviction already).
#[derive(Debug)]
pub(super) struct Slot {
    slots: Slots,
    id: u64,
    activity: Arc<Activity>,
    evicted: oneshot::Receiver<()>,
}

impl Slot {
    /// What the connection reports its activity to (see [`TrackedService`], [`TrackedIo`]).
    pub(super) fn activity(&self) -> Arc<Activity> {
        Arc::clone(&self.activity)
    }

    /// Runs `connection` (serving, TLS handshake included) while it holds this slot: to its
    /// end, or until a newer connection evicts it, which drops `connection` and so closes it.
    pub(super) async fn hold(mut self, connection: impl Future<Output = ()>) {
        tokio::select! {
            // First: once evicted, the connection must not start answering a late request.
            biased;
            _ = &mut self.evicted => {
                tracing::debug!(
                    "flowmeter metrics endpoint: closed a connection still waiting for a request, to admit a new one"
                );
            }
            () = connection => {}
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().held.remove(&self.id);
    }
}

/// What a connection is doing, as its slot sees it: written by the connection's task, read by
/// [`Slots::admit`] when it looks for a connection to evict.
#[derive(Debug)]
pub(super) struct Activity {
    epoch: Instant,
    /// Requests whose headers are complete and whose response body is not done.
    answering: AtomicUsize,
    /// The stream's last write or flush could not complete: a response is still going out.
    write_blocked: AtomicBool,
    /// When the connection last started waiting for a request, in nanoseconds since `epoch`.
    waiting_since: AtomicU64,
}

impl Activity {
    fn new(epoch: Instant) -> Self {
        let activity = Activity {
            epoch,
            answering: AtomicUsize::new(0),
            write_blocked: AtomicBool::new(false),
            waiting_since: AtomicU64::new(0),
        };
        activity.mark_waiting();
        activity
    }

    /// A request's headers are complete: answering until [`answered`](Self::answered).
    pub(super) fn answering(&self) {
        self.answering.fetch_add(1, Ordering::Relaxed);
    }

    /// A response body is done (written whole, or dropped with the connection).
    pub(super) fn answered(&self) {
        if self.answering.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.mark_waiting();
        }
    }

    /// Whether the stream's last write or flush is waiting for the socket to take more.
    pub(super) fn set_write_blocked(&self, blocked: bool) {
        self.write_blocked.store(blocked, Ordering::Relaxed);
    }

    /// Since when the connection has been waiting for a request; `None` while it is answering
    /// (and so cannot be evicted).
    fn waiting_since(&self) -> Option<u64> {
        let answering = self.answering.load(Ordering::Relaxed) > 0;
        let writing = self.write_blocked.load(Ordering::Relaxed);
        (!answering && !writing).then(|| self.waiting_since.load(Ordering::Relaxed))
    }

    fn mark_waiting(&self) {
        // Saturates after 584 years of uptime.
        let nanos = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.waiting_since.store(nanos, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
