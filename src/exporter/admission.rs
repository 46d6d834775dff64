//! Admission to the endpoint's connection slots: at the cap, a new connection takes the slot
//! of a connection still waiting for its request, the stalest one.
//!
//! A slot is held from accept to close. A connection holding one is either *waiting for a
//! request* (its TLS handshake, its request line and headers, or idle between requests on a
//! kept-alive connection) or *answering* (from the moment its request's headers are complete
//! until its response is written out). When every slot is taken, a new connection evicts a
//! waiting connection: one that has sent part of a request and stalled before one that has
//! sent nothing yet (just connected, in its TLS handshake, or idle on a kept-alive
//! connection), and of those the one that has been waiting the longest. A connection that has
//! sent nothing is first given [`SILENCE_GRACE`] to start its request: while the only
//! connections that could make room are within theirs, the server accepts nothing (a burst of
//! scrapers' connections can take tens of milliseconds each to send its request). Not under
//! attack, though: for ten graces after evicting a connection, the server waits for no grace,
//! since slow clients arriving faster than graces end would otherwise set its pace. A
//! connection that is answering is never evicted. When every connection is answering, the new
//! one is refused: closed at once, rather than left queued for seconds behind clients that
//! may never finish.
//!
//! So clients that open connections and never finish their headers (or trickle them a byte at a
//! time) cannot starve the others: each new client takes the slot of the stalest one, and a
//! scraper, which sends its request as soon as it connects, is answered before newer
//! connections could push it out (and while its request is on its way, the clients stuck in
//! the middle of theirs go first). Evicting a client that is waiting for a request loses
//! nothing: it has been promised nothing yet, and an HTTP client retries a request on a fresh
//! connection when a kept-alive one it meant to reuse turns out closed.
//!
//! The served connection keeps its slot's [`Activity`] current through the adapters of
//! [`tracking`]: one on its service (a request's headers are complete; its response body is
//! done) and one on its stream (bytes of a request have arrived; output the socket has not
//! taken yet).

mod tracking;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, oneshot};

pub(super) use tracking::{TrackedIo, TrackedService};

/// How long a connection that has sent nothing yet is safe from eviction, unless the server is
/// under attack: a client that has just connected is most likely about to send its request,
/// unlike one that stopped partway through it.
pub(super) const SILENCE_GRACE: Duration = Duration::from_millis(100);

/// How many graces the server counts itself under attack after evicting a connection.
const GRACES_UNDER_ATTACK: u32 = 10;

/// The connection slots of one server: at most `capacity` connections hold one at once.
#[derive(Debug, Clone)]
pub(super) struct Slots {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    capacity: usize,
    /// How long a connection that has sent nothing yet is safe from eviction.
    grace: Duration,
    /// The zero of every [`Activity`]'s clock.
    epoch: Instant,
    /// Woken when a slot is given back or a silent connection starts its request.
    room_made: Arc<Notify>,
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    /// By admission order, which breaks ties between connections waiting since the same instant.
    held: BTreeMap<u64, Held>,
    /// When a connection was last evicted, since the epoch.
    last_eviction: Option<Duration>,
}

#[derive(Debug)]
struct Held {
    activity: Arc<Activity>,
    /// Dropping it (removing the entry) tells the connection's task to close the connection.
    _evict: oneshot::Sender<()>,
}

impl Slots {
    /// Slots for at most `capacity` connections (at least one), sparing a connection that has
    /// sent nothing for `grace` ([`SILENCE_GRACE`] in the server).
    pub(super) fn new(capacity: usize, grace: Duration) -> Self {
        let shared = Shared {
            capacity: capacity.max(1),
            grace,
            epoch: Instant::now(),
            room_made: Arc::new(Notify::new()),
            table: Mutex::new(Table::default()),
        };
        Slots { shared: Arc::new(shared) }
    }

    /// Whether to accept a connection now: `None` when there is a free slot, a connection to
    /// evict, or every connection is answering (the new one will be refused). `Some(instant)`
    /// while every slot is held, the server is not under attack, and the only connections
    /// that could make room have sent nothing yet and are within their grace, the first of
    /// which ends at `instant`: accept nothing until then, or until
    /// [`room_made`](Self::room_made).
    pub(super) fn room(&self) -> Option<Instant> {
        let table = self.lock();
        if table.held.len() < self.shared.capacity {
            return None;
        }
        let now = self.shared.epoch.elapsed();
        let attack_ends = |evicted_at| evicted_at + self.shared.grace * GRACES_UNDER_ATTACK;
        if table.last_eviction.is_some_and(|evicted_at| now < attack_ends(evicted_at)) {
            return None;
        }
        let mut first_grace_end = None;
        for staleness in table.held.values().filter_map(|held| held.activity.staleness()) {
            if !staleness.sent_nothing {
                return None;
            }
            let grace_end = Duration::from_nanos(staleness.waiting_since) + self.shared.grace;
            if grace_end <= now {
                return None;
            }
            first_grace_end =
                Some(first_grace_end.map_or(grace_end, |first: Duration| first.min(grace_end)));
        }
        first_grace_end.map(|end| self.shared.epoch + end)
    }

