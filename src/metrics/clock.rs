//! The monotonic clock of the hot path.
//!
//! `quanta::Instant` reads the TSC (calibrated once against the OS clock) where the CPU has
//! an invariant one, and falls back to the OS monotonic clock elsewhere. On the 2-core
//! x86_64 machine these numbers were taken on, `benches/hot_path.rs` measured it at roughly
//! half the cost of `std::time::Instant::now()` (see the `clock` group of that bench), and
//! two reads per call is the largest fixed cost of an instrumented call.

/// A point in time on the hot-path clock.
pub(crate) type Instant = quanta::Instant;

/// Reads the clock.
#[inline(always)]
pub(crate) fn now() -> Instant {
    quanta::Instant::now()
}
