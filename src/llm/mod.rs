//! LLM cost accounting: token usage, prices, dollars, budgets, and their metrics.
//!
//! The LLM primitive wraps a user's client call; after the call it turns the provider's
//! usage numbers into a [`Usage`], finds the model's [`ModelPrice`] in a [`PriceTable`],
//! computes the [`Cost`], charges any [`Budget`]s and records everything with
//! [`record_call`]. This module is that accounting, usable on its own:
//!
//! ```
//! use flowmeter::llm::{self, AnthropicUsage, Date, PriceTable, Usage};
//!
//! // Anthropic reports input excluding cached tokens; `Usage` normalises to inclusive counts.
//! let usage = Usage::anthropic(
//!     "claude-sonnet-4-20250514",
//!     AnthropicUsage {
//!         input_tokens: 1_000,
//!         output_tokens: 500,
//!         cache_read_input_tokens: 10_000,
//!         cache_creation_input_tokens: 2_000,
//!     },
//! )?;
//! assert_eq!(usage.input_tokens(), 13_000);
//!
//! // The built-in table prices the dated snapshot through its prefix rule.
//! let table = PriceTable::builtin();
//! let price = table.resolve("anthropic", usage.model(), Date::new(2025, 6, 1).unwrap()).unwrap();
//! assert_eq!(price.model, "claude-sonnet-4");
//!
//! // 1 000 × $3 + 10 000 × $0.30 + 2 000 × $3.75 + 500 × $15, per million tokens:
//! // 0.003 + 0.003 + 0.0075 + 0.0075 = $0.021
//! let cost = llm::cost(&usage, &price.price);
//! assert_eq!(cost.total_usd(), 0.021);
//!
//! // With telemetry installed this also records ns.llm.cost, the GenAI histograms, etc.
//! let recorded = llm::record_call(&usage, Some(&price), 1.5, None);
//! assert_eq!(recorded, cost);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Conventions, in short (details on each item):
//!
//! - **Tokens** are inclusive, as in the OpenTelemetry GenAI conventions: input includes cache
//!   reads and writes, output includes reasoning ([`Usage`]).
//! - **Prices** are USD per million tokens; missing cache-read and cache-write rates fall back
//!   to the input rate and a missing reasoning rate to the output rate; lookup is exact or by an
//!   explicit longest prefix, never by substring ([`PriceTable`]); files override the
//!   built-ins per model ([`PriceTable::with_file`], [`builtin_prices`]).
//! - **Money** is exact integer picodollars inside, `f64` USD outside ([`Cost`],
//!   [`cost()`](fn@cost)).
//! - **Budgets** are checked before a call against the spend so far and charged after it
//!   ([`Budget`]).

mod budget;
mod builtin;
mod clock;
mod cost;
mod date;
mod instruments;
mod price;
mod price_file;
mod provider;
mod record;
mod usage;

#[cfg(test)]
mod tests;

pub use budget::{
    Budget, BudgetBuilder, BudgetError, BudgetExceeded, BudgetPolicy, BudgetScope, BudgetStatus,
    Period,
};
pub use builtin::{BUILTIN_PRICES_TOML, builtin_prices};
pub use clock::{Clock, ManualClock, SystemClock};
pub use cost::{Cost, cost};
pub use date::{Date, DateParseError};
pub(crate) use instruments::record_saved_cost;
pub use price::{
    MAX_USD_PER_MTOK, ModelPrice, PriceError, PriceMatch, PriceTable, Rate, ResolvedPrice,
};
pub use price_file::PriceFileError;
pub use provider::{AnthropicUsage, OpenAiUsage, providers};
pub use record::{
    SPAN_CACHE_CREATION_INPUT_TOKENS, SPAN_CACHE_READ_INPUT_TOKENS, SPAN_INPUT_TOKENS,
    SPAN_OUTPUT_TOKENS, SPAN_REASONING_OUTPUT_TOKENS, USAGE_SPAN_FIELDS, record_cache_hit,
    record_call, record_failed_call, record_span_usage,
};
pub use usage::{
    DEFAULT_OPERATION, MAX_NAME_LEN, MAX_TOKENS_PER_CALL, TokenCount, Usage, UsageBuilder,
    UsageError,
};
