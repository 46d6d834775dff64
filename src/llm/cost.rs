//! Dollars of one call: each kind of token at its own rate, none counted twice.
//!
//! # Money representation
//!
//! Rates are whole micro-dollars per million tokens, which is exactly picodollars
//! (10⁻¹² USD) per token, so `tokens × rate` is an exact integer number of picodollars. Costs
//! are summed as integers (per call, across calls, in budgets) and turned into `f64` USD only
//! when read: an `f64` of a whole number of picodollars divided by 10¹² is the `f64` nearest to
//! the exact decimal amount (exact below 2⁵³ pUSD, about USD 9 000), so `0.0125` in a test
//! means exactly USD 0.0125, and sums never drift.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};

use super::price::{ModelPrice, Rate};
use super::usage::Usage;

const PICO_PER_USD: f64 = 1e12;

/// The cost of LLM usage by kind of token. Read amounts in USD with the `*_usd` methods;
/// [`Cost::total_usd`] is the exact sum of the parts, rounded once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Cost {
    // Picodollars.
    input: u128,
    cache_read: u128,
    cache_write: u128,
    output: u128,
    reasoning: u128,
}

/// Prices `usage` at `price`:
///
/// - uncached input (input − cache reads − cache writes) at the input rate,
/// - cache reads at the cache-read rate, cache writes at the cache-write rate,
/// - visible output (output − reasoning) at the output rate,
/// - reasoning tokens at the reasoning rate (and not again at the output rate),
///
/// with the fallbacks of [`ModelPrice`] for missing rates.
pub fn cost(usage: &Usage, price: &ModelPrice) -> Cost {
    let at = |tokens: u64, rate: Rate| u128::from(tokens) * u128::from(rate.micro_usd_per_mtok());
    Cost {
        input: at(usage.uncached_input_tokens(), price.input),
        cache_read: at(usage.cache_read_input_tokens(), price.cache_read_rate()),
        cache_write: at(usage.cache_write_input_tokens(), price.cache_write_rate()),
        output: at(usage.visible_output_tokens(), price.output),
        reasoning: at(usage.reasoning_tokens(), price.reasoning_rate()),
    }
}

fn usd(pico: u128) -> f64 {
    pico as f64 / PICO_PER_USD
}

impl Cost {
    /// No cost.
    pub const ZERO: Cost =
        Cost { input: 0, cache_read: 0, cache_write: 0, output: 0, reasoning: 0 };

    /// Uncached input tokens, USD.
    pub fn input_usd(&self) -> f64 {
        usd(self.input)
    }

    /// Cache-read input tokens, USD.
    pub fn cache_read_usd(&self) -> f64 {
        usd(self.cache_read)
    }

    /// Cache-write input tokens, USD.
    pub fn cache_write_usd(&self) -> f64 {
        usd(self.cache_write)
    }

    /// Output tokens other than reasoning, USD.
    pub fn output_usd(&self) -> f64 {
        usd(self.output)
    }

    /// Reasoning tokens, USD.
    pub fn reasoning_usd(&self) -> f64 {
        usd(self.reasoning)
    }

    /// Everything, USD: the exact integer sum of the parts converted once.
    pub fn total_usd(&self) -> f64 {
        usd(self.total_picodollars())
    }

    /// Everything, in picodollars (10⁻¹² USD), exact.
    pub fn total_picodollars(&self) -> u128 {
        self.input + self.cache_read + self.cache_write + self.output + self.reasoning
    }

    /// Whether nothing was spent.
    pub fn is_zero(&self) -> bool {
        self.total_picodollars() == 0
    }
}

impl Add for Cost {
    type Output = Cost;

    fn add(self, rhs: Cost) -> Cost {
        Cost {
            input: self.input + rhs.input,
            cache_read: self.cache_read + rhs.cache_read,
            cache_write: self.cache_write + rhs.cache_write,
            output: self.output + rhs.output,
            reasoning: self.reasoning + rhs.reasoning,
        }
    }
}

impl AddAssign for Cost {
    fn add_assign(&mut self, rhs: Cost) {
        *self = *self + rhs;
    }
}

impl Sum for Cost {
    fn sum<I: Iterator<Item = Cost>>(iter: I) -> Cost {
        iter.fold(Cost::ZERO, Add::add)
    }
}

impl fmt::Display for Cost {
    /// `$0.012345` (six decimals unless a precision is given, e.g. `{:.4}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${:.*}", f.precision().unwrap_or(6), self.total_usd())
    }
}
