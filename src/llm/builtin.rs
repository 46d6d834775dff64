//! The built-in price table: a few common OpenAI and Anthropic models.
//!
//! The prices live in `builtin_prices.toml` (next to this file, in the documented price-file
//! format) and are parsed once, on first use. They are the providers' published standard-tier
//! prices of mid-2025, in USD per million tokens; they are a convenience, not a source of
//! truth: override them with a price file ([`PriceTable::with_file`]) when dollars matter.
//!
//! | provider | model | input | cache read | cache write | output | prefix rules |
//! |---|---|---|---|---|---|---|
//! | openai | gpt-4o (from 2024-10-02) | 2.50 | 1.25 | = input | 10.00 | `gpt-4o-2024-` |
//! | openai | gpt-4o (before) / gpt-4o-2024-05-13 | 5.00 | = input | = input | 15.00 | |
//! | openai | gpt-4o-mini | 0.15 | 0.075 | = input | 0.60 | `gpt-4o-mini-2024-` |
//! | openai | gpt-4.1 | 2.00 | 0.50 | = input | 8.00 | `gpt-4.1-2025-` |
//! | openai | gpt-4.1-mini | 0.40 | 0.10 | = input | 1.60 | `gpt-4.1-mini-2025-` |
//! | openai | o3-mini | 1.10 | 0.55 | = input | 4.40 | `o3-mini-2025-` |
//! | anthropic | claude-sonnet-4 | 3.00 | 0.30 | 3.75 | 15.00 | `claude-sonnet-4-20` |
//! | anthropic | claude-opus-4 | 15.00 | 1.50 | 18.75 | 75.00 | `claude-opus-4-20` |
//! | anthropic | claude-3-5-haiku | 0.80 | 0.08 | 1.00 | 4.00 | `claude-3-5-haiku-` |
//!
//! Reasoning tokens are priced at the output rate for all of them.

use std::sync::LazyLock;

use super::price::PriceTable;

/// The built-in prices as a price file (TOML).
pub const BUILTIN_PRICES_TOML: &str = include_str!("builtin_prices.toml");

static BUILTIN: LazyLock<PriceTable> = LazyLock::new(|| {
    // A unit test parses this file, so failing here means a broken build; still, never panic
    // in instrumentation: log and price nothing.
    PriceTable::new().with_toml(BUILTIN_PRICES_TOML, "builtin_prices.toml").unwrap_or_else(|e| {
        tracing::error!(error = %e, "flowmeter: the built-in LLM price table is malformed");
        PriceTable::new()
    })
});

/// The built-in price table (shared; [`PriceTable::builtin`] returns an owned copy to extend).
pub fn builtin_prices() -> &'static PriceTable {
    &BUILTIN
}
