//! Per-thread stripes: where a call site's executions wait, a few at a time, before they
//! reach the OpenTelemetry SDK.
//!
//! The SDK's bound handles are shared by every thread that calls a call site: a counter add is
//! an atomic on one cache line, a histogram record takes the series' `Mutex`. With two threads
//! on one call site those lines move between cores on every call, which costs more than the
//! rest of the call (BENCHMARKS.md, `sync_2_threads`). So each thread writes to a stripe of its
//! own instead (one cache-line-aligned slot per thread, picked by a small per-thread index),
//! and a stripe hands its executions to the SDK when it is full ([`CAPACITY`]) or when metrics
//! are collected. The SDK lines then move once per batch, not once per call.
//!
//! Nothing waits: a stripe is taken with `try_lock`, and a thread that finds its stripe taken
//! (a collection flushing it, or more threads than stripes) records straight into the SDK.
//! Nothing is lost or late: every collection flushes every stripe before the SDK reads its
//! aggregations (see [`super::bound::flush_all`]).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard, TryLockError};

use super::status::Status;

/// Executions a stripe holds before it hands them to the SDK. Chosen so a stripe (lock,
/// in-flight counts, length, statuses and durations) fills one 128-byte slot: the size of the
/// pair of cache lines x86 prefetches together.
pub(crate) const CAPACITY: usize = 19;

/// One thread's slot of a call site.
///
/// The in-flight gauge only moves when every stripe is drained at a collection, never when a
/// full stripe hands its durations over: a stripe's starts and ends are handed over together,
/// so the gauge cannot read below zero.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(crate) struct Stripe {
    /// Executions started on this stripe's thread since the last drain (an atomic, so
    /// starting never takes the lock).
    started: AtomicI64,
    /// Executions that ended while the stripe was taken, since the last drain.
    ended_unbuffered: AtomicI64,
    pending: Mutex<Pending>,
}

const _: () = assert!(std::mem::size_of::<Stripe>() == 128, "a stripe fills one 128-byte slot");

/// Finished executions not yet in the SDK.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// Executions that ended here since the last drain (buffered or already handed over).
    ended: i64,
    len: u8,
    statuses: [u8; CAPACITY],
    /// Durations as `f32`: relative error 2^-24 (under 0.1 µs for any call shorter than a
    /// second), and 19 fit where 10 `f64`s did, so a stripe goes to the SDK half as often.
    seconds: [f32; CAPACITY],
}

impl Pending {
    /// Adds one finished execution; `true` when the buffer is now full.
    #[inline]
    fn push(&mut self, status: Status, seconds: f64) -> bool {
        let i = usize::from(self.len);
        self.statuses[i] = status.index() as u8;
        self.seconds[i] = seconds as f32;
        self.len += 1;
        self.ended += 1;
        usize::from(self.len) == CAPACITY
    }

    /// The buffered executions, as (status index, seconds); empties the buffer.
    pub(crate) fn take(&mut self) -> impl Iterator<Item = (usize, f64)> + '_ {
        let len = usize::from(std::mem::take(&mut self.len));
        self.statuses[..len]
            .iter()
            .zip(&self.seconds[..len])
            .map(|(status, seconds)| (usize::from(*status), f64::from(*seconds)))
    }
}

/// The stripes of one call site: one per thread slot, [`stripe_count`] of them.
#[derive(Debug)]
pub(crate) struct Stripes(Box<[Stripe]>);

impl Stripes {
    pub(crate) fn new() -> Self {
        Stripes((0..stripe_count()).map(|_| Stripe::default()).collect())
    }

    #[inline]
    fn mine(&self) -> &Stripe {
        // The length is a power of two (stripe_count).
        &self.0[thread_slot() & (self.0.len() - 1)]
    }

    /// Counts an execution as started on this thread's stripe.
    #[inline]
    pub(crate) fn start(&self) {
        self.mine().started.fetch_add(1, Ordering::Relaxed);
    }

    /// Buffers a finished execution on this thread's stripe. Returns the stripe's buffer when
    /// it is full (for the caller to [`take`](Pending::take) while it holds it). `Err` when the
    /// stripe is taken: the end is counted, and the caller records the execution's count and
    /// duration itself.
    #[inline]
    pub(crate) fn finish(
        &self,
        status: Status,
        seconds: f64,
    ) -> Result<Option<MutexGuard<'_, Pending>>, ()> {
        let stripe = self.mine();
        let mut pending = match stripe.pending.try_lock() {
            Ok(pending) => pending,
            // Nothing panics while holding a stripe, but a poisoned one is still sound data.
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                // Release: a drain that sees this end also sees the start before it.
                stripe.ended_unbuffered.fetch_add(1, Ordering::Release);
                return Err(());
            }
        };
        Ok(pending.push(status, seconds).then_some(pending))
    }

    /// Counts an execution as ended on this thread's stripe without buffering it (the caller
    /// records it into the SDK itself).
    #[inline]
    pub(crate) fn end_unbuffered(&self) {
        // Release: a drain that sees this end also sees the start before it.
        self.mine().ended_unbuffered.fetch_add(1, Ordering::Release);
    }

    /// Empties every stripe: `flush` gets each buffer to take, and the result is the change
    /// of the in-flight count since the last drain (started minus ended).
    ///
    /// Ends first, starts second: an execution starts before it ends, so every end counted
    /// here has its start counted by now too (here or in an earlier drain), and the in-flight
    /// gauge never reads below zero.
    pub(crate) fn drain(&self, mut flush: impl FnMut(&mut Pending)) -> i64 {
        let mut ended = 0;
        for stripe in self.0.iter() {
            let mut pending = stripe.pending.lock().unwrap_or_else(|e| e.into_inner());
            flush(&mut pending);
            ended += std::mem::take(&mut pending.ended);
            ended += stripe.ended_unbuffered.swap(0, Ordering::Acquire);
        }
        let started: i64 =
            self.0.iter().map(|stripe| stripe.started.swap(0, Ordering::Relaxed)).sum();
        started - ended
    }
}