    /// Resolves once room may have been made since [`room`](Self::room) said to wait: a slot
    /// was given back, or a connection that had sent nothing started its request.
    pub(super) async fn room_made(&self) {
        self.shared.room_made.notified().await;
    }

    /// A slot for a connection just accepted (after [`room`](Self::room) said to go ahead),
    /// waiting for its request from now on. At the cap, the stalest waiting connection is
    /// evicted to make room (see the [module](self)); `None` when every connection is
    /// answering (the new one is to be refused).
    pub(super) fn admit(&self) -> Option<Slot> {
        let mut table = self.lock();
        if table.held.len() >= self.shared.capacity {
            let stalest = table
                .held
                .iter()
                .filter_map(|(id, held)| Some((held.activity.staleness()?, *id)))
                .min()?;
            // Dropping its sender wakes the evicted connection's task, which closes it.
            table.held.remove(&stalest.1);
            table.last_eviction = Some(self.shared.epoch.elapsed());
        }
        let id = table.next_id;
        table.next_id += 1;
        let activity =
            Arc::new(Activity::new(self.shared.epoch, Arc::clone(&self.shared.room_made)));
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
        // Every change to the table is one insert, remove or store: consistent after a panic.
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
        // Nothing to give back when evicted: the newcomer has the slot.
        if self.slots.lock().held.remove(&self.id).is_some() {
            self.slots.shared.room_made.notify_one();
        }
    }
}

/// What a connection is doing, as its slot sees it: written by the connection's task, read by
/// [`Slots::room`] and [`Slots::admit`] when they look for a connection to evict.
#[derive(Debug)]
pub(super) struct Activity {
    epoch: Instant,
    /// Told when the connection starts a request: it can then be evicted without grace.
    room_made: Arc<Notify>,
    /// Requests whose headers are complete and whose response body is not done.
    answering: AtomicUsize,
    /// The stream's last write or flush could not complete: a response is still going out.
    write_blocked: AtomicBool,
    /// Bytes of the request being waited for have arrived, not yet all of its headers.
    request_started: AtomicBool,
    /// When the connection last started waiting for a request, in nanoseconds since `epoch`.
    waiting_since: AtomicU64,
}

/// Which waiting connection is evicted first: the least (see [`Activity::staleness`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Staleness {
    /// `false` (first): stalled in the middle of a request; `true`: has sent nothing yet.
    sent_nothing: bool,
    waiting_since: u64,
}

impl Activity {
    fn new(epoch: Instant, room_made: Arc<Notify>) -> Self {
        let activity = Activity {
            epoch,
            room_made,
            answering: AtomicUsize::new(0),
            write_blocked: AtomicBool::new(false),
            request_started: AtomicBool::new(false),
            waiting_since: AtomicU64::new(0),
        };
        activity.mark_waiting();
        activity
    }

    /// Bytes have arrived on the connection.
    pub(super) fn received(&self) {
        if !self.request_started.swap(true, Ordering::Relaxed) {
            self.room_made.notify_one();
        }
    }

    /// A request's headers are complete: answering until [`answered`](Self::answered).
    pub(super) fn answering(&self) {
        self.answering.fetch_add(1, Ordering::Relaxed);
    }

    /// A response body is done (written whole, or dropped with the connection).
    pub(super) fn answered(&self) {
        if self.answering.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.request_started.store(false, Ordering::Relaxed);
            self.mark_waiting();
        }
    }

    /// Whether the stream's last write or flush is waiting for the socket to take more.
    pub(super) fn set_write_blocked(&self, blocked: bool) {
        self.write_blocked.store(blocked, Ordering::Relaxed);
    }

    /// How stale the connection is as a waiting one; `None` while it is answering (and so
    /// cannot be evicted).
    fn staleness(&self) -> Option<Staleness> {
        let answering = self.answering.load(Ordering::Relaxed) > 0;
        let writing = self.write_blocked.load(Ordering::Relaxed);
        (!answering && !writing).then(|| Staleness {
            sent_nothing: !self.request_started.load(Ordering::Relaxed),
            waiting_since: self.waiting_since.load(Ordering::Relaxed),
        })
    }

    fn mark_waiting(&self) {
        // Saturates after 584 years of uptime.
        let nanos = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.waiting_since.store(nanos, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
