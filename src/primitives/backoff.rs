//! [`Backoff`]: how long a [`Retry`](super::Retry) waits between attempts.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};
use std::time::Duration;

/// Exponential backoff with full jitter, capped: before retry `n` (0 for the first retry),
/// the delay is drawn uniformly from `[0, min(max, base × 2ⁿ)]` (the "full jitter" of AWS's
/// *Exponential Backoff and Jitter*), so clients that failed together do not retry together.
///
/// | option | default |
/// |---|---|
/// | base ([`exponential`](Self::exponential)) | [`DEFAULT_BASE`](Self::DEFAULT_BASE), 100 ms |
/// | [`max_delay`](Self::max_delay) | [`DEFAULT_MAX`](Self::DEFAULT_MAX), 10 s |
///
/// [`Backoff::none`] retries at once (useful in tests).
///
/// The random draws come from a per-thread xorshift64* generator seeded from the standard
/// library's `RandomState` (OS-random keys): jitter needs uniform, decorrelated numbers, not
/// cryptographic ones, and this costs no dependency and no lock.
///
/// ```
/// use flowmeter::primitives::Backoff;
/// use std::time::Duration;
///
/// let backoff = Backoff::exponential(Duration::from_millis(100)).max_delay(Duration::from_secs(1));
/// assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
/// assert_eq!(backoff.ceiling(3), Duration::from_millis(800));
/// assert_eq!(backoff.ceiling(4), Duration::from_secs(1)); // capped
/// assert!(backoff.delay(2) <= Duration::from_millis(400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Backoff {
    base: Duration,
    max: Duration,
}

impl Default for Backoff {
    /// [`DEFAULT_BASE`](Self::DEFAULT_BASE) doubling up to [`DEFAULT_MAX`](Self::DEFAULT_MAX).
    fn default() -> Self {
        Backoff::exponential(Self::DEFAULT_BASE)
    }
}

impl Backoff {
    /// The default base delay: 100 ms.
    pub const DEFAULT_BASE: Duration = Duration::from_millis(100);
    /// The default cap: 10 s.
    pub const DEFAULT_MAX: Duration = Duration::from_secs(10);

    /// Delays starting at `base` and doubling per retry, capped at
    /// [`DEFAULT_MAX`](Self::DEFAULT_MAX) (or at `base`, if larger).
    pub fn exponential(base: Duration) -> Self {
        Backoff { base, max: Self::DEFAULT_MAX.max(base) }
    }

    /// No delay: retries start at once.
    pub const fn none() -> Self {
        Backoff { base: Duration::ZERO, max: Duration::ZERO }
    }

    /// Caps every delay at `max` (default [`DEFAULT_MAX`](Self::DEFAULT_MAX)).
    pub fn max_delay(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// The base delay.
    pub fn base(&self) -> Duration {
        self.base
    }

    /// The largest delay before retry `retry` (0 for the first): `min(max, base × 2^retry)`,
    /// saturating instead of overflowing.
    pub fn ceiling(&self, retry: u32) -> Duration {
        2u32.checked_pow(retry)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.max, |delay| delay.min(self.max))
    }

    /// The delay before retry `retry` for the random draw `random` (uniform over `u64`):
    /// `random`'s fraction of [`ceiling`](Self::ceiling), so `0` gives no delay and
    /// `u64::MAX` the ceiling. A pure function: [`delay`](Self::delay) feeds it the generator.
    pub fn delay_for(&self, retry: u32, random: u64) -> Duration {
        // Ceilings beyond u64 nanoseconds (584 years) saturate; the product fits in u128.
        let ceiling = u64::try_from(self.ceiling(retry).as_nanos()).unwrap_or(u64::MAX);
        let nanos = (u128::from(ceiling) * u128::from(random)) / u128::from(u64::MAX);
        Duration::from_nanos(nanos as u64)
    }

    /// A random delay before retry `retry` (0 for the first), in `[0, ceiling(retry)]`.
    pub fn delay(&self, retry: u32) -> Duration {
        if self.ceiling(retry).is_zero() {
            return Duration::ZERO;
        }
        self.delay_for(retry, next_random())
    }
}

/// The next number of this thread's xorshift64* generator.
fn next_random() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// A non-zero seed from `RandomState`, whose keys come from the OS per thread and differ
/// per instance.
fn seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x9E37_79B9_7F4A_7C15);
    hasher.finish() | 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn ceiling_doubles_from_base_and_caps_at_max() {
        let backoff = Backoff::exponential(10 * MS).max_delay(100 * MS);
        let ceilings: Vec<_> = (0..6).map(|n| backoff.ceiling(n)).collect();
        assert_eq!(ceilings, [10 * MS, 20 * MS, 40 * MS, 80 * MS, 100 * MS, 100 * MS]);
    }

    #[test]
    fn ceiling_saturates_instead_of_overflowing() {
        let backoff = Backoff::exponential(Duration::from_secs(u64::MAX / 2));
        assert_eq!(backoff.ceiling(u32::MAX), backoff.max);
        assert_eq!(backoff.ceiling(40), backoff.max);
        let huge = Backoff::exponential(MS).max_delay(Duration::MAX);
        assert_eq!(huge.ceiling(200), Duration::MAX);
        assert!(huge.delay_for(200, u64::MAX) <= Duration::MAX);
    }

    #[test]
    fn delay_for_spans_zero_to_ceiling() {
        let backoff = Backoff::exponential(100 * MS).max_delay(Duration::from_secs(1));
        assert_eq!(backoff.delay_for(2, 0), Duration::ZERO);
        assert_eq!(backoff.delay_for(2, u64::MAX), 400 * MS);
        let half = backoff.delay_for(2, u64::MAX / 2);
        assert!(half.abs_diff(200 * MS) <= Duration::from_nanos(1), "{half:?}");
        assert_eq!(backoff.delay_for(10, u64::MAX), Duration::from_secs(1));
    }

    #[test]
    fn random_delays_stay_within_the_ceiling_and_spread() {
        let backoff = Backoff::exponential(100 * MS).max_delay(Duration::from_secs(1));
        for retry in 0..8 {
            let ceiling = backoff.ceiling(retry);
            let delays: Vec<_> = (0..1000).map(|_| backoff.delay(retry)).collect();
            assert!(delays.iter().all(|d| *d <= ceiling), "retry {retry}");
            // Full jitter: draws cover the range, not just the top of it.
            assert!(delays.iter().any(|d| *d < ceiling / 4), "retry {retry}");
            assert!(delays.iter().any(|d| *d > ceiling * 3 / 4), "retry {retry}");
        }
    }

    #[test]
    fn none_never_waits() {
        assert_eq!(Backoff::none().delay(0), Duration::ZERO);
        assert_eq!(Backoff::none().delay(30), Duration::ZERO);
    }

    #[test]
    fn generator_is_not_stuck() {
        let draws: std::collections::HashSet<u64> = (0..1000).map(|_| next_random()).collect();
        assert_eq!(draws.len(), 1000);
    }
}