/// Stripes per call site: the machine's parallelism rounded up to a power of two, at least 4
/// (tests and runtimes run more threads than cores) and at most 64 (8 KiB per call site).
pub(crate) fn stripe_count() -> usize {
    static COUNT: LazyLock<usize> = LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        cores.next_power_of_two().clamp(4, 64)
    });
    *COUNT
}

/// This thread's slot number: the lowest one no live thread holds, so two threads that record
/// at the same time get different stripes while there are fewer of them than stripes.
#[inline]
pub(crate) fn thread_slot() -> usize {
    // After this thread's locals are destroyed (a recording in another local's destructor),
    // slot 0 is as good as any: the stripe's try_lock keeps it correct.
    SLOT.try_with(|slot| slot.0).unwrap_or(0)
}

thread_local! {
    static SLOT: Slot = Slot::claim();
}

/// A claimed slot number, given back when its thread ends.
struct Slot(usize);

/// The free slot numbers below `next`, and the next never-used one.
static SLOTS: Mutex<(Vec<usize>, usize)> = Mutex::new((Vec::new(), 0));

impl Slot {
    fn claim() -> Slot {
        let mut slots = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
        let (free, next) = &mut *slots;
        Slot(lowest_free(free, next))
    }
}

/// Takes the lowest number of `free`, or else `next` (and moves `next` on).
fn lowest_free(free: &mut Vec<usize>, next: &mut usize) -> usize {
    match free.iter().enumerate().min_by_key(|(_, slot)| **slot) {
        Some((i, _)) => free.swap_remove(i),
        None => {
            *next += 1;
            *next - 1
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        SLOTS.lock().unwrap_or_else(|e| e.into_inner()).0.push(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stripe_is_full_after_capacity_executions_and_empty_after_take() {
        let stripes = Stripes::new();
        for i in 0..CAPACITY - 1 {
            assert!(matches!(stripes.finish(Status::Success, i as f64), Ok(None)));
        }
        let mut full = stripes.finish(Status::Error, 0.5).expect("free").expect("full");
        let executions: Vec<_> = full.take().collect();
        assert_eq!(executions.len(), CAPACITY);
        assert_eq!(executions[0], (Status::Success.index(), 0.0));
        assert_eq!(executions[CAPACITY - 1], (Status::Error.index(), 0.5));
        assert_eq!(full.take().count(), 0);
        assert_eq!(full.ended, CAPACITY as i64, "ends wait for the drain");
    }

    #[test]
    fn a_taken_stripe_counts_the_end_and_sends_the_caller_to_the_sdk() {
        let stripes = Stripes::new();
        stripes.start();
        {
            let _held = stripes.mine().pending.lock().unwrap();
            assert!(stripes.finish(Status::Success, 1.0).is_err());
        }
        assert_eq!(stripes.drain(|pending| assert_eq!(pending.take().count(), 0)), 0);
    }

    #[test]
    fn drain_hands_over_every_stripe_and_the_in_flight_change() {
        let stripes = Stripes::new();
        stripes.start();
        stripes.start();
        stripes.finish(Status::Success, 0.25).expect("free");
        let (mut executions, mut stripes_seen) = (Vec::new(), 0);
        let in_flight = stripes.drain(|pending| {
            executions.extend(pending.take());
            stripes_seen += 1;
        });
        assert_eq!(in_flight, 1);
        assert_eq!(executions, [(0, 0.25)]);
        assert_eq!(stripes_seen, stripe_count());
        stripes.finish(Status::Success, 0.5).expect("free");
        let mut taken = 0;
        assert_eq!(stripes.drain(|pending| taken += pending.take().count()), -1);
        assert_eq!(taken, 1);
    }

    #[test]
    fn live_threads_hold_different_slots() {
        let here = thread_slot();
        let barrier = std::sync::Barrier::new(2);
        let (a, b) = std::thread::scope(|s| {
            // Both threads hold their slot until both have one.
            let slot = || {
                let slot = thread_slot();
                barrier.wait();
                slot
            };
            let a = s.spawn(slot);
            let b = s.spawn(slot);
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_ne!(a, b);
        assert_ne!(a, here);
        assert_ne!(b, here);
    }

    #[test]
    fn the_lowest_free_slot_is_claimed_first() {
        let (mut free, mut next) = (Vec::new(), 0);
        assert_eq!(lowest_free(&mut free, &mut next), 0);
        assert_eq!(lowest_free(&mut free, &mut next), 1);
        assert_eq!(lowest_free(&mut free, &mut next), 2);
        free.extend([2, 0]);
        assert_eq!(lowest_free(&mut free, &mut next), 0);
        assert_eq!(lowest_free(&mut free, &mut next), 2);
        assert_eq!(lowest_free(&mut free, &mut next), 3);
    }
}
