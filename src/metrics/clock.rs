//! The monotonic clock of the hot path.
//!
//! `quanta::Instant` reads the TSC (calibrated once against the OS clock) where the CPU has
//! an invariant one, and falls back to the OS monotonic clock elsewhere. On the 2-core
//! x86_64 machine of BENCHMARKS.md it costs well under half of `std::time::Instant::now()`
//! (group `clock` of `bench/benches/per_call.rs`), and two reads per call is the largest
//! fixed cost of an instrumented call.

/// A point in time on the hot-path clock.
pub(crate) type Instant = quanta::Instant;

/// Reads the clock.
#[inline(always)]
pub(crate) fn now() -> Instant {
    quanta::Instant::now()
}
